"""The voice-activity detector: a caller is heard, background babble is not a caller."""

import numpy as np
import pytest

from receptionist.core.errors import ConfigError
from receptionist.speech.audio import frames, noise, noise_gain, silence
from receptionist.speech.config import load_voice_settings
from receptionist.speech.turns import TurnConfig, TurnTaker, VoiceActivity, voice_activity
from receptionist.speech.vad import SileroActivity


class Hears:
    name = model = "words"

    def start(self, expect=None, hints=(), channel=None):
        return self

    def accept(self, pcm):
        return "words"

    def finish(self):
        from receptionist.speech import Hypothesis
        return Hypothesis("words")


def babble(like, snr_db, seconds=30):
    n = noise(8000 * seconds, 5, "babble").astype(np.float64) * noise_gain(like, snr_db)
    return np.clip(n, -32768, 32767).astype(np.int16)


def test_babble_alone_never_interrupts_the_receptionist(caller_voice):
    voice = caller_voice("I'd like to book a cleaning for next Tuesday please")
    taker = TurnTaker(Hears(), TurnConfig(), vad=SileroActivity())
    events = [k for f in frames(babble(voice, 10)) for k, _ in taker.frame(f, playing=True)]
    assert "barge_in" not in events


def test_a_caller_is_heard_from_the_first_word_to_the_end(caller_voice):
    voice = caller_voice("can I talk to someone about my bill")
    audio = np.concatenate([silence(800), voice, silence(1500)])
    activity = SileroActivity()
    heard = [activity(f) for f in frames(audio)]
    assert sum(heard[:30]) == 0 and sum(heard) > len(voice) // 160 // 2
    taker = TurnTaker(Hears(), TurnConfig(vad="silero"))
    events = [k for f in frames(audio) for k, _ in taker.frame(f, playing=False)]
    assert events.count("utterance") == 1  # one turn, not split, and it ended


def test_the_detector_is_chosen_in_voice_yaml(tmp_path):
    assert isinstance(voice_activity(TurnConfig(vad="silero")), SileroActivity)
    assert isinstance(voice_activity(TurnConfig()), VoiceActivity)
    bad = tmp_path / "voice.yaml"
    bad.write_text("version: '1'\nturn_taking:\n  vad: magic\n")
    with pytest.raises(ConfigError, match="turn_taking.vad must be silero or webrtc"):
        load_voice_settings(bad)


def test_a_request_already_understood_ends_after_a_short_pause(caller_voice):
    voice = caller_voice("I'd like to book a cleaning")
    audio = np.concatenate([silence(500), voice, silence(1200)])
    asked: list[str] = []

    def ends(understood):
        taker = TurnTaker(Hears(), TurnConfig(), understood=understood)
        for f in frames(audio):
            if any(k == "utterance" for k, _ in taker.frame(f, playing=False)):
                return taker.now
        return None

    def sure(partial):
        asked.append(partial)
        return True

    plain, early = ends(None), ends(sure)
    assert plain is not None and early is not None
    assert 150 <= plain - early <= 260  # 300 ms of silence instead of 500
    assert len(asked) == 1  # the NLU is asked once per pause, not on every frame
    taker = TurnTaker(Hears(), TurnConfig(), understood=sure)
    taker.listen("yes_no")  # a question with an expected answer keeps its own endpointing
    assert taker.understood and not taker._understood()
