"""Run the engine's integration actions. Queries read; commands change things.

Actions are looked up by name in a registry; an unknown name lists the valid ones. Shadow mode
uses the same registry with an executor that runs queries and only records commands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from integrations.protocols import Slot
from receptionist.core.errors import IntegrationError, ReceptionistError
from receptionist.core.phones import e164
from receptionist.core.profile import PracticeProfile


@dataclass(frozen=True)
class ActionContext:
    """What an action may use: the integrations, the practice, the call and the moment."""

    integrations: Any
    profile: PracticeProfile
    call_sid: str
    caller: str
    now: datetime
    enqueue: Callable[[str, dict[str, Any]], None]
    state: Any = None


ActionFn = Callable[[ActionContext, dict[str, Any]], dict[str, Any]]
REGISTRY: dict[str, tuple[str, ActionFn]] = {}


def action(name: str, kind: str) -> Callable[[ActionFn], ActionFn]:
    """Register an action under a name, as a `query` or a `command`."""

    def register(fn: ActionFn) -> ActionFn:
        REGISTRY[name] = (kind, fn)
        return fn

    return register


class UnknownActionName(ReceptionistError):
    """The engine asked for an action that is not registered."""


def run(ctx: ActionContext, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one action by name; IntegrationError when it fails."""
    if name not in REGISTRY:
        raise UnknownActionName(f"unknown action '{name}' (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name][1](ctx, args)


def normalise_phone(raw: str) -> str:
    """Caller ID as E.164 (US by default); what cannot be parsed is kept as it came."""
    return e164(raw) or raw


def _on_number(ctx: ActionContext) -> list[Any]:
    return ctx.integrations.find_by_phone(normalise_phone(ctx.caller)) if ctx.caller else []


def _patient_id(args: dict[str, Any]) -> int:
    patient = args.get("patient") or {}
    if not patient.get("id"):
        raise IntegrationError("no verified patient")
    return int(patient["id"])


@action("lookup_caller", "query")
def lookup_caller(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """How many records carry the caller's number (nothing about them is read out)."""
    return {"count": len(_on_number(ctx))}


@action("verify_identity", "query")
def verify_identity(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Match date of birth (and name, when given) to a record, caller-ID records first."""
    dob = date.fromisoformat(args["dob"]) if args.get("dob") else None
    name = (args.get("name") or "").split()
    on_number = _on_number(ctx)
    matches = [c for c in on_number if c.dob == dob and (
        not name or (c.first_name.lower() == name[0].lower()
                     and c.last_name.lower() == name[-1].lower()))]
    if not name and len(on_number) != 1:
        matches = []
    if not matches and len(name) >= 2 and dob:
        matches = ctx.integrations.find_by_name_dob(name[0], name[-1], dob)
    if len(matches) != 1:
        return {"verified": False, "matches": len(matches)}
    c = matches[0]
    return {"verified": True, "id": c.id, "first_name": c.first_name, "last_name": c.last_name}


@action("create_contact", "command")
def create_contact(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Add a new patient from what the caller told us."""
    parts = (args.get("name") or "Unknown Caller").split()
    dob = date.fromisoformat(args["dob"]) if args.get("dob") else None
    c = ctx.integrations.create_contact(parts[0], " ".join(parts[1:]) or "-",
                                        args.get("phone") or ctx.caller, dob)
    return {"verified": True, "new": True, "id": c.id, "first_name": c.first_name,
            "last_name": c.last_name}


@action("find_slots", "query")
def find_slots(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """The first opening at or after the time the caller asked for."""
    kind = args.get("appointment_type") or {}
    when = args.get("when") or {}
    tz = ctx.profile.tz
    day = date.fromisoformat(when["date"]) if when.get("date") else ctx.now.astimezone(tz).date()
    clock = time.fromisoformat(when["time"]) if when.get("time") else time(0, 0)
    after = max(datetime.combine(day, clock, tz), ctx.now + timedelta(hours=1))
    slots = ctx.integrations.find_slots(int(kind.get("minutes", 30)), after, limit=1,
                                        appointment_type=kind.get("id", ""))
    if not slots:
        raise IntegrationError("no openings")
    return slots[0].model_dump(mode="json")


@action("book_appointment", "command")
def book_appointment(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Book the slot the caller accepted."""
    slot = Slot.model_validate(args["slot"])
    booked = ctx.integrations.book(_patient_id(args), slot,
                                   (args.get("appointment_type") or {}).get("id", "checkup"))
    return booked.model_dump(mode="json")


@action("upcoming_appointments", "query")
def upcoming_appointments(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """The patient's next appointment (and how many there are)."""
    found = ctx.integrations.upcoming(_patient_id(args), ctx.now)
    if not found:
        return {"count": 0}
    first = found[0]
    minutes = int((first.end - first.start).total_seconds() // 60)
    return {"count": len(found), "first": first.id,
            "label": f"{first.label} with {first.provider}", "provider": first.provider,
            "appointment_type": {"id": first.appointment_type, "minutes": minutes}}


@action("cancel_appointment", "command")
def cancel_appointment(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Cancel an appointment."""
    return ctx.integrations.cancel(int(args["appointment"])).model_dump(mode="json")


@action("reschedule_appointment", "command")
def reschedule_appointment(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Move an appointment to the accepted slot."""
    slot = Slot.model_validate(args["slot"])
    return ctx.integrations.reschedule(int(args["appointment"]), slot).model_dump(mode="json")


@action("get_balance", "query")
def get_balance(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """The verified patient's balance, ready to be spoken."""
    cents = ctx.integrations.balance(_patient_id(args))
    spoken = "zero; you don't owe anything" if cents == 0 else \
        f"${cents // 100:,}.{cents % 100:02d}"
    return {"cents": cents, "spoken": spoken}


@action("create_ticket", "command")
def create_ticket(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Open a message or callback ticket for staff."""
    data = {k: v for k, v in args.items() if k != "kind"} | {"call_sid": ctx.call_sid,
                                                            "caller": ctx.caller}
    return {"ticket": ctx.integrations.open_ticket(args.get("kind", "callback"), data)}


@action("attach_recording", "command")
def attach_recording(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Attach the voicemail to the callback ticket."""
    if args.get("ticket"):
        ctx.integrations.attach_recording(int(args["ticket"]), args.get("url") or "")
    return {}


@action("check_service_area", "query")
def check_service_area(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Whether a ZIP code is in the practice's service area."""
    zip_code = str(args.get("zip") or "").strip()[:5]
    return {"zip": zip_code, "served": zip_code in ctx.profile.service_area,
            "label": " ".join(zip_code)}


@action("write_back_summary", "command")
def write_back_summary(ctx: ActionContext, args: dict[str, Any]) -> dict[str, Any]:
    """Queue the call summary and disposition for the CRM timeline (durable outbox)."""
    st = ctx.state
    patient = (st.slots.get("patient") or {}) if st else {}
    summary = summarise(st) if st else ""
    ctx.enqueue("crm_timeline", {
        "contact_id": patient.get("id"), "phone": ctx.caller, "call_sid": ctx.call_sid,
        "summary": summary, "disposition": st.disposition if st else None,
        "call_type": st.call_type if st else None, "escalation": st.escalation if st else None,
        "status": st.status if st else args.get("status")})
    return {"queued": True}


def summarise(st: Any) -> str:
    """One readable line about the call for the contact's timeline."""
    what = (st.call_type or "no call type").replace("_", " ")
    parts = [f"AI receptionist call about {what}: {st.disposition or st.status}."]
    if st.escalation:
        parts.append(f"Escalated ({st.escalation}) to {st.transfer_to or 'a callback'}: "
                     f"{st.escalation_reason}.")
    return " ".join(parts)


def names() -> list[str]:
    """Every registered action name."""
    return sorted(REGISTRY)
