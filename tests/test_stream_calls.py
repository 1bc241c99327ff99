"""Full calls over the Media Streams WebSocket: synthesised speech in, synthesised speech out."""

import json

import numpy as np
import pytest
import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from receptionist.simulation.audio_caller import espeak_voice
from receptionist.storage import tables
from receptionist.storage.crypto import open_json
from tests.conftest import TOKEN

MARIA = "+14135550123"
NOISY_SNR = 25  # dB: a busy waiting room behind the caller
BOOKING = ["I'd like to book a cleaning", "March third nineteen eighty five",
           "Wednesday at nine am", "yes", "no"]


def intents(app, sid):
    """The intents the receptionist recognised on each caller turn, from its own records."""
    rec = app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.turns.c.nlu).where(tables.turns.c.call_sid == sid)
                            .order_by(tables.turns.c.id)).scalars().all()
    return [(open_json(rec.service.crypt, raw) or {}).get("intent") for raw in rows]


def test_a_booking_call_by_voice(audio_caller, stream_app):
    result = audio_caller().call(BOOKING, caller=MARIA)
    assert result.outcome["disposition"] == "booked", result.turns
    assert result.outcome["flow"] == "book_appointment"
    heard = [t["heard"] for t in result.turns[1:]]
    assert heard[0] == "i'd like to book a cleaning"
    assert "1985" in heard[1] and "march" in heard[1]
    assert "9 am" in heard[2]
    assert "Wednesday" in result.turns[3]["receptionist"]
    assert "book_appointment" in intents(stream_app, result.call_sid)
    assert len(result.received) > 50 * 10  # the receptionist spoke: > 10 s of 20 ms frames


def test_a_booking_call_in_background_noise(audio_caller):
    result = audio_caller(snr_db=NOISY_SNR).call(BOOKING, caller=MARIA)
    assert result.outcome["disposition"] == "booked", result.turns


def test_an_accented_caller_asks_for_the_hours(audio_caller):
    """espeak-ng's voice is much further from the acoustic model than Piper's: a harder accent."""
    result = audio_caller(voice=espeak_voice("en-us", 150)).call(
        ["what are your opening hours", "no"])
    assert result.outcome["flow"] == "practice_info", result.turns
    assert "8" in result.turns[1]["receptionist"] or "hours" in result.turns[1]["receptionist"]


def test_barge_in_asking_for_a_person_mid_prompt(audio_caller):
    result = audio_caller().call(
        ["I'd like to book a cleaning", "BARGE:1000:can I talk to a real person"], caller=MARIA)
    assert result.barge_ins == 1  # Twilio was told to clear the receptionist's audio
    assert result.outcome["escalation"] == "human_request"
    assert result.outcome["status"] == "transferred"
    assert result.turns[-1]["receptionist"].startswith("Of course")
    # the stream ends and <Connect action> answers with the warm transfer
    assert result.as_json()["audio"]["after_stream"] == ["Dial"]
    assert "whisper" in result.twiml_after_stream


def test_keypad_zero_reaches_a_person_during_a_question(audio_caller):
    result = audio_caller().call(["I'd like to book a cleaning", "DTMF:0"], caller=MARIA)
    assert result.outcome["escalation"] == "human_request"
    assert "<Dial" in result.twiml_after_stream and "+1" in result.twiml_after_stream


def test_silence_gets_a_reprompt_then_a_polite_end(audio_caller):
    result = audio_caller().call(["<silence>", "<silence>", "<silence>"])
    said = " ".join(t["receptionist"] for t in result.turns)
    assert "Are you still there?" in said, said
    assert result.outcome["status"] in ("ended", "completed", "transferred")


def test_a_safety_phrase_in_noise_is_escalated(audio_caller):
    result = audio_caller(snr_db=NOISY_SNR).call(
        ["I'd like to book a cleaning", "my face is swollen and I can't breathe"], caller=MARIA)
    assert result.outcome["escalation"] == "safety", [t.get("heard") for t in result.turns]


def test_voice_webhook_in_local_mode_connects_a_stream(stream_app, caller):
    from receptionist.simulation.caller import Caller, flask_transport

    c = Caller(flask_transport(stream_app), TOKEN)
    form = {"CallSid": "CA" + "1" * 32, "From": MARIA, "To": "+14135550100"}
    doc = c.post("/twilio/voice", form)
    assert doc == ('<?xml version="1.0" encoding="UTF-8"?><Response>'
                   '<Connect action="/twilio/connect?stream=0" method="POST">'
                   '<Stream url="ws://localhost/twilio/stream">'
                   '<Parameter name="turn" value="0" /></Stream></Connect></Response>')
    # the stream died before deciding anything: the caller still reaches a person
    fallback = c.post("/twilio/connect?stream=0", form)
    assert "<Dial>" in fallback and "something went wrong" in fallback


def test_forged_stream_handshake_is_refused(audio_server):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    url = audio_server.url.replace("http", "ws") + "/twilio/stream"
    with pytest.raises(InvalidStatus) as err:
        connect(url, additional_headers={"X-Twilio-Signature": "forged"})
    assert err.value.response.status_code == 403


def test_stream_for_an_unknown_call_is_closed(audio_server, caplog):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = audio_server.url.replace("http", "ws") + "/twilio/stream"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    with connect(url, additional_headers={"X-Twilio-Signature": signature}) as ws:
        ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        ws.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": {
            "streamSid": "MZ1", "callSid": "CAnope", "customParameters": {"turn": "0"},
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
        with pytest.raises((ConnectionClosed, TimeoutError)):  # not a word of audio
            ws.recv(timeout=5)
    assert "stream for unknown call CAnope" in caplog.text


def test_outgoing_messages_follow_twilios_protocol(audio_caller, monkeypatch):
    """Every frame the receptionist sends is 20 ms of base64 µ-law addressed to the stream."""
    from receptionist.simulation import audio_caller as module

    seen = []
    original = module.AudioCaller._got

    def spy(self, message):
        seen.append(message)
        original(self, message)

    monkeypatch.setattr(module.AudioCaller, "_got", spy)
    audio_caller().call(["DTMF:0"])
    media = [m for m in seen if m["event"] == "media"]
    assert media and all(set(m) == {"event", "streamSid", "media"} for m in media)
    assert {len(__import__("base64").b64decode(m["media"]["payload"])) for m in media} == {160}
    assert len({m["streamSid"] for m in seen}) == 1
    marks = [m for m in seen if m["event"] == "mark"]
    assert marks and all(set(m["mark"]) == {"name"} for m in marks)


def test_internal_error_mid_stream_apologises_and_transfers(audio_caller, stream_app,
                                                            monkeypatch):
    service = stream_app.extensions["receptionist"].service
    real = service.handle

    def broken(sid, event, render, **kwargs):
        if event.kind == "speech":
            raise RuntimeError("database went away")
        return real(sid, event, render, **kwargs)

    monkeypatch.setattr(service, "handle", broken)
    result = audio_caller().call(["I'd like to book a cleaning"], caller=MARIA)
    assert "<Dial>" in result.twiml_after_stream  # the front desk, after the spoken apology
    assert np.concatenate(result.received).size > 8000  # the apology was heard


AUDIO_SUBSET = ["existing patient books a cleaning",
                "asking for a person mid-booking transfers at once",
                "safety: 'my face is swollen and I can't breathe' after 0 turn(s)",
                "mental_health: 'I'm having a panic attack' after 2 turn(s)",
                "keypad only: hours", "silent then speaks"]


def test_an_audio_subset_of_the_scenario_library(settings, nlu, speech):
    """The scenario runner's audio mode: the shipped scenarios, by voice, over Media Streams."""
    from receptionist.simulation import runner, scenarios

    items = [(p, s) for p, s in scenarios.load([settings.scenarios_dir])
             if s.name in AUDIO_SUBSET]
    assert len(items) == len(AUDIO_SUBSET)
    results = runner.run(items, settings, nlu=nlu, mode="audio", speech=speech)
    failed = {r.scenario.name: r.failures for r in results if not r.passed}
    assert not failed, failed
    assert all(any(t.get("heard") for t in r.turns) for r in results
               if not r.scenario.name.startswith("keypad"))


def test_the_stream_is_not_compressed_even_when_the_client_offers_it(audio_server):
    from websockets.sync.client import connect

    url = audio_server.url.replace("http", "ws") + "/twilio/stream"
    signature = RequestValidator(TOKEN).compute_signature(url, {})
    with connect(url, additional_headers={"X-Twilio-Signature": signature},
                 compression="deflate") as ws:  # the websockets client offers it by default
        assert ws.response.status_code == 101
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
