"""The brand-voice audit: "would this come from our front office?", asked of real recordings.

The playbook's pilot has the front-office lead listen to the first 50 pilot calls and mark
anything that does not sound like the practice; after that, a weekly sample. Each review answers
the question and marks tone, pacing, vocabulary and pronunciation as ok or off, with a note.
Results by week go into the KPI/QA report; the first-50 audit is a go-live gate.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.storage import db
from receptionist.storage.tables import brand_reviews, calls, contacts, recordings

MARKS = ("tone", "pacing", "vocabulary", "pronunciation")
FIRST_CALLS = 50
WEEKLY_SAMPLE = 10
MIN_SOUNDS_LIKE_US = 0.9  # of the first 50: below this, the pilot does not go live
MAX_NOTE = 2000


def week_of(moment: datetime | date) -> str:
    """ISO week, as the QA cadence names periods: 2026-W49."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _recorded(conn: Connection) -> list[Any]:
    """Calls with a recording that can be played, oldest first."""
    held = sa.select(recordings.c.call_sid).where(recordings.c.status == "kept").distinct()
    return list(conn.execute(sa.select(calls.c.sid, calls.c.started_at, calls.c.call_type,
                                       calls.c.escalation)
                             .where(calls.c.sid.in_(held)).order_by(calls.c.started_at)))


def _reviewed(conn: Connection) -> dict[str, list[Any]]:
    done: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(sa.select(brand_reviews)):
        done[r.call_sid].append(r)
    return done


def queue(conn: Connection, today: date) -> dict[str, Any]:
    """What the front-office lead should listen to now.

    The first FIRST_CALLS recorded calls until every one is reviewed; then a reproducible
    sample of WEEKLY_SAMPLE calls from this week.
    """
    recorded, done = _recorded(conn), _reviewed(conn)
    first = recorded[:FIRST_CALLS]
    if len(first) < FIRST_CALLS or any(c.sid not in done for c in first):
        phase, chosen = "first", first
    else:
        phase = "weekly"
        this_week = [c for c in recorded[FIRST_CALLS:]
                     if week_of(db.from_db(c.started_at)) == week_of(today)]
        chosen = sorted(this_week, key=lambda c: hashlib.sha256(c.sid.encode()).hexdigest()
                        )[:WEEKLY_SAMPLE]
        chosen.sort(key=lambda c: c.started_at)
    items = [{"sid": c.sid, "at": db.from_db(c.started_at), "call_type": c.call_type,
              "escalation": c.escalation, "reviews": done.get(c.sid, [])} for c in chosen]
    first_done = sum(c.sid in done for c in first)
    return {"phase": phase, "calls": items, "first_done": first_done,
            "first_recorded": len(first), "week": week_of(today)}


def review(conn: Connection, call_sid: str, reviewer: str, *, sounds_like_us: bool,
           marks: dict[str, str], note: str = "", crypt: Any = None) -> None:
    """Record (or replace) one reviewer's brand-voice review of a call."""
    bad = {k: v for k, v in marks.items() if k not in MARKS or v not in ("ok", "off")}
    if bad or set(marks) != set(MARKS):
        raise ValueError(f"marks must give each of {', '.join(MARKS)} as ok or off")
    if len(note) > MAX_NOTE:
        raise ValueError(f"notes are limited to {MAX_NOTE} characters")
    started = conn.execute(sa.select(calls.c.started_at).where(calls.c.sid == call_sid)
                           ).scalar_one_or_none()
    if started is None:
        raise LookupError(f"no call {call_sid}")
    conn.execute(brand_reviews.delete().where(brand_reviews.c.call_sid == call_sid,
                                              brand_reviews.c.reviewer == reviewer))
    conn.execute(brand_reviews.insert().values(
        call_sid=call_sid, week=week_of(db.from_db(started)), reviewer=reviewer,
        sounds_like_us=sounds_like_us, marks=marks, at=db.utcnow(),
        note=crypt.encrypt(note) if crypt is not None and note else note))


def weekly(conn: Connection) -> list[dict[str, Any]]:
    """Per ISO week of the calls: reviews, share that sound like the practice, marks off."""
    rows = list(conn.execute(sa.select(brand_reviews).order_by(brand_reviews.c.week)))
    by_week: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_week[r.week].append(r)
    out = []
    for week, reviews in sorted(by_week.items()):
        off = Counter(k for r in reviews for k, v in (r.marks or {}).items() if v == "off")
        yes = sum(r.sounds_like_us for r in reviews)
        out.append({"week": week, "reviews": len(reviews), "sounds_like_us": yes,
                    "share": round(yes / len(reviews), 3),
                    **{f"{m}_off": off.get(m, 0) for m in MARKS}})
    return out


def gate(conn: Connection) -> list[str]:
    """Why the pilot may not go live on brand voice (empty: the audit passed)."""
    recorded, done = _recorded(conn), _reviewed(conn)
    first = recorded[:FIRST_CALLS]
    reviewed = [c for c in first if c.sid in done]
    if len(reviewed) < FIRST_CALLS:
        return [f"brand-voice audit: {len(reviewed)} of the first {FIRST_CALLS} recorded pilot "
                f"calls reviewed ({len(first)} recorded so far)"]
    yes = sum(all(r.sounds_like_us for r in done[c.sid]) for c in reviewed)
    if yes / len(reviewed) < MIN_SOUNDS_LIKE_US:
        return [f"brand-voice audit: {yes} of the first {FIRST_CALLS} calls sound like the "
                f"practice ({yes / len(reviewed):.0%}; {MIN_SOUNDS_LIKE_US:.0%} needed)"]
    return []


def names(conn: Connection, profile: Any, top: int = 50) -> dict[str, list[str]]:
    """Every name the receptionist must say well: the practice, people, insurers, patients."""
    first = [r[0] for r in conn.execute(
        sa.select(contacts.c.first_name, sa.func.count()).group_by(contacts.c.first_name)
        .order_by(sa.func.count().desc(), contacts.c.first_name).limit(top))]
    last = [r[0] for r in conn.execute(
        sa.select(contacts.c.last_name, sa.func.count()).group_by(contacts.c.last_name)
        .order_by(sa.func.count().desc(), contacts.c.last_name).limit(top))]
    return {"Practice": [profile.name],
            "Providers": [p.name for p in profile.providers],
            "Staff": [s.name for s in profile.staff],
            "Insurers": list(profile.insurers_accepted) + list(profile.insurers_not_accepted),
            "Patients' first names": first, "Patients' last names": last}
