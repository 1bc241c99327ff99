"""Media Streams calls with fake speech engines: the stream's logic without any speech model.

The caller is a tone as long as the line; the fake recogniser hears the script; the fake voice
records every sentence the receptionist would have said. What the engines were given is checked
exactly: the slot type each question expected and the sentences spoken, in order.
"""

import base64
import json
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from twilio.request_validator import RequestValidator
from websockets.sync.client import connect

from receptionist.app import create_app
from receptionist.simulation.audio_caller import AudioCaller
from receptionist.simulation.caller import Caller, http_transport
from receptionist.simulation.server import LocalServer
from receptionist.speech.config import Speech
from receptionist.speech.fakes import FakeAsr, FakeTts, LoudnessVad, tone_voice
from receptionist.speech.turns import TurnConfig
from tests.conftest import KEYRING, TOKEN

MARIA = "+14135550123"


@pytest.fixture
def fake_call(settings, nlu, clock):
    def call(lines, caller=MARIA):
        asr, tts = FakeAsr.saying(lines), FakeTts()
        speech = Speech(asr, tts, TurnConfig(), vad=LoudnessVad)
        app = create_app(replace(settings, speech_mode="local"), nlu=nlu, clock=clock,
                         keyring=KEYRING, speech=speech)
        with LocalServer(app) as server:
            result = AudioCaller(server.url, TOKEN, voice=tone_voice).call(lines, caller=caller)
        return result, asr, tts

    return call


def test_a_booking_over_a_stream_with_fake_engines(fake_call):
    result, asr, tts = fake_call(["I'd like to book a cleaning", "March 3rd 1985",
                                  "Wednesday at 9 am", "yes", "no"])
    assert result.outcome["disposition"] == "booked", result.turns
    assert [h.text for h in asr.heard] == ["I'd like to book a cleaning", "March 3rd 1985",
                                           "Wednesday at 9 am", "yes", "no"]
    assert [h.expect for h in asr.heard][1:4] == ["dob", "datetime", "yes_no"]
    assert all(h.seconds > 0.3 for h in asr.heard)  # each tone reached the recogniser whole
    assert tts.spoken[0].startswith("This call may be recorded")
    assert any("Would you like me to book it?" in s for s in tts.spoken)


def test_a_request_for_a_person_over_a_stream_transfers(fake_call):
    result, asr, tts = fake_call(["can I talk to a real person"])
    assert result.outcome["escalation"] == "human_request"
    assert result.twiml_after_stream and "<Dial" in result.twiml_after_stream
    assert any("connect you with a person" in s for s in tts.spoken)


FUZZ = ["[1, 2, 3]", '"just a string"', "null", "{not json", '{"event": 7}',
        '{"event": "media", "media": "oops"}', '{"event": "media", "media": {"payload": "@@@"}}',
        '{"event": "media", "media": {"payload": 5}}', '{"event": "start", "start": "now"}',
        '{"event": "start", "start": {"mediaFormat": {"sampleRate": "fast"}}}',
        '{"event": "dtmf", "dtmf": {"digit": []}}', '{"event": "mark", "mark": {"name": {}}}',
        '{"event": "whatever"}', "x" * 70_000]


def test_fuzzed_and_early_frames_are_ignored_and_the_call_goes_on(settings, nlu, clock):
    speech = Speech(FakeAsr.saying([]), FakeTts(), TurnConfig(), vad=LoudnessVad)
    app = create_app(replace(settings, speech_mode="local"), nlu=nlu, clock=clock,
                     keyring=KEYRING, speech=speech)
    with LocalServer(app) as server:
        form = {"CallSid": "CAfuzz0001", "AccountSid": "AC" + "0" * 32, "From": MARIA,
                "To": "+14135550100", "CallStatus": "ringing"}
        doc = Caller(http_transport(), TOKEN, server.url).post("/twilio/voice", form)
        stream = ET.fromstring(doc).find("Connect/Stream")
        url = stream.get("url")
        params = {p.get("name"): p.get("value") for p in stream.iter("Parameter")}
        signature = RequestValidator(TOKEN).compute_signature(url, {})
        silent = base64.b64encode(b"\xff" * 160).decode()
        with connect(url, additional_headers={"X-Twilio-Signature": signature},
                     max_size=2 ** 22) as ws:
            for bad in FUZZ:
                ws.send(bad)
            ws.send(b"\x00\x01binary")
            frame = json.dumps({"event": "media", "streamSid": "MZ1",
                                "media": {"payload": silent}})
            for _ in range(3000):  # a minute of audio before `start`: held, but bounded
                ws.send(frame)
            ws.send(json.dumps({"event": "start", "streamSid": "MZ1", "start": {
                "streamSid": "MZ1", "callSid": "CAfuzz0001", "customParameters": params,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                "channels": 1}}}))
            got = [json.loads(ws.recv(timeout=10)) for _ in range(3)]
            ws.send('{"event": "stop", "stop": {"callSid": "CAfuzz0001"}}')
    assert {m["event"] for m in got} <= {"media", "mark"} and any(
        m["event"] == "media" for m in got)  # the greeting is played: the socket survived
    assert speech.tts.spoken and speech.tts.spoken[0].startswith("This call may be recorded")
