"""Shadow mode offline: replay never acts, the report's figures and gates, labels, regression."""

import json

import pytest
import sqlalchemy as sa

from integrations.seed import seed_demo
from integrations.sql import appointments, contacts, tickets, timeline
from receptionist.compliance.audit import audit_log
from receptionist.config.settings import ROOT
from receptionist.core.errors import ConfigError
from receptionist.service.world import load_world
from receptionist.simulation import runner, scenarios
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade
from receptionist.storage.tables import calls, outbox, turns
from shadow_mode import report as pilot
from shadow_mode.importers import from_csv, to_scenario, write_scenarios
from shadow_mode.replay import BadPilotLine, read_calls, replay

SAMPLE = ROOT / "shadow_mode" / "sample_pilot.jsonl"
TABLES = (appointments, contacts, tickets, timeline, calls, turns, outbox, audit_log)


@pytest.fixture(scope="module")
def world():
    return load_world(ROOT / "flows", ROOT / "nlu_data")


@pytest.fixture
def crm(tmp_path, world):
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    upgrade(engine)
    with engine.begin() as conn:
        seed_demo(conn, world.profile)
    return engine


@pytest.fixture
def results(world, nlu, crm):
    return list(replay(read_calls(SAMPLE), world, nlu, crm))


def counts(engine):
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in TABLES}


def test_replay_never_acts_but_records_what_it_would_have_done(world, nlu, crm):
    before = counts(crm)
    results = list(replay(read_calls(SAMPLE), world, nlu, crm))
    assert counts(crm) == before  # no bookings, CRM writes, tickets, outbox rows or calls
    done = [c["action"] for r in results for c in r["would_have_done"]]
    assert "book_appointment" in done and "create_ticket" in done
    assert "write_back_summary" in done


def test_each_call_has_the_fields_a_pilot_needs(results):
    assert len(results) == 50
    first = results[0]
    assert {"call_id", "call_type", "escalation", "would_contain", "decisions"} <= set(first)
    assert first["call_type"] == "book_appointment" and first["would_contain"] is True
    assert first["decisions"][0]["caller"] == "hi Karen, I need to book a cleaning"
    assert first["decisions"][0]["intent"] == "book_appointment"
    safety = [r for r in results if r["human"]["escalation_reason"] == "safety"]
    assert safety and all(r["escalation"] == "safety" for r in safety)


def test_the_sample_pilot_passes_its_gates(results):
    built = pilot.build(results, pilot.load_gates(ROOT / "shadow_mode" / "gates.yaml"))
    assert built["verdict"] == "GO" and built["progress"] == "50/50 calls, 50 labelled"
    assert built["figures"]["missed_always_escalate"] == 0
    assert built["figures"]["in_scope_call_type_agreement"] >= 0.85
    pairs = {(c["ai"], c["human"]): c["calls"] for c in built["escalation_confusion"]}
    assert pairs[("safety", "safety")] == 2


def test_a_missed_safety_call_fails_the_pilot_and_is_listed_with_its_transcript(results,
                                                                               tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("call_id,call_type,escalated,escalation_reason,resolved\n"
                      "pilot-012,practice_info,yes,safety,no\n")
    assert pilot.apply_labels(results, labels) == 1
    built = pilot.build(results, pilot.load_gates(ROOT / "shadow_mode" / "gates.yaml"))
    assert built["verdict"] == "NO-GO"
    [missed] = built["missed_always_escalate"]
    assert missed["call_id"] == "pilot-012" and "caller: what are your hours" in \
        missed["transcript"]
    failed = {g["gate"] for g in built["gates"] if not g["passed"]}
    assert failed >= {"max_missed_safety", "max_missed_always_escalate"}
    paths = pilot.write(built, tmp_path / "out")
    page = paths["html"].read_text()
    assert "NO-GO" in page and "pilot-012" in page and page.count("data:image/png") == 2
    assert json.loads(paths["json"].read_text())["verdict"] == "NO-GO"


def test_a_short_pilot_says_how_far_it_has_come(results):
    built = pilot.build(results[:37], pilot.load_gates(ROOT / "shadow_mode" / "gates.yaml"))
    assert built["progress"] == "37/50 calls, 37 labelled" and built["verdict"] == "NO-GO"


def test_a_partly_labelled_pilot_reports_agreement_on_the_labelled_calls(results, tmp_path):
    """Live-shadowed calls arrive unlabelled: they count toward the 50 and show what the AI
    would have done; agreement is computed on the labelled ones, and the report says so."""
    partly = [r | {"human": {}} if n % 3 == 0 else r for n, r in enumerate(results)]
    gates = pilot.load_gates(ROOT / "shadow_mode" / "gates.yaml")
    built = pilot.build(partly, gates)
    labelled = [r for r in partly if r["human"]]
    assert built["figures"]["calls"] == len(partly)
    assert built["figures"]["labelled"] == len(labelled)
    assert built["figures"]["in_scope_call_type_agreement"] == \
        pilot.build(labelled, gates)["figures"]["in_scope_call_type_agreement"]
    assert len(built["unlabelled"]) == len(partly) - len(labelled)
    assert all(u["decisions"] for u in built["unlabelled"])  # what the AI would have done
    page = pilot.to_html(built)
    assert "Not labelled yet" in page and f"{len(labelled)}\nlabelled calls" in page


def test_a_bad_pilot_line_is_named(tmp_path):
    bad = tmp_path / "pilot.jsonl"
    bad.write_text('{"call_id": "x", "from": "+1", "started_at": "2026-11-02T09:00", '
                   '"turns": []}\n{"call_id": "y"}\n')
    with pytest.raises(BadPilotLine, match="pilot.jsonl:2"):
        list(read_calls(bad))


def test_a_call_log_csv_becomes_a_pilot(tmp_path):
    export = tmp_path / "log.csv"
    export.write_text('Call SID,From,Start Time,Transcript,Call Type,Transferred,Resolved\n'
                      'CA1,+14135550142,2026-11-02T09:00:00,"Staff: Bright Smile | Caller: what '
                      'are your hours | Caller: thanks",practice_info,no,yes\n')
    [call] = from_csv(export)
    assert call["turns"][0] == {"speaker": "staff", "text": "Bright Smile", "t": 0.0}
    assert call["turns"][1]["speaker"] == "caller" and call["human"]["resolved"] is True
    broken = tmp_path / "broken.csv"
    broken.write_text("Call SID,From,Start Time\nCA2,+1,2026-11-02\n")
    with pytest.raises(ConfigError, match="broken.csv:2"):
        from_csv(broken)


def test_disagreements_become_regression_scenarios(results, world, tmp_path, nlu):
    # the front desk says the first two calls were something else than the AI thought
    other = {"practice_info": "take_message"}
    disagreeing = [r | {"human": r["human"] | {"call_type": other.get(r["call_type"],
                                                                       "practice_info")}}
                   for r in results[:2]]
    assert all(r["call_type"] != r["human"]["call_type"] for r in disagreeing)
    path = write_scenarios([to_scenario(r, world.profile.tz) for r in disagreeing],
                           tmp_path / "pilot.yaml")
    items = scenarios.load([path])
    assert len(items) == len(disagreeing)
    ran = runner.run(items, nlu=nlu)
    # the checks fail today, exactly where the AI and the front desk disagreed
    assert all(not r.passed for r in ran)


def test_staff_label_stored_pilot_calls_in_the_dashboard(results, settings, nlu, clock):
    import re
    from dataclasses import replace

    from receptionist.app import create_app
    from receptionist.dashboard.auth import add_user
    from shadow_mode import store
    from tests.conftest import KEYRING

    app = create_app(replace(settings, extra={"secret_key": "s"}), nlu=nlu, clock=clock)
    engine = app.extensions["receptionist"].engine
    with engine.begin() as conn:
        store.save(conn, "week-1", results, KEYRING)
        add_user(conn, "rita", "correct horse battery", "reviewer")
        add_user(conn, "vera", "correct horse battery", "viewer")
    with engine.connect() as conn:
        raw = conn.execute(sa.select(store.shadow_calls.c.result)).first()[0]
    assert set(raw) == {"enc"}  # transcripts are encrypted at rest

    def login(name):
        client = app.test_client()
        token = re.search(r'name="csrf" (?:value|content)="([^"]+)"',
                          client.get("/dashboard/login").get_data(True)).group(1)
        client.post("/dashboard/login", data={"username": name, "password":
                                               "correct horse battery", "csrf": token})
        return client

    assert login("vera").get("/dashboard/shadow").status_code == 403
    client = login("rita")
    page = client.get("/dashboard/shadow").get_data(True)
    assert "week-1</a>: 50 calls, 0 labelled" in page and "hi Karen, I need to book" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/dashboard/shadow/pilot-012", data={
        "csrf": token, "pilot": "week-1", "call_type": "practice_info",
        "escalation_reason": "safety"})
    with engine.connect() as conn:
        labelled = store.load(conn, "week-1", KEYRING)
    built = pilot.build(labelled, pilot.load_gates(ROOT / "shadow_mode" / "gates.yaml"))
    assert built["verdict"] == "NO-GO"
    assert [m["call_id"] for m in built["missed_always_escalate"]] == ["pilot-012"]
    assert "1 labelled" in client.get("/dashboard/shadow").get_data(True)
