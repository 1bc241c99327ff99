"""Natural-language understanding behind one small protocol: embedded spaCy or a Rasa server."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from receptionist.core.events import NluResult


class NluEngine(Protocol):
    """Anything that turns a caller's words into an intent and entities."""

    name: str

    def parse(self, text: str, now: datetime | None = None) -> NluResult:
        """Understand one utterance; `now` anchors relative dates."""
        ...
