"""QA cadence and drift triggers: the habits that keep a live receptionist honest.

Sampling is reproducible (seeded by the period) and stratified by call type and language, so a
small failing minority still gets listened to. Reviews use a rubric and feed the drift checks.
"""

from __future__ import annotations

import json
import logging
import random
import urllib.request
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.compliance import audit
from receptionist.storage import db, tables
from receptionist.storage.tables import drift_alerts, qa_reviews

log = logging.getLogger("receptionist.rollout.qa")
SAMPLE_SIZE = 20
WEEKLY_FOR_DAYS = 91  # the first quarter; monthly after that

DRIFT_BOUNDS = {  # how far the last week may move against the trailing four weeks (absolute)
    "escalation_rate": 0.08, "containment": 0.08, "low_confidence_rate": 0.05,
    "negative_rate": 0.05, "qa_failure_rate": 0.15,
}
WORSE_WHEN_HIGHER = {"escalation_rate", "low_confidence_rate", "negative_rate",
                     "qa_failure_rate"}


def period_of(day: date, launch: date) -> tuple[str, date, date]:
    """The QA period a day falls in: an ISO week in the first quarter, then a month."""
    if (day - launch).days < WEEKLY_FOR_DAYS:
        monday = day - timedelta(days=day.weekday())
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}", monday, monday + timedelta(days=7)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}", first, following


def sample(conn: Connection, period: str, start: date, end: date,
           size: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """A reproducible random sample of calls, stratified by call type and language."""
    c = tables.calls.c
    rows = conn.execute(sa.select(c.sid, c.call_type, c.language, c.status, c.escalation)
                        .where(c.started_at >= datetime.combine(start, datetime.min.time()),
                               c.started_at < datetime.combine(end, datetime.min.time()))
                        .order_by(c.sid)).all()
    strata: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        strata.setdefault((row.call_type or "(none)", row.language or "en"), []).append(row)
    quotas = _quotas({k: len(v) for k, v in strata.items()}, min(size, len(rows)))
    chosen = []
    for key in sorted(strata):
        rng = random.Random(f"{period}:{key[0]}:{key[1]}")
        chosen += rng.sample(strata[key], quotas[key])
    return [{"call_sid": r.sid, "call_type": r.call_type, "language": r.language,
             "status": r.status, "escalation": r.escalation} for r in chosen]


def _quotas(counts: dict[Any, int], size: int) -> dict[Any, int]:
    """Proportional allocation, every stratum at least one call while the size allows."""
    total = sum(counts.values())
    if not total:
        return {}
    quotas = {k: min(n, 1) for k, n in counts.items()} if size >= len(counts) else dict.fromkeys(
        counts, 0)
    left = size - sum(quotas.values())
    shares = sorted(counts, key=lambda k: -(counts[k] / total * left % 1))
    for key in counts:
        quotas[key] += min(counts[key] - quotas[key], int(counts[key] / total * left))
    for key in shares:
        if sum(quotas.values()) >= size:
            break
        if quotas[key] < counts[key]:
            quotas[key] += 1
    return quotas


def review(conn: Connection, call_sid: str, period: str, reviewer: str, *, accuracy: int,
           brand_voice: int, escalation_correct: bool, satisfaction: int, notes: str = "",
           crypt: Any = None) -> bool:
    """Record a rubric review (scores 1-5).

    A call passes with 3 or more on accuracy and brand voice and a correct escalation decision.
    """
    for name, score in (("accuracy", accuracy), ("brand_voice", brand_voice),
                        ("satisfaction", satisfaction)):
        if not 1 <= score <= 5:
            raise ValueError(f"{name} must be 1 to 5, got {score}")
    passed = accuracy >= 3 and brand_voice >= 3 and escalation_correct
    conn.execute(qa_reviews.insert().values(
        call_sid=call_sid, period=period, reviewer=reviewer, accuracy=accuracy,
        brand_voice=brand_voice, escalation_correct=escalation_correct,
        satisfaction=satisfaction, notes=crypt.encrypt(notes) if crypt and notes else notes,
        passed=passed, created_at=db.utcnow()))
    audit.append(conn, "qa_review", reviewer, call_sid=call_sid, passed=passed)
    return passed


def metrics(conn: Connection, start: datetime, end: datetime) -> dict[str, float | None]:
    """The drift metrics over [start, end), from SQL aggregates."""
    c, q = tables.calls.c, qa_reviews.c
    row = conn.execute(sa.select(
        sa.func.count(),
        sa.func.avg(sa.case((c.escalation.is_not(None), 1.0), else_=0.0)),
        sa.func.avg(sa.case((sa.and_(c.status == "completed", c.escalation.is_(None)), 1.0),
                            else_=0.0)),
        sa.func.avg(sa.case((c.escalation == "low_confidence", 1.0), else_=0.0)),
        sa.func.avg(sa.case((sa.or_(c.sentiment <= -0.3, c.escalation.in_(
            ("negative_sentiment", "legal_complaint"))), 1.0), else_=0.0)),
    ).where(c.started_at >= db.to_db(start), c.started_at < db.to_db(end))).one()
    qa = conn.execute(sa.select(sa.func.count(), sa.func.avg(
        sa.case((q.passed.is_(False), 1.0), else_=0.0))).select_from(
        qa_reviews.join(tables.calls, tables.calls.c.sid == q.call_sid)).where(
        c.started_at >= db.to_db(start), c.started_at < db.to_db(end))).one()
    if not row[0]:
        return dict.fromkeys(DRIFT_BOUNDS)
    return {"escalation_rate": row[1], "containment": row[2], "low_confidence_rate": row[3],
            "negative_rate": row[4], "qa_failure_rate": qa[1] if qa[0] else None}


def check_drift(conn: Connection, now: datetime, bounds: dict[str, float] | None = None,
                webhook: str | None = None) -> list[dict[str, Any]]:
    """Compare the last 7 days with the 28 before; record, log and (optionally) post alerts."""
    bounds = bounds or DRIFT_BOUNDS
    recent = metrics(conn, now - timedelta(days=7), now)
    trailing = metrics(conn, now - timedelta(days=35), now - timedelta(days=7))
    alerts = []
    for name, bound in bounds.items():
        r, t = recent.get(name), trailing.get(name)
        if r is None or t is None:
            continue
        moved = r - t if name in WORSE_WHEN_HIGHER else t - r
        if moved > bound:
            alert = {"metric": name, "recent": round(r, 4), "trailing": round(t, 4),
                     "bound": bound}
            alerts.append(alert)
            conn.execute(drift_alerts.insert().values(**alert, at=db.utcnow()))
            log.warning("drift: %s is %.1f%% this week against %.1f%% over the trailing four "
                        "weeks (bound %.1f points)", name, r * 100, t * 100, bound * 100)
    if alerts and webhook:
        _post(webhook, alerts)
    return alerts


def _post(url: str, alerts: list[dict[str, Any]]) -> None:
    body = json.dumps({"source": "receptionist", "alerts": alerts}).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=3):  # noqa: S310 - the practice's own hook
            pass
    except OSError as exc:
        log.warning("drift webhook %s failed: %s", url, exc)
