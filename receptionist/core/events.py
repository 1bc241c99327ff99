"""Events: what happens on a call, as the engine sees it.

Every event is a small frozen model with a timestamp, so a call can be replayed exactly.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from receptionist.core.model import Strict


class Entity(Strict):
    """One entity found in an utterance, with its normalised value."""

    entity: str
    value: Any
    text: str
    start: int | None = None
    end: int | None = None
    extractor: str = "embedded"


class NluResult(Strict):
    """What the NLU engine understood of one utterance."""

    text: str
    intent: str | None
    confidence: float
    entities: tuple[Entity, ...] = ()
    ranking: tuple[tuple[str, float], ...] = ()
    engine: str = "spacy"
    fallback: str | None = None  # why the preferred engine was not used for this turn
    # the safety net: always-escalate categories the utterance means, by similarity (0..1)
    alerts: tuple[tuple[str, float], ...] = ()

    def entity(self, name: str) -> Entity | None:
        """Return the first entity of that type, if any."""
        return next((e for e in self.entities if e.entity == name), None)


class _Event(Strict):
    at: datetime


class CallStarted(_Event):
    """A new inbound call reached the receptionist."""

    kind: Literal["call_started"] = "call_started"
    call_sid: str
    caller: str
    called: str = ""


class SpeechRecognized(_Event):
    """The caller said something (text from Twilio's or a local recogniser)."""

    kind: Literal["speech"] = "speech"
    text: str
    asr_confidence: float | None = None
    recogniser: Literal["twilio", "local"] | None = None  # whose scale asr_confidence is on
    nlu: NluResult | None = None
    spoken: dict[str, float] = {}  # language -> probability, when the audio was identified
    also_heard: str | None = None  # the streaming recogniser's words, when a second pass won


class DtmfPressed(_Event):
    """The caller pressed keys."""

    kind: Literal["dtmf"] = "dtmf"
    digits: str


class NoInput(_Event):
    """The caller stayed silent until the gather timed out."""

    kind: Literal["no_input"] = "no_input"


class ActionResult(_Event):
    """An integration action the engine asked for has finished."""

    kind: Literal["action_result"] = "action_result"
    name: str
    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class DialFinished(_Event):
    """A transfer to a human finished: answered, or not."""

    kind: Literal["dial_finished"] = "dial_finished"
    status: str  # Twilio's DialCallStatus: completed, answered, busy, no-answer, failed, canceled


class VoicemailRecorded(_Event):
    """The caller left a voicemail after a handoff nobody answered."""

    kind: Literal["voicemail"] = "voicemail"
    recording_url: str = ""
    duration: int = 0


class CallEnded(_Event):
    """The call is over (Twilio's status callback)."""

    kind: Literal["call_ended"] = "call_ended"
    status: str = "completed"


Event = Annotated[
    CallStarted | SpeechRecognized | DtmfPressed | NoInput | ActionResult | DialFinished
    | VoicemailRecorded | CallEnded,
    Field(discriminator="kind"),
]
