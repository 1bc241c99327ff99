"""Demo patients for the reference practice: one per number, a family on one number, a balance."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from integrations.sql import appointments, contacts
from receptionist.core.profile import PracticeProfile
from receptionist.storage.db import insert_id, to_db, utcnow

PATIENTS = [
    ("Maria", "Garcia", "+14135550123", date(1985, 3, 3), 4500),
    ("John", "Smith", "+14135550142", date(1979, 7, 14), 0),
    ("Li", "Chen", "+14135550177", date(1980, 2, 11), 12000),
    ("Amy", "Chen", "+14135550177", date(2010, 9, 30), 0),
    ("David", "Chen", "+14135550177", date(1978, 12, 1), 2500),
    ("Robert", "Brown", "+14135550188", date(1966, 5, 20), 0),
]


def seed_demo(conn: Connection, profile: PracticeProfile, now: datetime | None = None) -> bool:
    """Add the demo patients (and Maria's upcoming checkup) when the CRM is empty."""
    if conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar_one():
        return False
    ids = {}
    for first, last, phone, dob, cents in PATIENTS:
        ids[first] = insert_id(conn, contacts.insert().values(
            first_name=first, last_name=last, phone=phone, dob=dob, balance_cents=cents,
            email=f"{first.lower()}.{last.lower()}@example.com", created_at=utcnow(),
            last_interaction_at=utcnow()))
    local = (now or datetime.now(profile.tz)).astimezone(profile.tz)
    day = local.date() + timedelta(days=8)
    while profile.opening(day) is None:
        day += timedelta(days=1)
    start = datetime.combine(day, time(10, 0), profile.tz)
    conn.execute(appointments.insert().values(
        contact_id=ids["Maria"], provider_id="patel", appointment_type="checkup",
        start=to_db(start), end=to_db(start + timedelta(minutes=30)), status="booked",
        created_at=utcnow()))
    return True
