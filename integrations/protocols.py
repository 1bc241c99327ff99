"""The protocols a real CRM, scheduler or ticketing adapter implements. Our models, no vendor types.

Queries (lookups, availability) and commands (book, cancel, write-back, tickets) are kept apart:
shadow mode runs the queries and only records the commands.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Contact(_Model):
    """A patient or customer record."""

    id: int
    first_name: str
    last_name: str
    phone: str | None = None
    email: str | None = None
    dob: date | None = None
    balance_cents: int = 0


class Slot(_Model):
    """An open time with a provider."""

    start: datetime
    end: datetime
    provider_id: str
    provider: str
    label: str


class Appointment(_Model):
    """A booked visit."""

    id: int
    contact_id: int
    provider_id: str
    provider: str
    appointment_type: str
    start: datetime
    end: datetime
    status: str
    label: str


class Crm(Protocol):
    """Contacts and their timeline."""

    def find_by_phone(self, phone: str) -> list[Contact]:
        """Contacts whose phone is this E.164 number."""
        ...

    def find_by_name_dob(self, first: str, last: str, dob: date) -> list[Contact]:
        """Contacts with this name and date of birth."""
        ...

    def create_contact(self, first: str, last: str, phone: str | None, dob: date | None) -> Contact:
        """Add a new contact."""
        ...

    def append_timeline(self, contact_id: int | None, phone: str, kind: str, summary: str,
                        data: dict[str, Any], idempotency_key: str | None = None) -> None:
        """Write a call summary and disposition to the contact's timeline.

        A CRM must not repeat a write whose idempotency key it has already taken: a delivery
        retried after a crash or a timeout carries the same key.
        """
        ...


class Scheduler(Protocol):
    """Availability and appointments."""

    def find_slots(self, minutes: int, after: datetime, limit: int = 3) -> list[Slot]:
        """The first free slots of that length at or after a moment."""
        ...

    def book(self, contact_id: int, slot: Slot, appointment_type: str) -> Appointment:
        """Book a slot; raises IntegrationError when it is no longer free."""
        ...

    def upcoming(self, contact_id: int, now: datetime) -> list[Appointment]:
        """The contact's future booked appointments, soonest first."""
        ...

    def cancel(self, appointment_id: int) -> Appointment:
        """Cancel an appointment."""
        ...

    def reschedule(self, appointment_id: int, slot: Slot) -> Appointment:
        """Move an appointment to another slot."""
        ...


class Ticketing(Protocol):
    """Messages and callback requests for staff."""

    def open_ticket(self, kind: str, data: dict[str, Any]) -> int:
        """Open a ticket and return its id."""
        ...

    def attach_recording(self, ticket_id: int, url: str) -> None:
        """Attach a voicemail recording to a ticket."""
        ...
