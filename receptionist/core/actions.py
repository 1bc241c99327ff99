"""Actions: what the engine decides to do. Rendered to TwiML or audio, or run by an executor."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from receptionist.core.model import Strict


class Say(Strict):
    """Speak a sentence to the caller."""

    kind: Literal["say"] = "say"
    text: str


class Gather(Strict):
    """Ask a question and listen for speech or keys."""

    kind: Literal["gather"] = "gather"
    prompt: str
    hints: tuple[str, ...] = ()
    num_digits: int | None = None
    # the slot type asked for (yes_no, date, ...; read_back: a yes, or a no and maybe a
    # correction); guides local ASR and its endpointing
    expect: str | None = None


class HandoffContext(Strict):
    """What the human taking over needs to know, without asking the caller again."""

    category: str
    reason: str
    target: str
    number: str
    whisper: str
    transcript: tuple[tuple[str, str], ...] = ()
    intent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    sentiment: float = 0.0


class Transfer(Strict):
    """Connect the caller to a person, with a whisper summary for the person."""

    kind: Literal["transfer"] = "transfer"
    handoff: HandoffContext


class Voicemail(Strict):
    """Record a message from the caller (the fallback when nobody answers)."""

    kind: Literal["voicemail"] = "voicemail"
    prompt: str
    max_seconds: int = 120


class Hangup(Strict):
    """End the call."""

    kind: Literal["hangup"] = "hangup"


class RunAction(Strict):
    """Ask the executor to run an integration action; its result comes back as an event."""

    kind: Literal["run_action"] = "run_action"
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


Action = Annotated[
    Say | Gather | Transfer | Voicemail | Hangup | RunAction, Field(discriminator="kind")
]
