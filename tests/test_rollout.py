"""Rollout lifecycle: stages, gates, kill switch, bundle rollback, readiness, CRM hygiene."""

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from integrations import crm_hygiene
from integrations.sql import appointments, contacts
from receptionist.app import create_app
from receptionist.config.bundle import read_bundle
from receptionist.config.settings import ROOT
from receptionist.rollout import brand, readiness
from receptionist.rollout import stages as rollout
from receptionist.rollout.lifecycle import current_stages, promote, scaffold
from receptionist.rollout.stages import RolloutRefused
from receptionist.service.world import load_world
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.simulation.coverage import coverage
from receptionist.storage import recordings
from receptionist.storage.db import make_engine, to_db
from receptionist.storage.migrate import upgrade
from receptionist.storage.tables import calls, flow_bundles
from tests.conftest import KEYRING, TOKEN, rows

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def tree(tmp_path):
    """A practice's own copy of flows, NLU data and scenarios."""
    for name in ("flows", "nlu_data", "scenarios"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rollout.sqlite3'}")
    upgrade(engine)
    return engine


def make_ready(conn, tree):
    """Turn every readiness item green, the way a practice would."""
    text = (tree / "flows" / "settings" / "compliance.yaml").read_text()
    (tree / "flows" / "settings" / "compliance.yaml").write_text(text.replace(
        "  signed: false\n  counterparty: null\n  signed_on: null",
        "  signed: true\n  counterparty: Receptionist Co\n  signed_on: 2026-10-01"))
    for role in readiness.ROLES:
        readiness.sign_off(conn, role, f"{role} person")
    log = tree / "calls.csv"
    lines = ["started_at,from,status,duration,call_type,resolved"]
    for day in range(35):
        lines.append(f"2026-10-{1 + day % 31:02d}T09:00:00,+14135550142,completed,180,"
                     f"{'booking' if day % 3 else 'billing'},{'yes' if day % 4 else 'no'}")
    log.write_text("\n".join(lines) + "\n")
    readiness.import_call_log(conn, log)
    conn.execute(contacts.insert().values(first_name="Ann", last_name="Lee", phone="+14135550111",
                                          email="ann@example.com", balance_cents=0,
                                          last_interaction_at=to_db(NOW), created_at=to_db(NOW)))
    # the front-office lead listened to the first 50 recorded pilot calls: they sound like us
    for i in range(brand.FIRST_CALLS):
        sid, at = f"CP{i:030d}", NOW - timedelta(days=200, hours=i)
        conn.execute(calls.insert().values(sid=sid, caller="+1", called="",
                                           started_at=to_db(at), status="completed", state={},
                                           version=1, updated_at=to_db(at)))
        recordings.save(conn, KEYRING, sid, "local", at, np.zeros((80, 2), np.int16), [])
        brand.review(conn, sid, "front office lead", sounds_like_us=True,
                     marks=dict.fromkeys(brand.MARKS, "ok"))


def test_a_call_type_that_is_not_live_is_out_of_scope(app, caller, db):
    with db.begin() as conn:
        rollout.set_stage(conn, "practice_info", "paused", "ops lead", "bad answers")
    result = caller.call(["what are your hours"])
    assert result.outcome["flow"] == "out_of_scope"
    assert result.outcome["transfer_to"] == "front_desk"


def test_the_kill_switch_sends_every_call_to_the_front_desk_at_once(caller, db):
    with db.begin() as conn:
        rollout.set_kill_switch(conn, True, "karen", "CRM outage")
    result = caller.call(["I'd like to book a cleaning"])
    assert result.outcome["status"] == "transferred"
    assert result.outcome["transfer_to"] == "front_desk"
    assert result.outcome["escalation"] == "kill_switch"
    assert len(result.turns) == 1  # no greeting, no questions
    with db.begin() as conn:
        rollout.set_kill_switch(conn, False, "karen", "CRM back")
        [off, on] = [e for e in rollout.events(conn) if e.kind == "kill_switch"]
    assert (on.by, on.detail["on"], off.detail["on"]) == ("karen", True, False)
    assert caller.call(["what are your hours", "no"]).outcome["disposition"] == "info_hours"


def test_going_live_is_refused_until_readiness_is_green(tree, engine):
    scaffold("whitening_promo", tree / "flows", tree / "nlu_data", tree / "scenarios")
    world = load_world(tree / "flows", tree / "nlu_data")
    with engine.begin() as conn:
        assert current_stages(conn, world)["whitening_promo"] == "shadow"
        assert promote(conn, world, tree / "flows", "whitening_promo", "ops", now=NOW) == "pilot"
        with pytest.raises(RolloutRefused) as refused:
            promote(conn, world, tree / "flows", "whitening_promo", "ops", now=NOW)
    message = str(refused.value)
    assert "BAA is not recorded as signed" in message and "Stakeholder sign-off" in message
    assert "Call-type inventory" in message
    assert "brand-voice audit: 0 of the first 50 recorded pilot calls reviewed" in message


def test_a_new_live_call_type_waits_thirty_days_after_the_last(tree, engine):
    scaffold("whitening_promo", tree / "flows", tree / "nlu_data", tree / "scenarios")
    world = load_world(tree / "flows", tree / "nlu_data")
    with engine.begin() as conn:
        make_ready(conn, tree)
        rollout.set_stage(conn, "take_message", "live", "ops", at=NOW - timedelta(days=10))
        with pytest.raises(RolloutRefused, match="30 days apart"):
            promote(conn, world, tree / "flows", "whitening_promo", "ops", to="live", now=NOW)
        later = NOW + timedelta(days=21)
        assert promote(conn, world, tree / "flows", "whitening_promo", "ops", to="live",
                       now=later) == "live"
        [change] = [r for r in rollout.history(conn, "whitening_promo") if r.stage == "live"]
    assert change.changed_by == "ops"


def test_going_live_is_refused_while_live_call_types_regress(tree, engine):
    scaffold("whitening_promo", tree / "flows", tree / "nlu_data", tree / "scenarios")
    world = load_world(tree / "flows", tree / "nlu_data")
    with engine.begin() as conn:
        make_ready(conn, tree)
        for i in range(60):
            recent = i >= 30
            started = NOW - timedelta(days=(3 if recent else 20), minutes=i)
            escalated = "human_request" if (recent and i % 2) or (not recent and i % 10 == 0) \
                else None
            conn.execute(calls.insert().values(
                sid=f"CA{i:032d}", caller="+1", called="", started_at=to_db(started),
                status="transferred" if escalated else "completed", call_type="book_appointment",
                escalation=escalated, state={}, version=1, updated_at=to_db(started)))
        with pytest.raises(RolloutRefused, match="escalation rate rose from 10% to 50%"):
            promote(conn, world, tree / "flows", "whitening_promo", "ops", to="live", now=NOW)


def test_flow_bundles_roll_back_with_one_command_and_a_running_server_reloads(
        tree, settings, nlu, clock):
    settings = replace(settings, flows_dir=tree / "flows", nlu_data_dir=tree / "nlu_data")
    app = create_app(settings, nlu=nlu, clock=clock)
    rec = app.extensions["receptionist"]
    caller = Caller(flask_transport(app), TOKEN)
    info = tree / "flows" / "practice_info.yaml"
    with rec.engine.begin() as conn:
        first = rollout.snapshot(conn, tree / "flows", "ops", "baseline")
    info.write_text(info.read_text().replace('say: "{practice.parking}"',
                                             'say: "Parking is free on Sundays only."'))
    rec.refresh(every=0)
    assert "Sundays only" in caller.call(["where can I park", "no"]).turns[1]["receptionist"]
    with rec.engine.begin() as conn:
        rollout.snapshot(conn, tree / "flows", "ops", "new parking text")
        assert rollout.restore(conn, tree / "flows", "karen") == first
        [event] = [e for e in rollout.events(conn) if e.kind == "rollback"]
    assert event.by == "karen" and event.detail["version"] == first
    rec.refresh(every=0)
    assert "lot behind the building" in caller.call(["where can I park", "no"]
                                                    ).turns[1]["receptionist"]


def test_a_version_stored_in_the_old_flat_layout_rolls_back_into_todays(tree, engine):
    """Bundles stored before settings moved to flows/settings/ still restore, and load."""
    flows = tree / "flows"
    flat = {name: text for name, text in read_bundle(flows).items()}
    flat = {name.removeprefix("settings/"): text for name, text in flat.items()}
    flat["practice.yaml"] = flat["practice.yaml"].replace("Bright Smile Dental", "Old Smile")
    with engine.begin() as conn:
        conn.execute(flow_bundles.insert().values(digest="old", files=flat, note="old layout",
                                                  by="ops", at=to_db(NOW)))
        rollout.snapshot(conn, flows, "ops", "today")
        version = rollout.restore(conn, flows, "karen", version=1)
    assert version == 1
    assert not (flows / "practice.yaml").exists()
    assert "Old Smile" in (flows / "settings" / "practice.yaml").read_text()
    assert load_world(flows, tree / "nlu_data").profile.name == "Old Smile"
    assert not (flows / "settings" / "conversation.yaml").exists()


def test_a_broken_bundle_on_disk_is_not_loaded_and_calls_go_on(tree, settings, nlu, clock):
    settings = replace(settings, flows_dir=tree / "flows", nlu_data_dir=tree / "nlu_data")
    app = create_app(settings, nlu=nlu, clock=clock)
    (tree / "flows" / "take_message.yaml").write_text("version: '1'\nflow: broken\n")
    app.extensions["receptionist"].refresh(every=0)
    result = Caller(flask_transport(app), TOKEN).call(["what are your hours", "no"])
    assert result.outcome["disposition"] == "info_hours"


def test_readiness_turns_green_item_by_item(tree, engine):
    world = load_world(tree / "flows", tree / "nlu_data")
    with engine.begin() as conn:
        before = {i.name: i.green for i in readiness.evaluate(conn, world, tree / "flows")}
        make_ready(conn, tree)
        after = readiness.evaluate(conn, world, tree / "flows")
    assert before == {"CRM hygiene": False, "Call-type inventory": False,
                      "Escalation rules": True, "Compliance review": False,
                      "Stakeholder sign-off": False}
    assert all(i.green for i in after), [(i.name, i.reason) for i in after]
    inventory = next(i for i in after if i.name == "Call-type inventory").detail
    assert inventory["types"][0]["call_type"] == "booking" and inventory["days"] == 31


def test_flows_check_reports_missing_scenarios_and_thin_nlu_data(tree):
    scaffold("whitening_promo", tree / "flows", tree / "nlu_data", tree / "scenarios")
    (tree / "scenarios" / "whitening_promo.yaml").unlink()
    world = load_world(tree / "flows", tree / "nlu_data")
    problems = coverage(world, tree / "nlu_data", tree / "scenarios")
    assert "whitening_promo: intent 'whitening_promo' has 3 examples (at least 20 needed)" \
        in problems
    assert any("whitening_promo: no scenario" in p for p in problems)
    assert not [p for p in problems if not p.startswith("whitening_promo")]


HUBSPOT = ("Record ID,First Name,Last Name,Email,Phone Number,Last Activity Date,"
           "Company Name,Annual Revenue\n") + """\
1,John,Smith,john@example.com,(413) 555-0142,2026-10-01,Smith Family,5000
2,John,Smith,,413-555-0142,,Smith Family,5000
3,Jon,Smith,jon.smith@example.com,+1 413 555 0142,2026-09-01,Smith Family,5000
4,Mary,Jones,mary@example,12345,2026-10-02,Jones Household,100
5,,,,+14135550199,,,
6,Peter,Parker,peter@example.com,+14135550166,2026-10-03,Parker Inc,90000
"""


def test_crm_import_and_audit_find_gaps_exact_and_near_duplicates(tmp_path, engine):
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT)
    with engine.begin() as conn:
        report = crm_hygiene.import_csv(conn, export)
        audit = crm_hygiene.audit(conn)
    assert report.mapping == "hubspot" and report.added == 5
    assert report.rejected == [(6, "no first or last name")]
    assert audit["fields"]["phone"]["records"] == [4]
    assert audit["fields"]["email"]["records"] == [2, 4]
    assert audit["fields"]["last_interaction_at"]["records"] == [2]
    assert not audit["passes"]
    kinds = {(d["kind"], tuple(d["ids"])) for d in audit["duplicates"]}
    assert ("exact", (1, 2)) in kinds and ("near", (1, 3)) in kinds
    assert all(d["top_account"] for d in audit["duplicates"])
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar() == 5


def test_nothing_is_merged_without_the_merge_command(tmp_path, engine):
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT)
    with engine.begin() as conn:
        crm_hygiene.import_csv(conn, export)
        conn.execute(appointments.insert().values(
            contact_id=2, provider_id="patel", appointment_type="checkup", start=to_db(NOW),
            end=to_db(NOW + timedelta(minutes=30)), status="booked", created_at=to_db(NOW)))
        result = crm_hygiene.merge(conn, 1, [2, 3])
        audit = crm_hygiene.audit(conn)
    assert result == {"kept": 1, "merged": [2, 3], "filled": []}
    assert [r.contact_id for r in rows(engine, appointments)] == [1]
    assert audit["duplicates"] == []


def test_salesforce_and_custom_mappings(tmp_path, engine):
    sf = tmp_path / "sf.csv"
    sf.write_text("Contact ID,First Name,Last Name,Email,Phone,Birthdate,Last Activity,"
                  "Account Name\n003A,Ana,Ruiz,ana@example.com,4135550123,03/03/1985,"
                  "10/01/2026,Ruiz\n")
    custom = tmp_path / "map.yaml"
    custom.write_text("first_name: given\nlast_name: family\nphone: tel\n")
    other = tmp_path / "other.csv"
    other.write_text("given,family,tel\nBo,Li,413 555 0100\n")
    with engine.begin() as conn:
        assert crm_hygiene.import_csv(conn, sf).mapping == "salesforce"
        assert crm_hygiene.import_csv(conn, other, str(custom)).added == 1
        ana, bo = [dict(r._mapping) for r in conn.execute(sa.select(contacts)
                                                          .order_by(contacts.c.id))]
    assert ana["phone"] == "+14135550123" and str(ana["dob"]) == "1985-03-03"
    assert ana["external_id"] == "003A" and bo["phone"] == "+14135550100"


def test_going_live_is_refused_while_qa_failures_rise(tree, engine):
    from receptionist.rollout import qa

    scaffold("whitening_promo", tree / "flows", tree / "nlu_data", tree / "scenarios")
    world = load_world(tree / "flows", tree / "nlu_data")
    with engine.begin() as conn:
        make_ready(conn, tree)
        for i in range(60):
            recent = i >= 30
            started = NOW - timedelta(days=(3 if recent else 20), minutes=i)
            conn.execute(calls.insert().values(
                sid=f"CQ{i:032d}", caller="+1", called="", started_at=to_db(started),
                status="completed", call_type="book_appointment", state={}, version=1,
                updated_at=to_db(started)))
            if i % 3 == 0:
                qa.review(conn, f"CQ{i:032d}", "p", "rita", accuracy=1 if recent else 4,
                          brand_voice=4, escalation_correct=True, satisfaction=4)
        with pytest.raises(RolloutRefused, match="QA failures rose from 0% to 100%"):
            promote(conn, world, tree / "flows", "whitening_promo", "ops", to="live", now=NOW)
