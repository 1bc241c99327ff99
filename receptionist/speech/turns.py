"""Turn taking on a live audio stream, without I/O: when the caller started, stopped, interrupted.

Voice activity comes from WebRTC's detector (pocketsphinx ships it) or Silero's neural one
(`speech/vad.py`), gated by loudness over the line's own noise floor, so steady background noise
is not a caller. An utterance ends after `end_silence_ms` of silence, or after only
`early_end_ms` when the partial result already answers what the step expects ("yes", "nine am",
a full date of birth), or `understood_end_ms` when a free request's partial is already
understood by the NLU (a confident intent). Caller speech while the receptionist is talking is a
barge-in. Time is audio time (20 ms a frame), so a call replayed faster than real time takes the
same decisions.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from receptionist.speech import AsrEngine, Hypothesis, Recognition
from receptionist.speech.audio import FRAME_MS, LevelGate


@dataclass(frozen=True)
class TurnConfig:
    """Endpointing and barge-in settings (`turn_taking:` in flows/voice.yaml)."""

    end_silence_ms: int = 500
    number_end_silence_ms: int = 1000  # phone numbers and dates: people pause between groups
    early_end_ms: int = 200
    understood_end_ms: int = 300  # a free request the NLU already understands ends this soon
    start_speech_ms: int = 100
    barge_in_ms: int = 200
    no_input_ms: int = 6000
    max_utterance_ms: int = 15000
    preroll_ms: int = 500  # audio before the detected start: Silero decides ~200 ms late
    # webrtc | silero (benchmarks/vad.py compares them). Silero ignores noise better but hears a
    # word's start ~80 ms later; in the streamed test calls it clipped or misheard a short turn in
    # 2 runs of 10 (WebRTC: 0 of 10), so it is not the default yet.
    vad: str = "webrtc"
    vad_mode: int = 3  # WebRTC's aggressiveness
    noise_margin_db: float = 6.0
    barge_in: bool = True


COMPLETE = {
    "yes_no": re.compile(r"\b(yes|yeah|yep|no|nope|correct|sure|right|wrong)\b"),
    # a yes ends a read-back's reply; a no waits: a correction may follow ("no, it's 4 1 3...")
    "read_back": re.compile(r"\b(yes|yeah|yep|correct|that's right)\b"),
    "time": re.compile(r"\b\d{1,2}(:\d\d)? ?(am|pm)\b|\b\d{1,2}:\d\d\b"),
    "dob": re.compile(r"\b[a-z]+ \d{1,2}(st|nd|rd|th) \d{4}\b"),
    "date": re.compile(r"\b(tomorrow|today|(monday|tuesday|wednesday|thursday|friday)"
                       r"|[a-z]+ \d{1,2}(st|nd|rd|th))\b"),
    "phone": re.compile(r"\d{10}"),
}


NUMBERS = ("phone", "digits")  # said in groups with pauses; the streaming partials are not trusted


def completes(expect: str | None, partial: str) -> bool:
    """Whether a partial result already answers a question expecting this slot type."""
    pattern = COMPLETE.get(expect or "")
    return bool(pattern and partial and pattern.search(partial))


class VoiceActivity:
    """WebRTC VAD plus a loudness gate over the recent noise floor."""

    def __init__(self, mode: int = 3, margin_db: float = 6.0) -> None:
        from pocketsphinx import Vad

        self.vad = Vad(mode, 8000, FRAME_MS / 1000)
        self.loud = LevelGate(margin_db)

    def __call__(self, pcm: np.ndarray) -> bool:
        """Is this 20 ms frame speech?"""
        if not self.loud(pcm):
            return False
        return bool(self.vad.is_speech(pcm.astype(np.int16).tobytes()))


def voice_activity(cfg: TurnConfig) -> Any:
    """The configured detector for one call: WebRTC, or Silero (fewer false barge-ins in noise)."""
    if cfg.vad == "silero":
        from receptionist.speech.vad import SileroActivity

        return SileroActivity(margin_db=cfg.noise_margin_db)
    return VoiceActivity(cfg.vad_mode, cfg.noise_margin_db)


class TurnTaker:
    """Feed it every inbound frame; it says when something the call engine must hear happened.

    `frame()` returns a list of ("barge_in", None), ("utterance", Hypothesis), ("no_input",
    None) and ("partial", str) events.
    """

    def __init__(self, asr: AsrEngine, config: TurnConfig | None = None,
                 vad: Any = None, understood: Callable[[str], bool] | None = None) -> None:
        self.asr, self.cfg, self.understood = asr, config or TurnConfig(), understood
        self.judged = ""  # the last partial `understood` was asked about
        self.vad = vad or voice_activity(self.cfg)
        self.preroll: deque[np.ndarray] = deque(maxlen=max(1, self.cfg.preroll_ms // FRAME_MS))
        self.now = 0  # audio time in ms
        self.expect: str | None = None
        self.hints: tuple[str, ...] = ()
        self.armed_at: int | None = None  # when the no-input clock started
        self.recognition: Recognition | None = None
        self.voiced_run = self.silence_run = self.utterance_ms = 0
        self.partial = ""
        self.last_voice_at = 0
        self.channel: dict[str, Any] = {}  # the recogniser's per-call state

    def listen(self, expect: str | None = None, hints: tuple[str, ...] = ()) -> None:
        """Set what the current question expects (biases ASR, allows an early end)."""
        self.expect, self.hints = expect, hints

    def arm(self) -> None:
        """The prompt finished playing: start the no-input clock."""
        self.armed_at = self.now

    def disarm(self) -> None:
        """Stop the no-input clock (the receptionist is busy or talking)."""
        self.armed_at = None

    def frame(self, pcm: np.ndarray, playing: bool) -> list[tuple[str, Any]]:
        """Take one 20 ms frame of caller audio."""
        self.now += FRAME_MS
        voiced = self.vad(pcm)
        if self.recognition is None:
            return self._idle(pcm, voiced, playing)
        return self._speaking(pcm, voiced)

    def _idle(self, pcm: np.ndarray, voiced: bool, playing: bool) -> list[tuple[str, Any]]:
        self.preroll.append(pcm)
        self.voiced_run = self.voiced_run + FRAME_MS if voiced else 0
        needed = self.cfg.barge_in_ms if playing else self.cfg.start_speech_ms
        if playing and not self.cfg.barge_in:
            return []
        if self.voiced_run >= needed:
            return self._begin(playing)
        if not playing and self.armed_at is not None \
                and self.now - self.armed_at >= self.cfg.no_input_ms:
            self.armed_at = None
            return [("no_input", None)]
        return []

    def _begin(self, playing: bool) -> list[tuple[str, Any]]:
        self.recognition = self.asr.start(self.expect, self.hints, self.channel)
        self.armed_at = None
        self.silence_run, self.utterance_ms, self.partial = 0, 0, ""
        for earlier in self.preroll:
            self.recognition.accept(earlier)
            self.utterance_ms += FRAME_MS
        self.preroll.clear()
        self.last_voice_at = self.now
        return [("barge_in", None)] if playing else []

    def _speaking(self, pcm: np.ndarray, voiced: bool) -> list[tuple[str, Any]]:
        assert self.recognition is not None
        partial = self.recognition.accept(pcm)
        events: list[tuple[str, Any]] = []
        if partial and partial != self.partial:
            self.partial = partial
            events.append(("partial", partial))
        self.utterance_ms += FRAME_MS
        if voiced:
            self.silence_run, self.last_voice_at = 0, self.now
        else:
            self.silence_run += FRAME_MS
        numbers = self.expect in NUMBERS
        # a read-back's reply may carry on with the next answer, often a number: wait as long
        # as for one, unless a plain yes has already ended it
        patient = numbers or self.expect == "read_back"
        done = (self.silence_run >= (self.cfg.number_end_silence_ms if patient
                                     else self.cfg.end_silence_ms)
                or (self.silence_run >= self.cfg.early_end_ms and not numbers
                    and completes(self.expect, self.partial))
                or self._understood()
                or self.utterance_ms >= self.cfg.max_utterance_ms)
        if done:
            events.append(self._end())
        return events

    def _understood(self) -> bool:
        """A free request (no slot expected) whose partial the NLU already understands."""
        if self.understood is None or self.expect is not None or not self.partial \
                or self.silence_run < self.cfg.understood_end_ms or self.partial == self.judged:
            return False
        self.judged = self.partial  # asked once per pause, not on every frame of it
        return self.understood(self.partial)

    def _end(self) -> tuple[str, Any]:
        assert self.recognition is not None
        hyp: Hypothesis = self.recognition.finish()
        self.recognition, self.voiced_run = None, 0
        if not hyp.text.strip():
            self.armed_at = self.now  # a cough or a door: keep waiting for an answer
            return ("noise", None)
        return ("utterance", hyp)

    @property
    def started_ms(self) -> int:
        """When the last utterance began, in audio time (its preroll included)."""
        return max(0, self.now - self.utterance_ms)

    def close(self) -> None:
        """The stream ended mid-utterance: give the decoder back."""
        if self.recognition is not None:
            self.recognition.finish()
            self.recognition = None
