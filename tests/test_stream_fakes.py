"""Media Streams calls with fake speech engines: the stream's logic without any speech model.

The caller is a tone as long as the line; the fake recogniser hears the script; the fake voice
records every sentence the receptionist would have said. What the engines were given is checked
exactly: the slot type each question expected and the sentences spoken, in order.
"""

from dataclasses import replace

import pytest

from receptionist.app import create_app
from receptionist.simulation.audio_caller import AudioCaller
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
