"""Live shadow: the front desk answers, the receptionist listens to both tracks and never acts."""

import os
import subprocess
import sys
from dataclasses import replace

import pytest
import sqlalchemy as sa

from receptionist.app import create_app
from receptionist.config.settings import ROOT
from receptionist.simulation.audio_caller import espeak_voice
from receptionist.simulation.server import LocalServer, shadow_call
from receptionist.storage.tables import metadata
from shadow_mode import store as shadow_store
from tests.conftest import KEYRING, TOKEN

CONVERSATION = [
    ("staff", "Bright Smile Dental, this is Karen, how can I help you"),
    ("caller", "I'd like to book a cleaning"),
    ("staff", "sure, can I have your date of birth"),
    ("caller", "March third nineteen eighty five"),
    ("staff", "thank you Maria, when would you like to come in"),
    ("caller", "Wednesday at nine am"),
    ("staff", "you are booked for Wednesday at nine"),
]


@pytest.fixture
def shadow_app(settings, nlu, clock, speech):
    return create_app(replace(settings, shadow_mode="all", shadow_pilot="week-1"), nlu=nlu,
                      clock=clock, keyring=KEYRING, speech=speech)


def counts(app):
    engine = app.extensions["receptionist"].engine
    present = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables if t.name in present}


def test_shadow_mode_keeps_the_human_path_and_only_listens(shadow_app, caller_voice, tmp_path):
    voices = {"caller": caller_voice, "staff": espeak_voice("en-us", 170)}
    before = counts(shadow_app)
    with LocalServer(shadow_app) as server:
        call = shadow_call(server.url, TOKEN, CONVERSATION, voices)
    # exactly the practice's own path, plus the fork of both tracks
    front_desk = shadow_app.extensions["receptionist"].front_desk()
    assert call["twiml"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Start>'
        f'<Stream track="both_tracks" url="ws://127.0.0.1:{server.url.rsplit(":", 1)[1]}'
        '/twilio/stream"><Parameter name="mode" value="shadow" />'
        '<Parameter name="from" value="+14135550123" /></Stream></Start>'
        f'<Dial>{front_desk}</Dial></Response>')
    assert call["sent_back"] == []  # not a frame of audio, not a mark
    after = counts(shadow_app)
    changed = {t for t in after if after[t] != before.get(t)}
    assert changed == {"shadow_calls"}  # no calls, appointments, outbox rows, tickets, audits

    rec = shadow_app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        (result,) = shadow_store.load(conn, "week-1", rec.service.crypt)
    assert result["call_type"] == "book_appointment"
    assert result["escalation"] is None
    assert [d["intent"] for d in result["decisions"]][:1] == ["book_appointment"]
    assert all("t" in d and "reply" in d for d in result["decisions"])
    # what it would have written is recorded, and (above) nothing was written
    assert "write_back_summary" in [c["action"] for c in result["would_have_done"]]
    assert "Would you like me to book it?" in result["decisions"][-1]["reply"]
    assert [t["speaker"] for t in result["transcript"]][:2] == ["staff", "caller"]
    # unlabelled, the live pilot is reported all the same: counted, and what the AI would do
    from shadow_mode import report

    gates = report.load_gates(ROOT / "shadow_mode" / "gates.yaml")
    pending = report.build([result], gates)
    assert pending["figures"]["calls"] == 1 and pending["figures"]["labelled"] == 0
    assert pending["unlabelled"][0]["decisions"] and pending["verdict"] == "NO-GO"
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "shadow", "report",
                           "--pilot", "week-1", "--out", str(tmp_path / "report")],
                          env=dict(os.environ, DATABASE_URL=shadow_app.extensions[
                              "receptionist"].settings.database_url),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "1/50 calls, 0 labelled" in done.stdout, done.stderr[-1500:]
    # labelled, it feeds the same report as replayed ones

    human = {"call_type": "book_appointment", "escalated": False, "escalation_reason": None,
             "resolved": True}
    built = report.build([result | {"human": human}],
                         report.load_gates(ROOT / "shadow_mode" / "gates.yaml"))
    assert built["figures"]["in_scope_call_type_agreement"] == 1.0


def test_a_missed_escalation_would_show_in_the_shadow_log(shadow_app, caller_voice):
    voices = {"caller": caller_voice, "staff": caller_voice}
    with LocalServer(shadow_app) as server:
        shadow_call(server.url, TOKEN, [("caller", "my face is swollen and I can't breathe"),
                                        ("staff", "okay let me help you")], voices)
    rec = shadow_app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        (result,) = shadow_store.load(conn, "week-1", rec.service.crypt)
    assert result["escalation"] == "safety"
    assert result["decisions"][0]["transfer_to"] == "front_desk"


def test_numbers_not_in_shadow_mode_are_answered_as_usual(settings, nlu, clock, speech):
    from receptionist.simulation.caller import Caller, flask_transport

    app = create_app(replace(settings, shadow_mode="+14135550999"), nlu=nlu, clock=clock,
                     keyring=KEYRING, speech=speech)
    c = Caller(flask_transport(app), TOKEN)
    plain = c.post("/twilio/voice", {"CallSid": "CA" + "2" * 32, "From": "+14135550142",
                                     "To": "+14135550100"})
    assert "<Gather" in plain and "<Stream" not in plain and "<Dial" not in plain
    shadowed = c.post("/twilio/voice", {"CallSid": "CA" + "3" * 32, "From": "+14135550142",
                                        "To": "+14135550999"})
    assert "<Start><Stream" in shadowed and "<Dial>" in shadowed
