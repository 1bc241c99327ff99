"""Fakes for the speech engines (as LiveKit ships fake_stt and fake_tts): no models needed.

A `FakeAsr` "hears" the lines of a script, one per utterance, and records what it was given
(the audio's length, the slot type the question expected, the hints); a `FakeTts` renders each
sentence as a short tone and records the text; `LoudnessVad` calls any loud frame speech. With
`tone_voice` as the caller, a whole Media Streams call runs in a test without Piper,
pocketsphinx or Vosk, and the test reads back exactly what each engine was asked to do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from receptionist.speech import Hypothesis
from receptionist.speech.audio import rms_db

RATE = 8000


@dataclass
class Heard:
    """One utterance as the fake recogniser was given it."""

    seconds: float
    expect: str | None
    hints: tuple[str, ...]
    text: str


class _Recognition:
    def __init__(self, asr: FakeAsr, expect: str | None, hints: tuple[str, ...]) -> None:
        self.asr, self.expect, self.hints, self.samples = asr, expect, hints, 0

    def accept(self, pcm: np.ndarray) -> str:
        self.samples += len(pcm)
        return ""

    def finish(self) -> Hypothesis:
        text = self.asr.script.popleft() if self.asr.script else ""
        self.asr.heard.append(Heard(self.samples / RATE, self.expect, self.hints, text))
        return Hypothesis(text, 0.99 if text else None)


@dataclass
class FakeAsr:
    """A recogniser that hears its script, one line per utterance, and records each one."""

    script: deque[str] = field(default_factory=deque)
    heard: list[Heard] = field(default_factory=list)
    name: str = "fake"
    model: str = "scripted"

    @classmethod
    def saying(cls, lines: Iterable[str]) -> FakeAsr:
        """A recogniser that will hear these lines, in order."""
        return cls(script=deque(lines))

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None) -> _Recognition:
        """Begin an utterance."""
        return _Recognition(self, expect, hints)


@dataclass
class FakeTts:
    """A voice that renders every sentence as a 200 ms tone and records what it was asked."""

    spoken: list[str] = field(default_factory=list)
    name: str = "fake"
    voice: str = "tone"

    def speak(self, text: str) -> Iterator[np.ndarray]:
        """Yield one tone per call (8 kHz int16)."""
        self.spoken.append(text)
        yield tone(0.2, 440.0)


class LoudnessVad:
    """Any frame louder than -40 dBFS is speech (a fake VAD for tones and silence)."""

    def __call__(self, pcm: np.ndarray) -> bool:
        """Is this frame speech?"""
        return rms_db(pcm) > -40.0


def tone(seconds: float, hz: float = 300.0, level: float = 0.3) -> np.ndarray:
    """A sine tone as 8 kHz int16 audio."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * hz * t) * level * 32767).astype(np.int16)


def tone_voice(text: str) -> np.ndarray:
    """A caller "voice" for fake calls: a tone as long as the line would take to say."""
    return tone(max(0.4, 0.06 * len(text)))
