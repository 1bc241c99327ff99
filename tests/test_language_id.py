"""Callers who speak no English, told apart by the sound of their first turn."""

from concurrent.futures import Future

import pytest

from receptionist.config.settings import ROOT
from receptionist.core.escalation import Detector
from receptionist.core.events import NluResult
from receptionist.service.world import load_world
from receptionist.simulation.audio_caller import espeak_voice
from receptionist.speech.audio import silence
from receptionist.speech.language import Identified, IdentifiedRecognition, model_dir

NOT_UNDERSTOOD = NluResult(text="", intent="out_of_scope", confidence=0.4)


@pytest.fixture(scope="module")
def detector():
    return Detector(load_world(ROOT / "flows").matrix)


def test_audio_that_is_not_english_goes_to_its_language_line(detector):
    spanish = {"en": 0.03, "es": 0.41, "zh": 0.02}
    hit = detector.detect("all when off the people at the", NOT_UNDERSTOOD, spoken=spanish)
    assert hit is not None and hit[0] == "language_spanish"
    assert "es 0.41" in hit[1] and "English 0.03" in hit[1]  # the why names the evidence
    mandarin = {"en": 0.15, "es": 0.01, "zh": 0.6}
    assert detector.detect("why are the", NOT_UNDERSTOOD, spoken=mandarin)[0] == \
        "language_chinese"


def test_an_accented_caller_who_was_understood_stays_in_english(detector):
    accent = {"en": 0.16, "es": 0.3, "zh": 0.0}  # between the two thresholds
    understood = NluResult(text="", intent="book_appointment", confidence=0.93)
    assert detector.detect("i would like to make an appointment please", understood,
                           spoken=accent) is None
    certain = {"en": 0.04, "es": 0.3, "zh": 0.0}  # nonsense that looked like a booking
    assert detector.detect("to book a week the", understood, spoken=certain)[0] == \
        "language_spanish"
    english = {"en": 0.9, "es": 0.05, "zh": 0.01}
    assert detector.detect("um the other thing", NOT_UNDERSTOOD, spoken=english) is None
    assert detector.detect("um the other thing", NOT_UNDERSTOOD, spoken={}) is None


def test_the_model_is_joined_from_its_packages_once(tmp_path):
    first = model_dir(tmp_path)
    model = first / "model.bin"
    assert model.stat().st_size > 140_000_000 and (first / "tokenizer.json").exists()
    stamp = model.stat().st_mtime_ns
    assert model_dir(tmp_path) == first and model.stat().st_mtime_ns == stamp  # not rejoined


class Heard:
    name, model = "fast", "fast"

    def start(self, expect=None, hints=(), channel=None):
        return self

    def accept(self, pcm):
        return ""

    def finish(self):
        from receptionist.speech import Hypothesis
        return Hypothesis("hola", 0.5)


class Busy:
    model = "busy"

    def submit(self, audio):
        return None  # overloaded: nothing is queued

    def result(self, future, deadline_s=None):
        return None


class Late:
    """Identification that answers only after each turn's deadline has passed."""

    model = "late"

    def __init__(self):
        self.futures: list[Future] = []

    def submit(self, audio):
        self.futures.append(Future())
        return self.futures[-1]

    def result(self, future, deadline_s=None):
        return None  # the deadline passed first


def test_only_the_first_turns_are_identified_and_a_busy_model_changes_nothing():
    asr = Identified(Heard(), Busy(), first_turns=1)
    channel: dict = {}
    first = asr.start(None, (), channel)
    assert isinstance(first, IdentifiedRecognition)
    first.accept(silence(1000))
    hyp = first.finish()
    assert hyp.text == "hola" and hyp.languages == ()  # went on in English
    assert not isinstance(asr.start(None, (), channel), IdentifiedRecognition)
    assert not isinstance(Identified(Heard(), Busy()).start("name", (), {}),
                          IdentifiedRecognition)  # an answer to a question is never identified


def test_an_answer_that_came_too_late_is_used_on_the_next_free_turn():
    lid = Late()
    asr = Identified(Heard(), lid)
    channel: dict = {}
    first = asr.start(None, (), channel)
    first.accept(silence(1000))
    assert first.finish().languages == ()  # went on in English, as without the model
    lid.futures[0].set_result({"en": 0.01, "es": 0.98, "zh": 0.0})  # the answer, too late
    second = asr.start(None, (), channel)
    second.accept(silence(1000))
    assert dict(second.finish().languages) == {"en": 0.01, "es": 0.98, "zh": 0.0}
    assert "language_late" in channel  # the second turn's own answer may still come


def test_an_answer_to_a_question_is_never_taken_for_a_language(detector):
    spanish_sounding = {"en": 0.02, "es": 0.7, "zh": 0.0}  # "Rosa Diaz", said in English
    assert detector.detect("rosa diaz", NOT_UNDERSTOOD, answering=True,
                           spoken=spanish_sounding) is None


def test_a_spanish_caller_over_audio_reaches_the_bilingual_front_desk(audio_caller, stream_app,
                                                                     speech, monkeypatch):
    monkeypatch.setattr(speech.asr.lid, "deadline_s", 10.0)  # a busy test machine is not the point
    result = audio_caller(voice=espeak_voice("es")).call(
        ["Necesito cambiar mi cita del martes para otro día."])
    said = " ".join(t["receptionist"] for t in result.turns)
    assert result.outcome["escalation"] == "language_spanish", result.turns
    assert result.outcome["transfer_to"] == "front_desk"
    assert "habla español" in said
    health = stream_app.test_client().get("/health").get_json()
    assert "whisper-base" in health["speech"]["language_id"]


@pytest.mark.parametrize("accent", ["en-in", "en-029"])
def test_an_english_caller_with_an_accent_is_not_sent_to_a_language_line(audio_caller, accent):
    result = audio_caller(voice=espeak_voice(accent)).call(["what are your hours", "no"])
    assert not str(result.outcome["escalation"]).startswith("language_"), result.turns


class Says:
    """Identification that answers at once with fixed probabilities."""

    model = "says"

    def __init__(self, found):
        self.found, self.calls = found, 0

    def submit(self, audio):
        self.calls += 1
        done: Future = Future()
        done.set_result(self.found)
        return done

    def result(self, future, deadline_s=None):
        return future.result()


@pytest.mark.parametrize(("found", "second_identified"), [
    ({"en": 0.95, "es": 0.01, "zh": 0.0}, False),  # surely English: the call is settled
    ({"en": 0.5, "es": 0.3, "zh": 0.0}, True),  # not sure yet: the next free turn is heard too
])
def test_a_surely_english_first_turn_settles_the_call(found, second_identified):
    lid = Says(found)
    asr = Identified(Heard(), lid)
    channel: dict = {}
    first = asr.start(None, (), channel)
    first.accept(silence(1000))
    assert dict(first.finish().languages) == found
    assert isinstance(asr.start(None, (), channel), IdentifiedRecognition) is second_identified
