"""Compliance controls: audit chain, encryption, redaction, consent, minimisation, TCPA."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from receptionist.app import create_app
from receptionist.compliance import audit, retention, tcpa
from receptionist.compliance.redact import redact, strip_cards
from receptionist.config.compliance import ComplianceSettings, load_compliance
from receptionist.config.settings import ROOT
from receptionist.core.errors import ConfigError
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.storage.crypto import KeyError_, Keyring, load_keyring, new_key
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade
from receptionist.storage.tables import calls, handoffs, turns
from tests.conftest import KEYRING, TOKEN, rows

RULES = load_compliance(ROOT / "flows" / "settings" / "compliance.yaml").tcpa


def raw_text(engine):
    """Everything stored in the call tables, as the database holds it."""
    with engine.connect() as conn:
        return " ".join(str(tuple(r)) for t in (calls, turns) for r in conn.execute(sa.select(t)))


# -- audit log ----------------------------------------------------------------------------------
@pytest.fixture
def chain(caller, db):
    caller.call(["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am", "yes",
                 "no"], caller="+14135550123")
    caller.call(["can I talk to a person"])
    with db.connect() as conn:
        assert audit.verify(conn).ok and audit.verify(conn).entries >= 6
    return db


def test_decisions_are_audited(chain):
    kinds = [r.kind for r in rows(chain, audit.audit_log)]
    assert {"consent", "command", "handoff", "crm_write"} <= set(kinds)
    commands = [r.detail for r in rows(chain, audit.audit_log) if r.kind == "command"]
    assert any('"book_appointment"' in d for d in commands)


def test_the_database_refuses_edits_and_deletes_of_audit_entries(chain):
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with chain.begin() as conn:
            conn.execute(audit.audit_log.update().values(actor="mallory"))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with chain.begin() as conn:
            conn.execute(audit.audit_log.delete())


def _tamper(engine, statement):
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        for part in statement.split(";"):
            conn.exec_driver_sql(part)
    with engine.connect() as conn:
        return audit.verify(conn)


def test_an_edited_entry_is_found(chain):
    verdict = _tamper(chain, "UPDATE audit_log SET detail = '{\"ok\": false}' WHERE id = 3")
    assert (verdict.ok, verdict.broken_at) == (False, 3) and "edited" in verdict.problem


def test_a_deleted_entry_is_found(chain):
    verdict = _tamper(chain, "DELETE FROM audit_log WHERE id = 2")
    assert (verdict.ok, verdict.broken_at) == (False, 2) and "deleted" in verdict.problem


def test_reordered_entries_are_found(chain):
    verdict = _tamper(chain, "UPDATE audit_log SET id = -2 WHERE id = 2;"
                             "UPDATE audit_log SET id = 2 WHERE id = 3;"
                             "UPDATE audit_log SET id = 3 WHERE id = -2")
    assert not verdict.ok and verdict.broken_at == 2


def test_a_rehashed_chain_is_caught_by_the_signature(caller, db, monkeypatch):
    monkeypatch.setenv("AUDIT_SIGNING_KEY", "kept-outside-the-database")
    caller.call(["what are your hours", "no"])
    import hashlib

    with db.connect() as conn:
        first = conn.execute(sa.select(audit.audit_log).order_by(audit.audit_log.c.id)).first()
    forged = hashlib.sha256(audit._canonical(first.at.isoformat(), "mallory", first.kind,
                                             first.detail, first.prev_hash)).hexdigest()
    verdict = _tamper(db, f"UPDATE audit_log SET actor = 'mallory', hash = '{forged}' "
                          f"WHERE id = {first.id}")
    assert not verdict.ok and verdict.broken_at in (first.id, first.id + 1)


# -- encryption ---------------------------------------------------------------------------------
def test_transcripts_and_handoffs_are_encrypted_at_rest(caller, db):
    caller.call(["I'd like to leave a message for Dr. Lee", "John Smith", "this number",
                 "my crown feels loose", "no"])
    caller.call(["this is Maria Garcia, get me a human"])
    stored = raw_text(db)
    assert "crown feels loose" not in stored and "Maria Garcia" not in stored
    assert "enc:v1:test2:" in stored
    [h] = rows(db, handoffs)
    assert ["caller", "this is Maria Garcia, get me a human"] in h.transcript


def test_a_wrong_or_missing_key_is_a_clear_error_never_garbage():
    data = KEYRING.encrypt("date of birth 1985-03-03")
    other = Keyring({"test2": b"\x09" * 32}, "test2")
    with pytest.raises(KeyError_, match="wrong key material"):
        other.decrypt(data)
    with pytest.raises(KeyError_, match="key 'test2', which is not configured"):
        Keyring({"k9": b"\x09" * 32}, "k9").decrypt(data)
    with pytest.raises(KeyError_, match="32"):
        load_keyring({"RECEPTIONIST_DATA_KEYS": "k1:" + "QUJD"})
    assert KEYRING.decrypt(data) == "date of birth 1985-03-03"


def test_a_wrong_key_mid_call_still_transfers_the_caller(settings, nlu, clock):
    app = create_app(settings, nlu=nlu, clock=clock, keyring=KEYRING)
    caller = Caller(flask_transport(app), TOKEN)
    form = {"CallSid": "CA" + "5" * 32, "From": "+14135550142", "To": "+14135550100"}
    caller.post("/twilio/voice", form)
    app.extensions["receptionist"].service.crypt = Keyring({"test2": b"\x07" * 32}, "test2")
    doc = caller.post("/twilio/gather?turn=1", form | {"SpeechResult": "what are your hours"})
    assert "something went wrong" in doc and "<Dial>+14135550101</Dial>" in doc


def test_key_rotation_re_encrypts_under_the_new_key(caller, db):
    caller.call(["what are your hours", "no"])
    rotated = Keyring(dict(KEYRING.keys) | {"test3": b"\x03" * 32}, "test3")
    with db.begin() as conn:
        counts = retention.rotate_keys(conn, rotated)
    assert counts["calls"] == 1 and counts["turns"] >= 3
    stored = raw_text(db)
    assert "enc:v1:test3:" in stored and "enc:v1:test2:" not in stored
    [call] = rows(db, calls, keyring=rotated)
    assert call.state["call_type"] == "practice_info"


# -- redaction and PCI --------------------------------------------------------------------------
CORPUS = [
    ("call me on (413) 555-0142", "(413) 555-0142"), ("my cell is 413.555.0199", "413.555.0199"),
    ("reach me at +14135550123", "+14135550123"), ("born 03/03/1985", "03/03/1985"),
    ("DOB 1985-03-03", "1985-03-03"), ("birthday March 3rd, 1985", "March 3rd, 1985"),
    ("born the 4th of July 1976", "4th of July 1976"), ("ssn 123-45-6789", "123-45-6789"),
    ("email maria.garcia+dental@example.co.uk", "maria.garcia+dental@example.co.uk"),
    ("visa 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("amex 3782-822463-10005", "3782-822463-10005"),
]


@pytest.mark.parametrize("text,secret", CORPUS)
def test_redaction_masks_personal_data(text, secret):
    out = redact(text)
    assert secret not in out and "[" in out


def test_numbers_that_are_not_cards_survive_card_stripping():
    assert strip_cards("order 1234567890123 shipped") == "order 1234567890123 shipped"


def test_a_card_number_spoken_by_a_caller_is_never_stored(caller, db):
    caller.call(["I want to pay my bill with card four one one one one one one one one one one "
                 "one one one one one", "4111 1111 1111 1111", "no"])
    stored = " ".join(str(r.__dict__) for r in rows(db, turns)) + " ".join(
        str(r.state) for r in rows(db, calls))
    assert "4111" not in stored and "four one one one one" not in stored
    assert "[card number removed]" in stored


def test_logs_are_redacted(caplog):
    from receptionist.compliance.redact import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.WARNING, logger="receptionist"):
        logging.getLogger("receptionist").warning("caller %s born %s", "+14135550123",
                                                  "03/03/1985")
    assert "+14135550123" not in caplog.text and "[phone]" in caplog.text


# -- consent and minimisation -------------------------------------------------------------------
def test_refusing_recording_stops_transcript_storage_and_is_audited(caller, db):
    result = caller.call(["what are your hours", "no recording please", "where do I park",
                          "no"])
    assert "won't keep a recording" in result.turns[2]["receptionist"]
    later = [t for t in rows(db, turns) if t.seq >= 3]
    assert later and all(t.caller_text is None and t.reply is None for t in later)
    [call] = rows(db, calls)
    assert call.state["transcript"] == [] and call.state["consent"] == "refused"
    consent = [r.detail for r in rows(db, audit.audit_log) if r.kind == "consent"]
    assert any('"refused"' in d for d in consent)


def test_only_declared_slots_survive_the_call(caller, db):
    caller.call(["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am", "yes",
                 "no"], caller="+14135550123")
    [call] = rows(db, calls)
    assert set(call.state["slots"]) <= {"patient", "appointment_type", "booking", "start_intent"}
    assert "dob" not in call.state["slots"] and "booking" in call.state["slots"]


def test_voice_biometrics_cannot_be_enabled_without_a_consent_step(tmp_path):
    path = tmp_path / "compliance.yaml"
    path.write_text('version: "1"\nvoice_biometrics: {enabled: true}\n')
    with pytest.raises(ConfigError, match="without an explicit consent step"):
        load_compliance(path)
    assert ComplianceSettings().voice_biometrics.enabled is False


def test_retention_purges_old_transcripts_and_records_it(caller, db):
    caller.call(["what are your hours", "no"])
    settings = ComplianceSettings().retention
    with db.begin() as conn:
        nothing = retention.run(conn, settings, datetime.now(UTC), KEYRING)
        later = retention.run(conn, settings, datetime.now(UTC) + timedelta(days=400), KEYRING)
    assert nothing["calls"] == 0 and later["calls"] == 1 and later["turns"] >= 3
    [call] = rows(db, calls)
    assert call.state["transcript"] == []
    assert [r.kind for r in rows(db, audit.audit_log)].count("retention") == 2


# -- TCPA ---------------------------------------------------------------------------------------
class RecordingDialer:
    def __init__(self):
        self.sent = []

    def dial(self, to, ticket_id):
        self.sent.append(to)
        return "CA-fake"


@pytest.fixture
def outbound(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tcpa.sqlite3'}")
    upgrade(engine)
    with engine.begin() as conn:
        for number in ("+12125550100", "+13105550100", "+13055550100", "+13125550100"):
            tcpa.record_consent(conn, number, "signed intake form")
    return engine


def decide(engine, number, when):
    dialer = RecordingDialer()
    with engine.begin() as conn:
        decision = tcpa.attempt(conn, number, when, RULES, dialer)
    return decision, dialer.sent


def test_no_written_consent_blocks_and_is_logged(outbound):
    decision, sent = decide(outbound, "+16175550100", datetime(2026, 11, 23, 16, tzinfo=UTC))
    assert (decision.allowed, decision.rule, sent) == (False, "no_written_consent", [])
    with outbound.connect() as conn:
        [row] = conn.execute(sa.select(tcpa.attempts)).all()
    assert row.rule == "no_written_consent" and not row.allowed


def test_the_do_not_call_list_blocks(outbound, tmp_path):
    (tmp_path / "dnc.csv").write_text("phone\n(212) 555-0100\n")
    with outbound.begin() as conn:
        assert tcpa.import_dnc(conn, tmp_path / "dnc.csv") == 1
    decision, sent = decide(outbound, "+12125550100", datetime(2026, 11, 23, 16, tzinfo=UTC))
    assert decision.rule == "do_not_call" and sent == []


def test_the_calling_window_is_the_callees_local_time(outbound):
    at = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 08:30 New York, 05:30 Los Angeles
    assert decide(outbound, "+12125550100", at)[0].allowed
    la, sent = decide(outbound, "+13105550100", at)
    assert la.rule == "calling_window" and "05:30" in la.detail and sent == []


def test_state_overlays_narrow_the_window(outbound):
    at = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 20:30 in Miami and New York
    florida, _ = decide(outbound, "+13055550100", at)
    assert florida.rule == "calling_window" and "Florida overlay" in florida.detail
    assert decide(outbound, "+12125550100", at)[0].allowed


@pytest.mark.parametrize("utc,allowed", [
    (datetime(2026, 3, 8, 12, 30, tzinfo=UTC), True),     # 08:30 EDT, the day DST starts
    (datetime(2026, 3, 7, 12, 30, tzinfo=UTC), False),    # 07:30 EST, the day before
    (datetime(2026, 11, 2, 1, 30, tzinfo=UTC), True),     # 20:30 EST, the day DST ended
    (datetime(2026, 10, 31, 1, 30, tzinfo=UTC), False),   # 21:30 EDT, before it ended
])
def test_windows_follow_daylight_saving_changes(outbound, utc, allowed):
    assert decide(outbound, "+12125550100", utc)[0].allowed is allowed


def test_the_compliance_report_lists_the_controls(caller, db, settings, nlu_model_dir,
                                                  tmp_path):
    import json
    import os
    import subprocess
    import sys

    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"active": "k1", "keys": {"k1": new_key()}}))
    env = dict(os.environ, RECEPTIONIST_KEY_FILE=str(keys), NLU_MODEL_DIR=str(nlu_model_dir),
               DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "compliance", "report",
                           "--json"], capture_output=True, text=True, env=env, cwd=ROOT)
    report = json.loads(done.stdout)
    assert done.returncode == 1  # the reference practice's BAA is not signed yet
    assert report["controls"]["baa"]["in_force"] is False
    assert report["controls"]["encryption_at_rest"]["active_key"] == "k1"
    assert report["controls"]["audit_log"]["chain"] == "intact"
    assert report["controls"]["voice_biometrics"]["enabled"] is False


def test_staff_data_access_from_the_command_line_is_audited(nlu_model_dir, tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, NLU_MODEL_DIR=str(nlu_model_dir),
               DATABASE_URL=f"sqlite:///{tmp_path / 'a.sqlite3'}")
    for command in (["crm", "audit"], ["readiness"], ["audit", "verify"]):
        subprocess.run([sys.executable, "-m", "receptionist.cli", *command], env=env, cwd=ROOT,
                       capture_output=True, text=True)
    engine = make_engine(env["DATABASE_URL"])
    whats = [r.detail for r in rows(engine, audit.audit_log) if r.kind == "data_access"]
    assert any('"crm audit"' in w for w in whats) and any('"readiness"' in w for w in whats)
    with engine.connect() as conn:
        assert audit.verify(conn).ok
