"""The world a call is decided in: flows, escalation matrix, practice, conversation defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from receptionist.core.conversation import Conversation
from receptionist.core.escalation import Detector, EscalationMatrix
from receptionist.core.flowspec import FlowBundle
from receptionist.core.profile import PracticeProfile

CALLBACK_FLOW = "callback_request"


@dataclass(frozen=True)
class World:
    """Everything a call is decided by that does not change during the call."""

    flows: FlowBundle
    matrix: EscalationMatrix
    profile: PracticeProfile
    conversation: Conversation = field(default_factory=Conversation)
    switch_confidence: float = 0.85
    live: frozenset[str] | None = None  # call types taking calls; None: every call type
    disclosure: str = ""  # the recording disclosure said before the greeting
    compliance: Any = None  # config.compliance.ComplianceSettings
    detector: Detector = field(init=False)
    practice: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "detector", Detector(self.matrix))
        object.__setattr__(self, "practice", practice_context(self.profile))

    @property
    def confidence_threshold(self) -> float:
        """Below this an intent is not trusted (the low_confidence category's threshold)."""
        category = self.matrix.get("low_confidence")
        return category.threshold if category and category.threshold is not None else 0.5

    def menu_hints(self) -> tuple[str, ...]:
        """Words for the recogniser while the caller picks a call type: the flows' own."""
        menu = sorted(self.flows.call_types(), key=lambda f: f.menu_key or "9")
        words = [h for f in menu if self.live is None or f.flow in self.live for h in f.hints]
        return tuple(dict.fromkeys(words + list(self.conversation.menu_hints)))


def practice_context(profile: PracticeProfile) -> dict[str, Any]:
    """The `{practice.*}` names prompts may use."""
    return {
        "name": profile.name, "address": profile.address, "directions": profile.directions,
        "parking": profile.parking, "phone": profile.phone, "hours_text": profile.hours_text(),
        "insurers": list(profile.insurers_accepted), "payment_options": profile.payment_options,
        "billing_policy": profile.billing_policy,
    }
