"""The state of one call: everything the engine needs between two events, stored as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Phase = Literal["greeting", "in_flow", "anything_else", "handoff", "voicemail", "ended"]
Status = Literal["in_progress", "completed", "transferred", "voicemail", "abandoned", "ended"]


class CallState(BaseModel):
    """One call's progress. The engine returns a new one for every event."""

    call_sid: str
    caller: str
    called: str = ""
    started_at: datetime
    phase: Phase = "greeting"
    flow: str | None = None
    step: str | None = None
    stack: list[tuple[str, str]] = Field(default_factory=list)
    call_type: str | None = None
    call_types: list[str] = Field(default_factory=list)
    slots: dict[str, Any] = Field(default_factory=dict)
    attempts: int = 0
    partial_number: str = ""  # digits of a phone number said so far, when the caller paused
    read_back: dict[str, Any] | None = None  # an answer said back to the caller, not yet stored
    carried: dict[str, Any] | None = None  # a reply to a read-back that answers the next question
    visits: dict[str, int] = Field(default_factory=dict)  # times each flow step was reached
    misunderstood: int = 0
    silences: int = 0
    turns: int = 0
    seq: int = 0  # events seen; numbers the callback URLs so retries and new turns differ
    transcript: list[tuple[str, str]] = Field(default_factory=list)
    last_intent: str | None = None
    last_confidence: float = 0.0
    sentiments: list[float] = Field(default_factory=list)
    escalation: str | None = None
    escalation_reason: str | None = None
    transfer_to: str | None = None
    disposition: str | None = None
    dispositions: list[str] = Field(default_factory=list)
    status: Status = "in_progress"
    last_prompt: str = ""
    consent: Literal["implied", "refused"] = "implied"  # to recording and transcript storage
    after_hours: bool = False
    ended_at: datetime | None = None
    decision: str = ""

    def outcome(self) -> dict[str, Any]:
        """The call's outcome as `receptionist call --json` reports it."""
        return {"status": self.status, "flow": self.call_type, "escalation": self.escalation,
                "transfer_to": self.transfer_to, "disposition": self.disposition}

    @property
    def language(self) -> str:
        """The caller's language as the routing saw it."""
        return {"language_spanish": "es", "language_chinese": "zh"}.get(self.escalation or "",
                                                                          "en")

    @property
    def sentiment(self) -> float:
        """Mean sentiment of the caller's last three turns."""
        recent = self.sentiments[-3:]
        return round(sum(recent) / len(recent), 3) if recent else 0.0


def note(st: CallState, speaker: str, text: str) -> None:
    """Add to the transcript, unless the caller refused recording and transcripts."""
    if st.consent != "refused":
        st.transcript.append((speaker, text))


def contained(status: str, escalation: str | None, call_type: str | None) -> bool:
    """Containment, the one definition the KPIs and shadow pilots share.

    The receptionist finished a call type it handles by itself: the call completed, nobody was
    handed the call, and it was recognised as one of the call types (not out of scope).
    """
    return status == "completed" and escalation is None and call_type not in (None,
                                                                               "out_of_scope")
