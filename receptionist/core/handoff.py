"""Handoff context: what the staff member hears and sees when a call is put through to them."""

from __future__ import annotations

from typing import Any

from receptionist.core.actions import HandoffContext
from receptionist.core.state import CallState

LABELS = {
    "safety": "Urgent safety concern", "minors_vulnerable": "Minor or vulnerable adult",
    "mental_health": "Mental health concern", "legal_complaint": "Complaint or legal matter",
    "human_request": "Caller asked for a person", "low_confidence": "Receptionist not sure",
    "negative_sentiment": "Caller is upset", "repeated_failure": "Receptionist stuck",
    "out_of_scope": "Request outside what I handle", "staff_assist": "Needs staff",
}
SLOT_SKIP = {"start_intent"}


def handoff_context(world: Any, st: CallState, category: str, why: str,
                    target: str) -> HandoffContext:
    """What the staff member gets with the call: whisper, transcript, intent, slots, mood."""
    return HandoffContext(
        category=category, reason=why, target=target, number=world.profile.targets[target].number,
        whisper=whisper(world, st, category, why), transcript=tuple(st.transcript),
        intent=st.last_intent, slots={k: v for k, v in st.slots.items() if k not in SLOT_SKIP},
        sentiment=st.sentiment)


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
