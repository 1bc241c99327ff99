"""The reference CRM, scheduler and ticketing on the project's own SQL database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from integrations.protocols import Appointment, Contact, Slot
from receptionist.core.errors import IntegrationError
from receptionist.core.profile import PracticeProfile
from receptionist.storage.db import BOOKING, advisory_lock, from_db, insert_id, to_db, utcnow
from receptionist.storage.tables import appointments, contacts, tickets, timeline

SLOT_STEP = timedelta(minutes=30)
SEARCH_DAYS = 60


class SqlIntegrations:
    """CRM, Scheduler and Ticketing on one connection (inside the turn's transaction)."""

    def __init__(self, conn: Connection, profile: PracticeProfile, crypt: Any = None) -> None:
        self.conn, self.profile, self.crypt = conn, profile, crypt

    # -- CRM ---------------------------------------------------------------------------------
    def find_by_phone(self, phone: str) -> list[Contact]:
        """Contacts whose phone is this E.164 number."""
        rows = self.conn.execute(sa.select(contacts).where(contacts.c.phone == phone)
                                 .order_by(contacts.c.id))
        return [_contact(r) for r in rows]

    def find_by_name_dob(self, first: str, last: str, dob: date) -> list[Contact]:
        """Contacts with this name (any case) and date of birth."""
        rows = self.conn.execute(sa.select(contacts).where(
            sa.func.lower(contacts.c.first_name) == first.lower(),
            sa.func.lower(contacts.c.last_name) == last.lower(), contacts.c.dob == dob))
        return [_contact(r) for r in rows]

    def create_contact(self, first: str, last: str, phone: str | None, dob: date | None) -> Contact:
        """Add a new contact."""
        new_id = insert_id(self.conn, contacts.insert().values(
            first_name=first, last_name=last, phone=phone, dob=dob, balance_cents=0,
            created_at=utcnow(), last_interaction_at=utcnow()))
        return Contact(id=new_id, first_name=first, last_name=last, phone=phone, dob=dob)

    def append_timeline(self, contact_id: int | None, phone: str, kind: str, summary: str,
                        data: dict[str, Any], idempotency_key: str | None = None) -> None:
        """Write a call summary to the contact's timeline and mark the interaction.

        A write that carries an idempotency key already on the timeline is not made again.
        """
        if idempotency_key is not None and self.conn.execute(
                sa.select(timeline.c.id).where(timeline.c.idempotency_key == idempotency_key)
        ).first() is not None:
            return
        self.conn.execute(timeline.insert().values(contact_id=contact_id, phone=phone, kind=kind,
                                                   summary=summary, data=data,
                                                   created_at=utcnow(),
                                                   idempotency_key=idempotency_key))
        if contact_id is not None:
            self.conn.execute(contacts.update().where(contacts.c.id == contact_id)
                              .values(last_interaction_at=utcnow()))

    def balance(self, contact_id: int) -> int:
        """The contact's balance in cents."""
        return int(self.conn.execute(sa.select(contacts.c.balance_cents)
                                     .where(contacts.c.id == contact_id)).scalar_one())

    # -- Scheduler ---------------------------------------------------------------------------
    def find_slots(self, minutes: int, after: datetime, limit: int = 3,
                   appointment_type: str = "") -> list[Slot]:
        """The first free slots of that length at or after a moment, in office hours."""
        tz, found = self.profile.tz, list[Slot]()
        local = after.astimezone(tz)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            found += self._free_on(day, minutes, local if offset == 0 else None,
                                   appointment_type, limit - len(found))
            if len(found) >= limit:
                break
        return found

    def _free_on(self, day: date, minutes: int, not_before: datetime | None, kind: str,
                 wanted: int) -> list[Slot]:
        span = self.profile.opening(day)
        if span is None or wanted <= 0:
            return []
        tz = self.profile.tz
        start = datetime.combine(day, span[0], tz)
        close = datetime.combine(day, span[1], tz)
        while not_before is not None and start < not_before:
            start += SLOT_STEP
        busy = self._busy(start, close)
        out: list[Slot] = []
        length = timedelta(minutes=minutes)
        while start + length <= close and len(out) < wanted:
            for person in self._providers_for(kind):
                if not any(p == person.id and s < start + length and start < e
                           for p, s, e in busy):
                    out.append(self._slot(person.id, person.name, start, start + length))
                    break
            start += SLOT_STEP
        return out

    def _providers_for(self, kind: str) -> list[Any]:
        hygienists = [p for p in self.profile.providers if p.role == "hygienist"]
        dentists = [p for p in self.profile.providers if p.role != "hygienist"]
        return hygienists + dentists if kind == "cleaning" else dentists

    def _busy(self, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
        rows = self.conn.execute(sa.select(appointments.c.provider_id, appointments.c.start,
                                           appointments.c.end).where(
            appointments.c.status == "booked", appointments.c.start < to_db(end),
            appointments.c.end > to_db(start)))
        return [(r.provider_id, from_db(r.start), from_db(r.end)) for r in rows]

    def _slot(self, provider_id: str, provider: str, start: datetime, end: datetime) -> Slot:
        return Slot(start=start, end=end, provider_id=provider_id, provider=provider,
                    label=spoken_time(start.astimezone(self.profile.tz)))

    def book(self, contact_id: int, slot: Slot, appointment_type: str) -> Appointment:
        """Book a slot, refusing one that overlaps a booking made since it was offered.

        One booking per provider at a time (an advisory lock on PostgreSQL, the write lock on
        SQLite); the database's constraints refuse an overlap even if that were bypassed.
        """
        taken = IntegrationError(f"{slot.provider} is no longer free at {slot.label}")
        advisory_lock(self.conn, BOOKING, slot.provider_id)
        if any(b[0] == slot.provider_id for b in self._busy(slot.start, slot.end)):
            raise taken
        try:
            with self.conn.begin_nested():
                new_id = insert_id(self.conn, appointments.insert().values(
                    contact_id=contact_id, provider_id=slot.provider_id,
                    appointment_type=appointment_type, start=to_db(slot.start),
                    end=to_db(slot.end), status="booked", created_at=utcnow()))
        except sa.exc.IntegrityError as exc:
            raise taken from exc
        return self.appointment(new_id)

    def appointment(self, appointment_id: int) -> Appointment:
        """One appointment by id."""
        row = self.conn.execute(sa.select(appointments).where(
            appointments.c.id == appointment_id)).one_or_none()
        if row is None:
            raise IntegrationError(f"no appointment {appointment_id}")
        return self._appointment(row)

    def _appointment(self, row: Any) -> Appointment:
        person = next((p for p in self.profile.providers if p.id == row.provider_id), None)
        start = from_db(row.start)
        return Appointment(id=row.id, contact_id=row.contact_id, provider_id=row.provider_id,
                           provider=person.name if person else row.provider_id,
                           appointment_type=row.appointment_type, start=start,
                           end=from_db(row.end), status=row.status,
                           label=spoken_time(start.astimezone(self.profile.tz)))

    def upcoming(self, contact_id: int, now: datetime) -> list[Appointment]:
        """Future booked appointments of a contact, soonest first."""
        rows = self.conn.execute(sa.select(appointments).where(
            appointments.c.contact_id == contact_id, appointments.c.status == "booked",
            appointments.c.start > to_db(now)).order_by(appointments.c.start))
        return [self._appointment(r) for r in rows]

    def cancel(self, appointment_id: int) -> Appointment:
        """Mark an appointment cancelled."""
        self.conn.execute(appointments.update().where(appointments.c.id == appointment_id)
                          .values(status="cancelled"))
        return self.appointment(appointment_id)

    def reschedule(self, appointment_id: int, slot: Slot) -> Appointment:
        """Move an appointment: the old one is marked rescheduled, a new one is booked."""
        old = self.appointment(appointment_id)
        self.conn.execute(appointments.update().where(appointments.c.id == appointment_id)
                          .values(status="rescheduled"))
        return self.book(old.contact_id, slot, old.appointment_type)

    # -- Ticketing ---------------------------------------------------------------------------
    def open_ticket(self, kind: str, data: dict[str, Any]) -> int:
        """Open a message or callback ticket."""
        stored = self.crypt.encrypt_json(data) if self.crypt is not None else data
        return insert_id(self.conn, tickets.insert().values(
            kind=kind, data=stored, status="open", created_at=utcnow()))

    def attach_recording(self, ticket_id: int, url: str) -> None:
        """Attach a voicemail recording to a ticket."""
        self.conn.execute(tickets.update().where(tickets.c.id == ticket_id)
                          .values(recording_url=url))


def _contact(row: Any) -> Contact:
    return Contact(id=row.id, first_name=row.first_name, last_name=row.last_name,
                   phone=row.phone, email=row.email, dob=row.dob, balance_cents=row.balance_cents)


def spoken_time(moment: datetime) -> str:
    """'Tuesday, November 24 at 3 p.m.'."""
    clock = moment.strftime("%-I:%M").replace(":00", "")
    return f"{moment.strftime('%A, %B %-d')} at {clock} {'a.m.' if moment.hour < 12 else 'p.m.'}"
