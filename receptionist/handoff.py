"""Escalation: route a call to the right person with context, or to a message when nobody is in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from receptionist import runner
from receptionist.actions import HandoffContext, Say, Transfer
from receptionist.escalation import MESSAGE
from receptionist.runner import note
from receptionist.state import CallState

LABELS = {
    "safety": "Urgent safety concern", "minors_vulnerable": "Minor or vulnerable adult",
    "mental_health": "Mental health concern", "legal_complaint": "Complaint or legal matter",
    "human_request": "Caller asked for a person", "low_confidence": "Receptionist not sure",
    "negative_sentiment": "Caller is upset", "repeated_failure": "Receptionist stuck",
    "out_of_scope": "Request outside what I handle", "staff_assist": "Needs staff",
}
SLOT_SKIP = {"start_intent"}


def escalate(world: Any, st: CallState, category: str, why: str, at: datetime, out: list,
             *, announce: bool = True) -> None:
    """Hand the call over for this category: transfer with a whisper, or take a message."""
    rules = world.matrix.categories.get(category) or world.matrix.categories["human_request"]
    target = world.matrix.target_for(category if category in world.matrix.categories
                                     else "human_request", world.profile, at)
    st.escalation = st.escalation or category
    st.escalation_reason = why
    st.decision = f"escalate {category} -> {target}: {why}"
    if announce:
        note(st, "receptionist", rules.say)
        out.append(Say(text=rules.say))
    if target == MESSAGE:
        st.stack.clear()
        st.slots["callback_reason"] = why
        runner.start_flow(world, st, "callback_request", None, at, out)
        return
    details = world.profile.targets[target]
    context = HandoffContext(
        category=category, reason=why, target=target, number=details.number,
        whisper=whisper(world, st, category, why), transcript=tuple(st.transcript),
        intent=st.last_intent, slots={k: v for k, v in st.slots.items() if k not in SLOT_SKIP},
        sentiment=st.sentiment)
    st.phase, st.status, st.transfer_to = "handoff", "transferred", target
    st.disposition = st.disposition or "transferred"
    out.append(Transfer(handoff=context))


def whisper(world: Any, st: CallState, category: str, why: str) -> str:
    """The short summary the staff member hears before the caller is connected."""
    who = st.slots.get("full_name") or (st.slots.get("patient") or {}).get("first_name") \
        or _spell(st.caller)
    parts = [f"{LABELS.get(category, category)}.", f"Caller {who}.", f"Reason: {why}."]
    if st.call_type and st.call_type != "out_of_scope":
        parts.append(f"They were calling about {st.call_type.replace('_', ' ')}.")
    if st.sentiment <= -0.3:
        parts.append("They sound upset.")
    return " ".join(parts)


def _spell(number: str) -> str:
    digits = "".join(ch for ch in number if ch.isdigit())[-10:]
    return " ".join(digits) if digits else "unknown number"
