"""Drive the pure engine through a whole call: no Flask, no database, no models.

In the style of Pipecat's `run_test`: a test scripts what the caller does and reads back what the
engine decided. Named actions (lookups, bookings, tickets) are answered by `FakeActions`, which
records what it was asked and answers from a script, so every branch of a flow can be reached in
milliseconds::

    record = run_call(world, [said("I'd like to book a cleaning", "book_appointment"),
                              pressed("0")])
    assert record.state.escalation == "human_request"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from receptionist.core import engine
from receptionist.core.actions import Action, Gather, RunAction, Say, Transfer
from receptionist.core.events import (
    ActionResult,
    CallEnded,
    CallStarted,
    DialFinished,
    DtmfPressed,
    Entity,
    Event,
    NluResult,
    NoInput,
    SpeechRecognized,
    VoicemailRecorded,
)
from receptionist.core.state import CallState
from receptionist.core.world import World

DEFAULT_START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/New_York"))  # a Monday
PLACEHOLDER = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))  # replaced by run_call's clock
Answer = dict[str, Any] | Exception | Callable[[dict[str, Any]], dict[str, Any]]


def said(text: str, intent: str | None = None, confidence: float = 0.95,
         entities: Iterable[Entity] = (), heard: float | None = None) -> SpeechRecognized:
    """The caller says `text`; the NLU result is scripted (no model runs).

    `heard`: the recogniser's confidence in the words (None: not known, as in text mode).
    """
    nlu = NluResult(text=text, intent=intent, confidence=confidence if intent else 0.0,
                    entities=tuple(entities), engine="scripted")
    return SpeechRecognized(at=PLACEHOLDER, text=text, nlu=nlu, asr_confidence=heard)


def pressed(digits: str) -> DtmfPressed:
    """The caller presses keys."""
    return DtmfPressed(at=PLACEHOLDER, digits=digits)


def silence() -> NoInput:
    """The caller says nothing until the gather times out."""
    return NoInput(at=PLACEHOLDER)


def dial_finished(status: str) -> DialFinished:
    """A transfer ended: `completed` (answered) or `no-answer`, `busy`..."""
    return DialFinished(at=PLACEHOLDER, status=status)


def voicemail(duration: int = 20) -> VoicemailRecorded:
    """The caller left a voicemail."""
    return VoicemailRecorded(at=PLACEHOLDER, recording_url="https://example.test/rec",
                             duration=duration)


def hang_up(status: str = "completed") -> CallEnded:
    """Twilio's status callback: the call is over."""
    return CallEnded(at=PLACEHOLDER, status=status)


class FakeActions:
    """Answers the engine's named actions from a script and records every one it was asked.

    `answers` maps an action name to the data it returns, an exception (the action fails) or a
    function of the action's arguments. Actions not in the script succeed with no data.
    """

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[RunAction] = []

    def __call__(self, state: CallState, action: RunAction) -> ActionResult:
        """Perform one action (as the service's executor would) and say how it went."""
        self.asked.append(action)
        answer = self.answers.get(action.name, {})
        at = state.started_at
        try:
            data = answer(action.args) if callable(answer) else answer
        except Exception as exc:  # noqa: BLE001 - a scripted failure of any kind
            data = exc
        if isinstance(data, Exception):
            return ActionResult(at=at, name=action.name, ok=False, error=str(data))
        return ActionResult(at=at, name=action.name, ok=True, data=data)

    def names(self) -> list[str]:
        """The names of the actions asked for, in order."""
        return [a.name for a in self.asked]


@dataclass
class CallRecord:
    """What the engine did over a call: its final state and every caller-side action."""

    state: CallState
    steps: list[tuple[Event, list[Action]]] = field(default_factory=list)
    performed: FakeActions = field(default_factory=FakeActions)

    @property
    def actions(self) -> list[Action]:
        """Every caller-side action (say, gather, transfer, hangup...), in order."""
        return [a for _, actions in self.steps for a in actions]

    def replies(self) -> list[str]:
        """What the receptionist said after each event, one string per event."""
        return [" ".join(_spoken(a) for a in actions).strip() for _, actions in self.steps]

    def transfers(self) -> list[Transfer]:
        """The handoffs the engine asked for."""
        return [a for a in self.actions if isinstance(a, Transfer)]

    @property
    def outcome(self) -> dict[str, Any]:
        """The call's outcome as `receptionist call --json` reports it."""
        return self.state.outcome()


def run_call(world: World, events: Iterable[Event], *, caller: str = "+14135550999",
             start: datetime = DEFAULT_START, gap_s: float = 5.0,
             actions: FakeActions | None = None) -> CallRecord:
    """Start a call, feed it `events` (timestamps filled in, `gap_s` apart) and run actions."""
    perform = actions or FakeActions()
    first = CallStarted(at=start, call_sid="CAharness", caller=caller)
    state, pending = engine.step(world, None, first)
    state, out = engine.drain(world, state, pending, perform)
    record = CallRecord(state=state, steps=[(first, out)], performed=perform)
    for n, event in enumerate(events, start=1):
        timed = event.model_copy(update={"at": start + timedelta(seconds=gap_s * n)})
        state, pending = engine.step(world, record.state, timed)
        record.state, out = engine.drain(world, state, pending, perform)
        record.steps.append((timed, out))
    return record


def _spoken(action: Action) -> str:
    if isinstance(action, Say):
        return action.text
    if isinstance(action, Gather):
        return action.prompt
    return ""
