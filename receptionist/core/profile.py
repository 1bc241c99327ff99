"""The practice profile: name, timezone, hours, address, people, insurers, handoff targets."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from receptionist.core.model import Strict

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Target(Strict):
    """A person or queue a call can be handed to."""

    number: str
    label: str
    staffed: Literal["business_hours", "always"] = "business_hours"


class Person(Strict):
    """A provider or staff member callers may ask for by name."""

    id: str
    name: str
    role: str
    aliases: tuple[str, ...] = ()
    target: str | None = None  # handoff target for messages; defaults to the front desk


class AppointmentType(Strict):
    """A kind of visit that can be booked, with its length."""

    label: str
    minutes: int = Field(gt=0, le=240)
    synonyms: tuple[str, ...] = ()


class PracticeProfile(Strict):
    """Everything about the practice that prompts and routing need, kept out of code."""

    version: str
    name: str
    timezone: str
    phone: str
    address: str
    directions: str
    parking: str
    hours: dict[str, tuple[str, str] | Literal["closed"]]
    holidays: tuple[date, ...] = ()
    targets: dict[str, Target]
    providers: tuple[Person, ...]
    staff: tuple[Person, ...] = ()
    insurers_accepted: tuple[str, ...] = ()
    insurers_not_accepted: tuple[str, ...] = ()
    appointment_types: dict[str, AppointmentType]
    payment_options: str = ""
    service_area: tuple[str, ...] = ()  # ZIP codes served (home services)
    billing_policy: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _every_weekday(cls, value: dict[str, Any]) -> dict[str, Any]:
        missing = [d for d in WEEKDAYS if d not in value]
        unknown = [d for d in value if d not in WEEKDAYS]
        if missing or unknown:
            raise ValueError(f"hours needs exactly the seven weekdays; missing {missing}, "
                             f"unknown {unknown}")
        for day, span in value.items():
            if span != "closed":
                opens, closes = (time.fromisoformat(t) for t in span)
                if opens >= closes:
                    raise ValueError(f"{day}: opening {opens} is not before closing {closes}")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The practice's timezone."""
        return ZoneInfo(self.timezone)

    def opening(self, day: date) -> tuple[time, time] | None:
        """Return (opens, closes) on that date, or None when closed."""
        span = self.hours[WEEKDAYS[day.weekday()]]
        if span == "closed" or day in self.holidays:
            return None
        return time.fromisoformat(span[0]), time.fromisoformat(span[1])

    def is_open(self, at: datetime) -> bool:
        """Tell whether the office is open at that moment."""
        local = at.astimezone(self.tz)
        span = self.opening(local.date())
        return span is not None and span[0] <= local.time().replace(tzinfo=None) < span[1]

    def people(self) -> tuple[Person, ...]:
        """Providers and staff, the people a caller can leave a message for."""
        return self.providers + self.staff

    def hours_text(self) -> str:
        """Say the weekly hours in one sentence."""
        parts = []
        for day in WEEKDAYS:
            span = self.hours[day]
            if span == "closed":
                parts.append(f"{day.capitalize()} closed")
            else:
                parts.append(f"{day.capitalize()} {_spoken(span[0])} to {_spoken(span[1])}")
        return "; ".join(parts)


def _spoken(hhmm: str) -> str:
    t = time.fromisoformat(hhmm)
    suffix = "a.m." if t.hour < 12 else "p.m."
    hour = t.hour % 12 or 12
    return f"{hour}{f':{t.minute:02d}' if t.minute else ''} {suffix}"
