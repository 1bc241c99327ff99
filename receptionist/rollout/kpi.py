"""The eight rollout KPIs, baseline against post-launch, from SQL aggregates (never row loops).

Definitions (what each number means):
- total_call_volume: inbound calls in the window.
- abandonment_rate: calls that ended unresolved because the caller gave up or was never
  answered (phone log: no-answer, busy, canceled, failed, missed; receptionist: abandoned).
- average_handle_time: mean connected duration in seconds.
- first_call_resolution: calls resolved on that call (phone log: `resolved`; receptionist:
  completed with a disposition and no handoff).
- after_hours_missed_calls: calls outside office hours that nobody resolved.
- front_office_hours_on_phone: hours staff spent on calls (phone log: answered calls;
  receptionist: calls handed to a person, counted whole).
- cost_per_call_resolved: (staff hours x staff cost + AI minutes x AI cost) / resolved calls.
- csat_proxy: mean caller sentiment (-1..1) from the receptionist's turns; phone logs have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from receptionist.config.bundle import settings_file
from receptionist.rollout.qa import qa_reviews
from receptionist.rollout.readiness import call_log
from receptionist.storage import db, tables

MISSED = ("no-answer", "busy", "canceled", "failed", "missed", "abandoned")
KPIS = ("total_call_volume", "abandonment_rate", "average_handle_time",
        "first_call_resolution", "after_hours_missed_calls", "front_office_hours_on_phone",
        "cost_per_call_resolved", "csat_proxy")


@dataclass(frozen=True)
class Target:
    """A 90-day target: change against the baseline, as the playbook states it."""
    text: str
    kind: str  # at_least, at_most (relative change), not_below (absolute)
    bound: float


TARGETS = {
    "total_call_volume": Target("same or higher", "at_least", 0.0),
    "abandonment_rate": Target("-50 % to -70 %", "at_most", -0.50),
    "average_handle_time": Target("stable or -10 %", "at_most", 0.05),
    "first_call_resolution": Target("+10 % to +20 %", "at_least", 0.10),
    "after_hours_missed_calls": Target("-80 % to -95 %", "at_most", -0.80),
    "front_office_hours_on_phone": Target("-30 % to -50 %", "at_most", -0.30),
    "cost_per_call_resolved": Target("-40 % to -60 %", "at_most", -0.40),
    "csat_proxy": Target("stable or improving", "not_below", -0.05),
}


Span = tuple[datetime, datetime]

def costs(flows_dir: Path) -> dict[str, float]:
    """Staff and AI costs from flows/kpi.yaml."""
    path = settings_file(flows_dir, "kpi.yaml")
    raw = yaml.safe_load(path.read_text()) if path.exists() else {}
    return {"staff": float(raw.get("staff_cost_per_hour", 28.0)),
            "ai": float(raw.get("ai_cost_per_minute", 0.04))}


def baseline(conn: Connection, start: datetime, end: datetime,
             prices: dict[str, float]) -> dict[str, float | None]:
    """The KPIs of the imported phone-system log in [start, end)."""
    c = call_log.c
    missed = c.status.in_(MISSED)
    row = conn.execute(sa.select(
        sa.func.count().label("n"),
        sa.func.sum(sa.case((missed, 1), else_=0)).label("missed"),
        sa.func.avg(sa.case((~missed, c.duration_s))).label("aht"),
        sa.func.avg(sa.case((c.resolved.is_(True), 1.0), (c.resolved.is_(False), 0.0))
                    ).label("fcr"),
        sa.func.sum(sa.case((sa.and_(c.after_hours.is_(True), missed), 1), else_=0)
                    ).label("ah_missed"),
        sa.func.sum(sa.case((~missed, c.duration_s), else_=0)).label("staff_s"),
        sa.func.sum(sa.case((c.resolved.is_(True), 1), else_=0)).label("resolved"),
    ).where(c.started_at >= db.to_db(start), c.started_at < db.to_db(end))).one()
    if not row.n:
        return dict.fromkeys(KPIS)
    hours = (row.staff_s or 0) / 3600
    return {"total_call_volume": row.n, "abandonment_rate": (row.missed or 0) / row.n,
            "average_handle_time": float(row.aht or 0), "first_call_resolution":
            float(row.fcr) if row.fcr is not None else None,
            "after_hours_missed_calls": row.ah_missed or 0, "front_office_hours_on_phone": hours,
            "cost_per_call_resolved": hours * prices["staff"] / row.resolved
            if row.resolved else None, "csat_proxy": None}


def post_launch(conn: Connection, start: datetime, end: datetime,
                prices: dict[str, float]) -> dict[str, float | None]:
    """The KPIs of the receptionist's own call records in [start, end)."""
    c = tables.calls.c
    resolved = sa.and_(c.status == "completed", c.disposition.is_not(None),
                       c.escalation.is_(None))
    human = c.status.in_(("transferred", "voicemail"))
    row = conn.execute(sa.select(
        sa.func.count().label("n"),
        sa.func.sum(sa.case((c.status == "abandoned", 1), else_=0)).label("abandoned"),
        sa.func.avg(c.duration_s).label("aht"),
        sa.func.sum(sa.case((resolved, 1), else_=0)).label("resolved"),
        sa.func.sum(sa.case((sa.and_(c.after_hours.is_(True), c.status.in_(
            ("abandoned", "ended"))), 1), else_=0)).label("ah_missed"),
        sa.func.sum(sa.case((human, c.duration_s), else_=0)).label("staff_s"),
        sa.func.sum(c.duration_s).label("all_s"),
        sa.func.avg(c.sentiment).label("csat"),
    ).where(c.started_at >= db.to_db(start), c.started_at < db.to_db(end))).one()
    if not row.n:
        return dict.fromkeys(KPIS)
    hours = (row.staff_s or 0) / 3600
    cost = hours * prices["staff"] + (row.all_s or 0) / 60 * prices["ai"]
    return {"total_call_volume": row.n, "abandonment_rate": (row.abandoned or 0) / row.n,
            "average_handle_time": float(row.aht or 0),
            "first_call_resolution": (row.resolved or 0) / row.n,
            "after_hours_missed_calls": row.ah_missed or 0, "front_office_hours_on_phone": hours,
            "cost_per_call_resolved": cost / row.resolved if row.resolved else None,
            "csat_proxy": float(row.csat) if row.csat is not None else None}


def compare(base: dict[str, Any], post: dict[str, Any]) -> list[dict[str, Any]]:
    """Baseline and post-launch side by side with each target and whether it is met."""
    rows = []
    for name in KPIS:
        b, p, target = base.get(name), post.get(name), TARGETS[name]
        if b is None or p is None:
            rows.append({"kpi": name, "baseline": b, "post_launch": p, "change": None,
                         "target": target.text, "met": None,
                         "note": ("no baseline: phone logs carry no satisfaction signal"
                                  if name == "csat_proxy" else
                                  "no baseline: import 30 days of phone logs") if b is None
                         else "no post-launch data"})
            continue
        if target.kind == "not_below":
            change, met = p - b, p - b >= target.bound
        else:
            change = (p - b) / b if b else (0.0 if p == b else float("inf"))
            met = change >= target.bound if target.kind == "at_least" else change <= target.bound
        rows.append({"kpi": name, "baseline": b, "post_launch": p, "change": change,
                     "target": target.text, "met": met, "note": ""})
    return rows


def per_intent(conn: Connection, start: datetime, end: datetime,
               by_week: bool = False) -> list[dict[str, Any]]:
    """Per call type (and language, and week): volume, containment, handoffs, completion."""
    c, h = tables.calls.c, tables.handoffs.c
    week = _week(conn, c.started_at)
    keys = [c.call_type, c.language] + ([week.label("week")] if by_week else [])
    accepted = sa.select(sa.func.count()).where(h.call_sid == c.sid,
                                                 h.dial_status == "completed")
    offered = sa.select(sa.func.count()).where(h.call_sid == c.sid)
    rows = conn.execute(sa.select(
        *keys, sa.func.count().label("calls"),
        sa.func.avg(sa.case((c.contained.is_(True), 1.0), else_=0.0)).label("containment"),
        sa.func.avg(sa.case((c.escalation.is_not(None), 1.0), else_=0.0)).label("handoff_rate"),
        sa.func.sum(offered.scalar_subquery()).label("handoffs"),
        sa.func.sum(accepted.scalar_subquery()).label("accepted"),
        sa.func.avg(sa.case((c.disposition.in_(SUCCESS), 1.0), else_=0.0)).label("completed"),
    ).where(c.started_at >= db.to_db(start), c.started_at < db.to_db(end))
        .group_by(*keys).order_by(*keys))
    return [{"call_type": r.call_type or "(none)", "language": r.language,
             **({"week": r.week} if by_week else {}), "calls": r.calls,
             "containment": round(r.containment, 3), "handoff_rate": round(r.handoff_rate, 3),
             "handoff_acceptance": round((r.accepted or 0) / r.handoffs, 3) if r.handoffs
             else None, "completion_quality": round(r.completed, 3)} for r in rows]


SUCCESS = ("booked", "rescheduled", "cancelled", "info_hours", "info_location", "info_parking",
           "insurance_accepted", "insurance_not_accepted", "insurance_unknown", "payment_info",
           "balance_given", "message_taken", "callback_ticket")


def _week(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(column, 'IYYY-"W"IW')
    return sa.func.strftime("%Y-W%W", column)


def coverage(conn: Connection, start: datetime, end: datetime) -> float | None:
    """Intent coverage: the share of calls recognised as one of the live call types."""
    c = tables.calls.c
    row = conn.execute(sa.select(sa.func.count(), sa.func.sum(sa.case((sa.and_(
        c.call_type.is_not(None), c.call_type != "out_of_scope"), 1), else_=0))).where(
        c.started_at >= db.to_db(start), c.started_at < db.to_db(end))).one()
    return round((row[1] or 0) / row[0], 3) if row[0] else None


def crm_freshness_s(conn: Connection) -> float | None:
    """Median-free mean seconds from call end to the CRM write (delivered outbox rows)."""
    o = tables.outbox.c
    delta: sa.ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        delta = sa.func.extract("epoch", o.done_at - o.created_at)
    else:
        delta = (sa.func.julianday(o.done_at) - sa.func.julianday(o.created_at)) * 86400
    value = conn.execute(sa.select(sa.func.avg(delta)).where(o.status == "done")).scalar()
    return round(float(value), 2) if value is not None else None


def _span(conn: Connection, column: Any) -> tuple[datetime, datetime] | None:
    low, high = conn.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
    return (db.from_db(low), db.from_db(high) + timedelta(seconds=1)) if low else None


def windows(conn: Connection, days: int = 30) -> tuple[Span | None, Span | None]:
    """The baseline window (all imported phone logs) and the latest `days` of calls."""
    base, post = _span(conn, call_log.c.started_at), _span(conn, tables.calls.c.started_at)
    if post:
        post = (max(post[0], post[1] - timedelta(days=days)), post[1])
    return base, post


def containment(intents: list[dict[str, Any]]) -> float | None:
    """Overall containment from the per-call-type rows (weighted by calls)."""
    total = sum(r["calls"] for r in intents)
    return round(sum(r["containment"] * r["calls"] for r in intents) / total, 3) if total \
        else None


def recommendation(rows: list[dict[str, Any]], containment: float | None) -> dict[str, Any]:
    """The day-90 call: expand, hold, pause or stop, with the evidence."""
    judged = [r for r in rows if r["met"] is not None]
    met = [r["kpi"] for r in judged if r["met"]]
    missed = [r["kpi"] for r in judged if not r["met"]]
    worse_abandonment = any(r["kpi"] == "abandonment_rate" and r["change"] is not None
                            and r["change"] > 0.2 for r in judged)
    if worse_abandonment and (containment or 0) < 0.3:
        call = "stop"
    elif len(judged) >= 4 and len(met) >= len(judged) - 1 and (containment or 0) >= 0.6:
        call = "expand"
    elif len(met) * 2 < len(judged):
        call = "pause"
    else:
        call = "hold"
    return {"recommendation": call, "targets_met": met, "targets_missed": missed,
            "not_judged": [r["kpi"] for r in rows if r["met"] is None],
            "containment": containment}


def qa_summary(conn: Connection) -> list[dict[str, Any]]:
    """QA reviews per period: how many, and how many passed."""
    q = qa_reviews.c
    return [{"period": r.period, "reviews": r.n, "pass_rate": round(r.passed / r.n, 3)}
            for r in conn.execute(sa.select(q.period, sa.func.count().label("n"), sa.func.sum(
                sa.case((q.passed.is_(True), 1), else_=0)).label("passed"))
                .group_by(q.period).order_by(q.period))]
