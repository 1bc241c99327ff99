"""Local speech: recognisers (ASR) and voices (TTS) behind two small protocols.

A vendor package is imported only inside its adapter; a missing one fails with a message that
names what to install.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Hypothesis:
    """What a recogniser heard: text (normalised for the NLU) and its confidence, if known.

    `languages`: (language, probability) pairs when the spoken language was identified.
    `also`: the other recogniser's words: the streaming ones when a second pass replaced them,
    or the second pass's when they were not taken (the matrix's listed phrases are looked for
    in both: Whisper hears "disputing" as "distuting").
    """

    text: str
    confidence: float | None = None
    languages: tuple[tuple[str, float], ...] = ()
    also: str = ""


class Recognition(Protocol):
    """One utterance being recognised, fed 8 kHz int16 audio as it arrives."""

    def accept(self, pcm: np.ndarray) -> str:
        """Take more audio; return the partial result so far ('' when none)."""
        ...

    def finish(self) -> Hypothesis:
        """The utterance ended: return the final result."""
        ...


class AsrEngine(Protocol):
    """A streaming speech recogniser."""

    name: str
    model: str

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None) -> Recognition:
        """Begin an utterance; `expect` (a slot type) and `hints` bias the vocabulary.

        `channel`: state the engine keeps per call (adaptation to the caller's line).
        """
        ...


class TtsEngine(Protocol):
    """A local voice rendering text as 8 kHz int16 audio, sentence by sentence."""

    name: str
    voice: str

    def speak(self, text: str) -> Iterator[np.ndarray]:
        """Yield audio chunks (8 kHz int16) as they are synthesised."""
        ...


class MissingPackage(RuntimeError):
    """A speech package or model is not installed; the message says what to install."""
