"""Build the speech engines a practice configured: flows/voice.yaml, ASR_ENGINE, VOSK_MODEL_PATH."""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from receptionist.config.bundle import settings_file
from receptionist.core.errors import ConfigError
from receptionist.core.escalation import ALWAYS
from receptionist.core.templates import names, render
from receptionist.speech import MissingPackage
from receptionist.speech.domain import clean, corpus, expand
from receptionist.speech.language import Identified, LanguageId, model_dir
from receptionist.speech.refine import ATTEMPTS, STEERED, Refined, Whisper
from receptionist.speech.sphinx import SphinxAsr, default_cache
from receptionist.speech.tts import build_tts
from receptionist.speech.turns import TurnConfig, TurnTaker
from receptionist.speech.vosk_asr import VoskAsr

log = logging.getLogger("receptionist.speech")
CALIBRATION = "Hello, I would like to make an appointment for a cleaning next week, please."
VOICE_KEYS = {"engine", "model", "espeak_voice", "rate", "sentence_pause_ms", "lexicon"}
ASR_KEYS = {"engine", "decoders", "refine", "language_id"}


@dataclass(frozen=True)
class VoiceSettings:
    """The contents of flows/voice.yaml."""
    voice: dict[str, Any] = field(default_factory=lambda: {"engine": "piper"})
    turns: TurnConfig = TurnConfig()
    asr: dict[str, Any] = field(default_factory=lambda: {"engine": "auto", "decoders": 2,
                                                         "refine": list(STEERED),
                                                         "language_id": True})


def load_voice_settings(path: Path) -> VoiceSettings:
    """Read and check flows/voice.yaml (defaults when the file is absent)."""
    if not path.exists():
        return VoiceSettings()
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "expected a mapping with voice:, turn_taking:, asr:")
    unknown = set(raw) - {"version", "voice", "turn_taking", "asr"}
    if unknown:
        raise ConfigError(str(path), f"unknown sections {sorted(unknown)}")
    voice, asr = raw.get("voice") or {}, raw.get("asr") or {}
    _only(path, "voice", voice, VOICE_KEYS)
    _only(path, "asr", asr, ASR_KEYS)
    turns = raw.get("turn_taking") or {}
    _only(path, "turn_taking", turns, {f.name for f in fields(TurnConfig)})
    if turns.get("vad", "webrtc") not in ("silero", "webrtc"):
        raise ConfigError(str(path), "turn_taking.vad must be silero or webrtc")
    if voice.get("engine", "piper") not in ("piper", "espeak-ng"):
        raise ConfigError(str(path), "voice.engine must be piper or espeak-ng")
    if asr.get("engine", "auto") not in ("auto", "vosk", "pocketsphinx"):
        raise ConfigError(str(path), "asr.engine must be auto, vosk or pocketsphinx")
    refine = asr.get("refine", list(STEERED))
    if not isinstance(refine, list) or not set(refine) <= set(ATTEMPTS):
        raise ConfigError(str(path), f"asr.refine must list steps among {sorted(ATTEMPTS)}")
    if not isinstance(asr.get("language_id", True), bool):
        raise ConfigError(str(path), "asr.language_id must be true or false")
    return VoiceSettings({"engine": "piper", **voice}, TurnConfig(**turns),
                         {"engine": "auto", "decoders": 2, "language_id": True, **asr,
                          "refine": refine})


GREETINGS = {  # the voice page's two presets for the opening line
    "warm": "Thank you for calling {practice.name}. I'm the virtual receptionist. You can ask "
            "for a person at any time. How can I help you today?",
    "efficient": "{practice.name}, this is the virtual receptionist; ask for a person any "
                 "time. How can I help?",
}
# what ships with the packages: Piper's joe voice, espeak-ng's accents
BUNDLED_VOICES: dict[str, dict[str, Any]] = {
    "piper": {"engine": "piper", "model": None},
    "espeak-ng:en-us": {"engine": "espeak-ng", "espeak_voice": "en-us"},
    "espeak-ng:en-gb": {"engine": "espeak-ng", "espeak_voice": "en-gb"},
}


def save_voice(path: Path, voice: dict[str, Any]) -> VoiceSettings:
    """Replace the `voice:` section of flows/voice.yaml, checked before the file is touched."""
    raw: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}) if path.exists() \
        else {"version": "1"}
    raw["voice"] = {**(raw.get("voice") or {}), **voice}
    text = ("# How the receptionist sounds and listens in local speech mode (SPEECH_MODE=local).\n"
            "# Edited on the dashboard's brand-voice page (versioned with the flow bundle).\n"
            + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
    trial = path.with_suffix(".yaml.new")
    trial.write_text(text)
    try:
        checked = load_voice_settings(trial)
    except ConfigError:
        trial.unlink()
        raise
    trial.replace(path)
    return checked


def _only(path: Path, section: str, values: Any, allowed: set[str]) -> None:
    if not isinstance(values, dict):
        raise ConfigError(str(path), f"{section}: expected a mapping")
    unknown = set(values) - allowed
    if unknown:
        raise ConfigError(str(path), f"{section}: unknown keys {sorted(unknown)}; "
                                     f"allowed: {sorted(allowed)}")


@dataclass
class Speech:
    """The engines a stream uses: ASR, TTS, the turn-taking settings and a VAD maker."""

    asr: Any
    tts: Any
    turns: TurnConfig
    vad: Callable[[], Any] | None = None  # a detector per call; None: turn_taking.vad's

    def turn_taker(self, understood: Callable[[str], bool] | None = None,
                   reading: Callable[[str], tuple[str | None, float]] | None = None
                   ) -> TurnTaker:
        """Turn taking for one side of one call.

        `understood`: may a free request end early? `reading`: the NLU's (intent, confidence)
        for a free turn's words (whether a second pass may help).
        """
        taker = TurnTaker(self.asr, self.turns, vad=self.vad() if self.vad else None,
                          understood=understood)
        if reading is not None:
            taker.channel["reading"] = reading
        return taker

    def describe(self) -> dict[str, str]:
        """Which engine and model are in use (logged at start-up, shown by /health)."""
        return {"asr": self.asr.name, "asr_model": self.asr.model, "tts": self.tts.name,
                "voice": self.tts.voice, "vad": self.turns.vad,
                "language_id": getattr(self.asr, "language_model", None) or "off"}


def voice_from(v: dict[str, Any]) -> Any:
    """The TTS engine for a `voice:` section (flows/voice.yaml, or the voice page's preview)."""
    return build_tts(v.get("engine", "piper"), model=v.get("model"),
                     voice=v.get("espeak_voice", "en-us"), rate=float(v.get("rate", 1.0)),
                     sentence_pause_ms=int(v.get("sentence_pause_ms", 200)),
                     lexicon={str(k): str(val) for k, val in (v.get("lexicon") or {}).items()})


def reload_voice(speech: Speech, flows_dir: Path) -> None:
    """Use the voice settings now in flows/voice.yaml for the next calls (a brand-voice edit)."""
    speech.tts = voice_from(load_voice_settings(settings_file(flows_dir, "voice.yaml")).voice)
    log.warning("voice settings reloaded: TTS %s (voice %s)", speech.tts.name, speech.tts.voice)


def fixed_lines(world: Any) -> list[str]:
    """Every sentence the receptionist says that does not depend on the call.

    The opening (disclosure and greeting), its own conversation lines, flow prompts and
    closings, and the escalation matrix's lines, with the practice's names filled in.
    """
    context = {"practice": world.practice}
    found = [" ".join(filter(None, [world.disclosure, world.conversation.greeting]))]
    found += [v for k, v in world.conversation.model_dump().items()
              if isinstance(v, str) and k != "version"]
    for flow in world.flows.flows.values():
        for step in flow.steps:
            found += [getattr(step, k, None) or "" for k in ("prompt", "reprompt", "say")]
    found += [c.say for c in world.matrix.categories.values() if getattr(c, "say", None)]
    return sorted({render(t, context) for t in found
                   if t and names(t) <= {"practice"}})  # nothing from the call


def warm(tts: Any, lines: list[str]) -> threading.Thread:
    """Synthesise the fixed lines into the voice's cache, in the background (start-up).

    It stops between sentences when the process exits: onnxruntime aborts a process whose
    interpreter shuts down while it is synthesising.
    """
    stop = threading.Event()

    def run() -> None:
        started = time.perf_counter()
        for text in lines:
            for _ in tts.speak(text):
                if stop.is_set():
                    return
        log.info("voice: %d fixed lines pre-rendered in %.1f s", len(lines),
                 time.perf_counter() - started)

    thread = threading.Thread(target=run, daemon=True, name="tts-warm")
    thread.start()

    def finish() -> None:
        stop.set()
        thread.join(timeout=10)

    atexit.register(finish)
    return thread


def decoders_for(asr: dict[str, Any], max_streams: int) -> int:
    """How many pocketsphinx decoders to load at start: as configured, or one per admitted call.

    A decoder loaded mid-call takes ~1 s and keeps the GIL all that time (measured: a 5 ms
    timer thread stalled 0.92 s), so every call in the process stops hearing and answering
    while it loads. With MAX_STREAMS set, every call the process admits has one ready.
    """
    return max(int(asr["decoders"]), max_streams)


def build_speech(settings: Any, world: Any, engine: str | None = None) -> Speech:
    """Load the recogniser and the voice; log which are in use."""
    vs = load_voice_settings(settings_file(settings.flows_dir, "voice.yaml"))
    asr = build_asr(settings, world, engine or vs.asr["engine"],
                    decoders_for(vs.asr, settings.max_streams))
    if vs.asr["refine"]:
        asr = with_second_pass(asr, tuple(vs.asr["refine"]), world)
    if vs.asr["language_id"]:
        asr = with_language_id(asr, world)
    tts = voice_from(vs.voice)
    if hasattr(asr, "calibrate"):
        asr.calibrate(np.concatenate(list(tts.speak(CALIBRATION))))
    speech = Speech(asr, tts, vs.turns)
    warm(tts, fixed_lines(world))
    log.warning("local speech: ASR %(asr)s (model %(asr_model)s), TTS %(tts)s (voice %(voice)s), "
                "VAD %(vad)s, language identification %(language_id)s", speech.describe())
    return speech


def escalation_phrases(world: Any) -> list[str]:
    """What the always-escalate categories listen for, spelled out (for grammars)."""
    return [clean(p) for name in ALWAYS if (cat := world.matrix.get(name))
            for pattern in cat.patterns for p in expand(pattern)]


def _loaded(load: Callable[[], Any], off: str) -> Any:
    """A model that may be missing: None, with a warning saying what is OFF, if it won't load."""
    try:
        return load()
    except (MissingPackage, OSError, RuntimeError) as exc:
        log.warning("%s (%s)", off, exc)
        return None


def with_second_pass(asr: Any, steps: tuple[str, ...], world: Any) -> Any:
    """Add the Whisper second pass on these steps, if faster-whisper and its model load."""
    whisper = _loaded(shared_whisper, f"ASR second pass is OFF: phone numbers, dates of birth "
                                      f"and names rely on {asr.name} alone")
    if whisper is None:
        return asr
    profile = world.profile
    people = tuple(p.name for p in list(profile.providers) + list(profile.staff))
    choices = {"appointment_type": tuple(profile.appointment_types),
               "insurer": tuple(profile.insurers_accepted + profile.insurers_not_accepted),
               "person": people}
    escalating = frozenset(i for name in ALWAYS if (cat := world.matrix.get(name))
                           for i in cat.intents)
    return Refined(asr, whisper, steps, names=people, choices=choices, escalating=escalating)


def with_language_id(asr: Any, world: Any) -> Any:
    """Identify the language of each call's first turns, if the matrix routes any language."""
    if not any(cat.languages for _, cat in world.matrix.ordered()):
        return asr
    lid = _loaded(shared_language_id, f"spoken-language identification is OFF: a caller who "
                                      f"speaks no English is routed only by the words {asr.name} "
                                      f"hears")
    return asr if lid is None else Identified(asr, lid)


@functools.cache
def shared_language_id() -> LanguageId:
    """One language-identification model per process."""
    return LanguageId(model_dir(default_cache().parent))


@functools.cache
def shared_whisper() -> Whisper:
    """One Whisper model per process."""
    return Whisper()


def build_asr(settings: Any, world: Any, engine: str = "auto", decoders: int = 2) -> Any:
    """Vosk from VOSK_MODEL_PATH, or pocketsphinx with the practice's domain language model."""
    if engine == "auto":
        engine = "vosk" if settings.vosk_model_path else "pocketsphinx"
    if engine == "vosk":
        if not settings.vosk_model_path:
            raise ConfigError("VOSK_MODEL_PATH", "the vosk engine needs a model directory")
        return VoskAsr(settings.vosk_model_path, always=escalation_phrases(world))

    return SphinxAsr(corpus(settings.nlu_data_dir, world), default_cache(), pool_size=decoders)
