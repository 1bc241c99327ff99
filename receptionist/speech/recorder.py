"""Both sides of a call on one clock, as the caller heard it; no I/O.

The caller's audio arrives in real time, one 20 ms frame at a time, and sets the clock. The
receptionist's audio is sent to Twilio faster than it plays, so each chunk is placed where the
caller hears it: after whatever is still playing, never before now. A barge-in (`clear`) cuts
what had not been played yet, as Twilio does. The result is a two-channel recording (caller left,
receptionist right) and a timeline of who said what, when, with escalations and handoffs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from receptionist.speech.audio import RATE

MS = RATE // 1000  # samples per millisecond


@dataclass
class Recording:
    """What a finished recorder holds: stereo int16 samples and the timeline."""

    audio: np.ndarray  # shape (n, 2): caller, receptionist
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_ms(self) -> int:
        """Length in milliseconds."""
        return len(self.audio) // MS


class Recorder:
    """Record one call's two streams, aligned; thread-safe (the speaker thread sends audio)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caller: list[np.ndarray] = []
        self._heard = 0  # samples of caller audio so far: the clock
        self._reply: list[tuple[int, np.ndarray]] = []  # (start sample, audio)
        self._cursor = 0  # where the next receptionist audio starts playing
        self.events: list[dict[str, Any]] = []
        self.off = False

    @property
    def now_ms(self) -> int:
        """The call's audio time in milliseconds."""
        return self._heard // MS

    def inbound(self, pcm: np.ndarray) -> None:
        """The caller's audio (every frame, speech or not)."""
        with self._lock:
            if not self.off:
                self._caller.append(np.asarray(pcm, dtype=np.int16))
            self._heard += len(pcm)

    def outbound(self, pcm: np.ndarray, line: str | None = None) -> None:
        """The receptionist's audio; `line` marks where a sentence starts on the timeline."""
        with self._lock:
            if self.off:
                return
            start = max(self._heard, self._cursor)
            self._reply.append((start, np.asarray(pcm, dtype=np.int16)))
            self._cursor = start + len(pcm)
            if line:
                self.events.append({"at_ms": start // MS, "who": "receptionist",
                                    "text": line})

    def clear(self) -> None:
        """Barge-in: what had not played yet is never heard."""
        with self._lock:
            now, kept = self._heard, []
            for start, pcm in self._reply:
                if start < now:
                    kept.append((start, pcm[:now - start]))
            self._reply, self._cursor = kept, now
            self.events = [e for e in self.events
                           if e["who"] != "receptionist" or e["at_ms"] * MS < now]

    def note(self, who: str, text: str = "", at_ms: int | None = None, **detail: Any) -> None:
        """Put something on the timeline (a caller's turn, an escalation, a handoff)."""
        with self._lock:
            if not self.off:
                self.events.append({"at_ms": self.now_ms if at_ms is None else max(0, at_ms),
                                    "who": who, "text": text, **detail})

    def discard(self) -> None:
        """The caller refused recording: forget everything and record nothing more."""
        with self._lock:
            self.off = True
            self._caller, self._reply, self.events = [], [], []

    def finish(self) -> Recording | None:
        """The call's recording, or None when there is nothing (refused, or no audio)."""
        with self._lock:
            if self.off or not (self._caller or self._reply):
                return None
            caller = np.concatenate(self._caller) if self._caller else np.zeros(0, np.int16)
            end = max([len(caller)] + [s + len(p) for s, p in self._reply])
            audio = np.zeros((end, 2), dtype=np.int16)
            audio[:len(caller), 0] = caller
            for start, pcm in self._reply:
                audio[start:start + len(pcm), 1] = pcm
            return Recording(audio, sorted(self.events, key=lambda e: e["at_ms"]))
