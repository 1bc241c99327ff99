"""The flow schema: one small typed class per step kind, told apart by their key (Rasa style)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from receptionist.core.model import Strict

SlotType = Literal[
    "text", "name", "date", "time", "datetime", "dob", "phone", "yes_no", "choice",
    "person", "insurer", "appointment_type", "digits",
]


class Condition(Strict):
    """A test on one slot: equal to, not equal to, one of, or (un)set."""

    slot: str
    eq: Any = None
    ne: Any = None
    in_: tuple[Any, ...] | None = Field(default=None, alias="in")
    is_set: bool | None = None

    def holds(self, slots: dict[str, Any]) -> bool:
        """Evaluate the condition against the call's slots."""
        value: Any = slots
        for part in self.slot.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if self.is_set is not None:
            return (value is not None) == self.is_set
        if self.in_ is not None:
            return value in self.in_
        if self.ne is not None:
            return bool(value != self.ne)
        return bool(value == self.eq)


class Branch(Strict):
    """`if` a condition holds, go to `then`."""

    if_: Condition = Field(alias="if")
    then: str


class Otherwise(Strict):
    """The branch taken when no `if` matched."""

    else_: str = Field(alias="else")


Next = str | tuple[Branch | Otherwise, ...]


class _Step(Strict):
    id: str
    next: Next | None = None
    line: int | None = Field(default=None, exclude=True)

    def targets(self) -> list[str]:
        """Every step id this step can go to."""
        if self.next is None:
            return []
        if isinstance(self.next, str):
            return [self.next]
        return [b.then if isinstance(b, Branch) else b.else_ for b in self.next]


class CollectStep(_Step):
    """Ask for one slot, check the answer, re-ask, give up after `max_attempts`."""

    collect: str
    type: SlotType = "text"
    prompt: str
    reprompt: str | None = None
    hints: tuple[str, ...] = ()
    options: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    max_attempts: int = Field(default=3, ge=1, le=5)
    on_fail: str | None = None
    ask_always: bool = False
    prefill: bool = True  # may the caller's first sentence fill this slot ("a cleaning on Friday")

    def targets(self) -> list[str]:
        """Next steps, plus where to go when the caller never gives a valid answer."""
        return super().targets() + ([self.on_fail] if self.on_fail else [])


class SayStep(_Step):
    """Say something and go on."""

    say: str


class ActionStep(_Step):
    """Run a named integration action; its result lands in `save_as`."""

    action: str
    args: dict[str, Any] = Field(default_factory=dict)
    save_as: str | None = None
    on_error: str | None = None

    def targets(self) -> list[str]:
        """Next steps, plus where to go when the action fails."""
        return super().targets() + ([self.on_error] if self.on_error else [])


class CallStep(_Step):
    """Run another flow (a sub-flow such as identity checks), then come back."""

    call: str


class SetStep(_Step):
    """Set slots to fixed values."""

    set: dict[str, Any]


class EndStep(_Step):
    """Finish the call type with a disposition; then offer more help or hang up."""

    end: str
    say: str | None = None
    then: Literal["anything_else", "hangup"] = "anything_else"


class HandoffStep(_Step):
    """Hand the caller to a person, through an escalation category's routing."""

    handoff: str
    reason: str
    say: str | None = None


class ReturnStep(_Step):
    """Leave a sub-flow and continue where it was called."""

    return_: Literal[True] = Field(alias="return")


STEP_KINDS = {
    "collect": CollectStep, "say": SayStep, "action": ActionStep, "call": CallStep,
    "set": SetStep, "end": EndStep, "handoff": HandoffStep, "return": ReturnStep,
}
TERMINAL = (EndStep, HandoffStep, ReturnStep)


def _step_kind(raw: Any) -> str | None:
    if isinstance(raw, dict):
        found = [k for k in ("collect", "action", "call", "set", "end", "handoff", "return")
                 if k in raw]
        if found:
            return found[0]
        return "say" if "say" in raw else None
    return next((k for k, cls in STEP_KINDS.items() if isinstance(raw, cls)), None)


Step = Annotated[
    Annotated[CollectStep, Tag("collect")] | Annotated[SayStep, Tag("say")]
    | Annotated[ActionStep, Tag("action")] | Annotated[CallStep, Tag("call")]
    | Annotated[SetStep, Tag("set")] | Annotated[EndStep, Tag("end")]
    | Annotated[HandoffStep, Tag("handoff")] | Annotated[ReturnStep, Tag("return")],
    Discriminator(_step_kind, custom_error_type="unknown_step_kind",
                  custom_error_message="a step needs one of the keys collect, say, action, "
                                       "call, set, end, handoff or return"),
]


class Flow(Strict):
    """One call type (or a sub-flow) as data."""

    version: Literal["1"]
    flow: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    kind: Literal["call_type", "subflow"] = "call_type"
    intents: tuple[str, ...] = ()
    menu_key: str | None = Field(default=None, pattern=r"^[1-9]$")
    hints: tuple[str, ...] = ()  # words callers use to ask for it (recogniser hints on the menu)
    stage: Literal["shadow", "pilot", "live", "paused", "retired"] = "live"
    stores: tuple[str, ...] = ()  # slots kept after the call (data minimisation); nothing else
    steps: tuple[Step, ...] = Field(min_length=1)
    file: str = Field(default="", exclude=True)

    def step(self, step_id: str) -> Any:
        """Return the step with that id (KeyError when missing)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    @property
    def first(self) -> str:
        """The id of the step a flow starts on."""
        return self.steps[0].id


@dataclass(frozen=True)
class FlowBundle:
    """Every flow of a practice, checked, with the intent that starts each call type."""

    flows: dict[str, Flow]
    by_intent: dict[str, str] = field(default_factory=dict)

    def call_types(self) -> list[Flow]:
        """The flows a caller can start (not sub-flows)."""
        return [f for f in self.flows.values() if f.kind == "call_type"]
