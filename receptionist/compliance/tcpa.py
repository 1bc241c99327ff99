"""The TCPA guard for outbound callbacks: written consent, do-not-call scrub, calling window.

The callee's local time comes from the number (its time zone), with state overlays from
compliance.yaml. Every attempt, allowed or blocked, is logged with the rule that decided it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import phonenumbers
import sqlalchemy as sa
from phonenumbers import geocoder, timezone
from sqlalchemy.engine import Connection

from receptionist.compliance import audit
from receptionist.core.phones import e164 as normalise
from receptionist.storage import db
from receptionist.storage.tables import attempts, consents, dnc


def e164(raw: str) -> str:
    """Normalise a US number to E.164 (raise ValueError when it is not a number)."""
    number = normalise(raw)
    if number is None:
        raise ValueError(f"not a phone number: {raw!r}")
    return number


def caller_state(raw: str) -> str | None:
    """The US state a number belongs to ('Massachusetts'), from its area code."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    place = geocoder.description_for_number(number, "en")
    return place.split(", ")[-1] if place else None


def callee_zone(raw: str) -> ZoneInfo | None:
    """The callee's time zone from the number (None when it cannot be told)."""
    zones = [z for z in timezone.time_zones_for_number(phonenumbers.parse(raw, "US"))
             if z != "Etc/Unknown"]
    return ZoneInfo(zones[0]) if zones else None


@dataclass(frozen=True)
class Decision:
    """Whether a callback may be placed now, and the rule that decided."""
    allowed: bool
    rule: str
    detail: str


def check(conn: Connection, phone: str, now: datetime, rules: Any) -> Decision:
    """Apply the rules in order: written consent, do-not-call list, calling window."""
    number = e164(phone)
    written = conn.execute(sa.select(sa.func.count()).select_from(consents).where(
        consents.c.phone == number, consents.c.written.is_(True))).scalar_one()
    if not written:
        return Decision(False, "no_written_consent", "no written consent on record")
    if conn.execute(sa.select(dnc.c.phone).where(dnc.c.phone == number)).first():
        return Decision(False, "do_not_call", "the number is on the do-not-call list")
    zone = callee_zone(number)
    if zone is None:
        return Decision(False, "unknown_time_zone", "cannot tell the callee's local time")
    local = now.astimezone(zone)
    state = caller_state(number) or ""
    window = rules.state_overlays.get(state, rules.window) if state else rules.window
    if not (window.start <= local.time().replace(tzinfo=None) < window.end):
        return Decision(False, "calling_window", f"{local:%H:%M} {zone.key} is outside "
                        f"{window.start:%H:%M}-{window.end:%H:%M}"
                        f"{' (' + state + ' overlay)' if state in rules.state_overlays else ''}")
    return Decision(True, "allowed", f"{local:%H:%M} {zone.key}, consent on record, not on DNC")


class Dialer(Protocol):
    """Places an outbound call (Twilio's REST API in production)."""
    def dial(self, to: str, ticket_id: int | None) -> str:
        """Start the call; return its id."""
        ...


class TwilioDialer:
    """The production dialer: Twilio's REST API (needs the network and an account)."""
    def __init__(self, account_sid: str, auth_token: str, from_number: str, url: str) -> None:
        from twilio.rest import Client

        self.client, self.from_number, self.url = Client(account_sid, auth_token), from_number, url

    def dial(self, to: str, ticket_id: int | None) -> str:
        """Create the call with Twilio."""
        return str(self.client.calls.create(to=to, from_=self.from_number, url=self.url).sid)


def attempt(conn: Connection, phone: str, now: datetime, rules: Any, dialer: Dialer,
            ticket_id: int | None = None) -> Decision:
    """Check the rules, log the attempt with its rule, and dial only when allowed."""
    decision = check(conn, phone, now, rules)
    conn.execute(attempts.insert().values(phone=e164(phone), ticket_id=ticket_id,
                                          allowed=decision.allowed, rule=decision.rule,
                                          detail=decision.detail, at=db.to_db(now)))
    audit.append(conn, "outbound_call", "receptionist", phone=e164(phone), ticket=ticket_id,
                 allowed=decision.allowed, rule=decision.rule)
    if decision.allowed:
        dialer.dial(e164(phone), ticket_id)
    return decision


def record_consent(conn: Connection, phone: str, source: str, written: bool = True) -> None:
    """Record a callee's consent to be called back."""
    conn.execute(consents.insert().values(phone=e164(phone), written=written, source=source,
                                          recorded_at=db.utcnow()))


def import_dnc(conn: Connection, path: Path) -> int:
    """Import a do-not-call list (CSV or one number per line); return numbers added."""
    added = 0
    for row in csv.reader(path.read_text().splitlines()):
        if not row or not any(ch.isdigit() for ch in row[0]):
            continue
        number = e164(row[0])
        if not conn.execute(sa.select(dnc.c.phone).where(dnc.c.phone == number)).first():
            conn.execute(dnc.insert().values(phone=number, source=path.name,
                                             added_at=db.utcnow()))
            added += 1
    return added
