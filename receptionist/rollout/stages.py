"""Rollout state: each call type's stage, the kill switch and versioned flow bundles.

Every change is recorded with who made it and when. Stages: shadow, pilot, live, paused,
retired; only live call types take calls (the others' intents are treated as out of scope).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.compliance import audit
from receptionist.config.bundle import read_bundle, write_bundle
from receptionist.core.errors import ReceptionistError
from receptionist.rollout.qa import qa_reviews
from receptionist.storage import db, tables
from receptionist.storage.tables import flow_bundles, flow_stages, rollout_events

STAGES = ("shadow", "pilot", "live", "paused", "retired")
NEXT_STAGE = {"shadow": "pilot", "pilot": "live", "paused": "live"}
MIN_DAYS_BETWEEN_LIVE = 30

class RolloutRefused(ReceptionistError):
    """A rollout change was refused; the message says why."""

def record(conn: Connection, kind: str, by: str, **detail: Any) -> None:
    """Write one rollout event (who, when, what)."""
    conn.execute(rollout_events.insert().values(kind=kind, detail=detail, by=by, at=db.utcnow()))

    audit.append(conn, f"config:{kind}", by, **detail)


def events(conn: Connection, limit: int = 50) -> list[Any]:
    """The latest rollout events, newest first."""
    return list(conn.execute(sa.select(rollout_events).order_by(rollout_events.c.id.desc())
                             .limit(limit)))


# -- stages -----------------------------------------------------------------------------------
def stages(conn: Connection, defaults: Mapping[str, str]) -> dict[str, str]:
    """Each call type's current stage: the latest recorded change, else its flow file's stage."""
    current = dict(defaults)
    for row in conn.execute(sa.select(flow_stages).order_by(flow_stages.c.id)):
        if row.flow in current:
            current[row.flow] = row.stage
    return current


def history(conn: Connection, flow: str | None = None) -> list[Any]:
    """Stage changes, oldest first."""
    query = sa.select(flow_stages).order_by(flow_stages.c.id)
    if flow:
        query = query.where(flow_stages.c.flow == flow)
    return list(conn.execute(query))


def set_stage(conn: Connection, flow: str, stage: str, by: str, reason: str = "",
              at: datetime | None = None) -> None:
    """Record a stage change."""
    if stage not in STAGES:
        raise RolloutRefused(f"unknown stage '{stage}' (stages: {', '.join(STAGES)})")
    conn.execute(flow_stages.insert().values(flow=flow, stage=stage, since=db.to_db(at) if at
                                             else db.utcnow(), changed_by=by, reason=reason))
    record(conn, "stage", by, flow=flow, stage=stage, reason=reason)


def last_live_promotion(conn: Connection, other_than: str) -> datetime | None:
    """When another call type last went live."""
    when = conn.execute(sa.select(sa.func.max(flow_stages.c.since)).where(
        flow_stages.c.stage == "live", flow_stages.c.flow != other_than)).scalar_one_or_none()
    return db.from_db(when) if when else None


# -- kill switch ------------------------------------------------------------------------------
def kill_switch(conn: Connection) -> dict[str, Any] | None:
    """The kill switch's state: None when off, else who turned it on, when and why."""
    row = conn.execute(sa.select(rollout_events).where(rollout_events.c.kind == "kill_switch")
                       .order_by(rollout_events.c.id.desc()).limit(1)).first()
    if row is None or not row.detail.get("on"):
        return None
    return {"by": row.by, "at": db.from_db(row.at).isoformat(), "reason": row.detail.get("reason")}


def set_kill_switch(conn: Connection, on: bool, by: str, reason: str = "") -> None:
    """Send every call to the humans at once (on), or give calls back to the receptionist."""
    record(conn, "kill_switch", by, on=on, reason=reason)


# -- flow bundles -----------------------------------------------------------------------------
def digest(files: dict[str, str]) -> str:
    """A stable fingerprint of a bundle."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def snapshot(conn: Connection, flows_dir: Path, by: str, note: str = "") -> int:
    """Store the bundle on disk as a new version (or return the version it already is)."""
    files = read_bundle(flows_dir)
    fingerprint = digest(files)
    latest = conn.execute(sa.select(flow_bundles.c.version, flow_bundles.c.digest)
                          .order_by(flow_bundles.c.version.desc()).limit(1)).first()
    if latest is not None and latest.digest == fingerprint:
        return int(latest.version)
    version = db.insert_id(conn, flow_bundles.insert().values(
        digest=fingerprint, files=files, note=note, by=by, at=db.utcnow()))
    record(conn, "snapshot", by, version=version, note=note)
    return version


def versions(conn: Connection) -> list[Any]:
    """Every stored bundle version, newest first."""
    return list(conn.execute(sa.select(flow_bundles.c.version, flow_bundles.c.digest,
                                       flow_bundles.c.note, flow_bundles.c.by, flow_bundles.c.at)
                             .order_by(flow_bundles.c.version.desc())))


def restore(conn: Connection, flows_dir: Path, by: str, version: int | None = None) -> int:
    """Write a stored bundle back to disk: the given version, or the one before the current."""
    current = digest(read_bundle(flows_dir))
    rows = list(conn.execute(sa.select(flow_bundles).order_by(flow_bundles.c.version.desc())))
    if version is None:
        older = [r for r in rows if r.digest != current]
        if not older:
            raise RolloutRefused("no earlier flow bundle version to roll back to")
        target = older[0]
    else:
        found = [r for r in rows if r.version == version]
        if not found:
            raise RolloutRefused(f"no flow bundle version {version} "
                                 f"(versions: {', '.join(str(r.version) for r in rows)})")
        target = found[0]
    write_bundle(flows_dir, target.files)
    record(conn, "rollback", by, version=int(target.version))
    return int(target.version)


@dataclass(frozen=True)
class Quality:
    """Quality indicators of the live call types over a window of days."""
    calls: int
    escalation_rate: float
    containment: float
    reviews: int = 0
    qa_failure_rate: float = 0.0


def quality(conn: Connection, flows: set[str], start: datetime, end: datetime) -> Quality:
    """Escalation rate and containment of calls about these call types in [start, end)."""
    c = tables.calls.c
    rows = list(conn.execute(sa.select(c.status, c.escalation).where(
        c.call_type.in_(flows), c.started_at >= db.to_db(start), c.started_at < db.to_db(end))))
    total = len(rows)
    if not total:
        return Quality(0, 0.0, 0.0)
    escalated = sum(1 for r in rows if r.escalation)
    contained = sum(1 for r in rows if r.status == "completed" and not r.escalation)

    q = qa_reviews.c
    reviews, failed = conn.execute(sa.select(sa.func.count(), sa.func.sum(sa.case(
        (q.passed.is_(False), 1), else_=0))).select_from(qa_reviews.join(
            tables.calls, tables.calls.c.sid == q.call_sid)).where(
        c.call_type.in_(flows), c.started_at >= db.to_db(start),
        c.started_at < db.to_db(end))).one()
    return Quality(total, escalated / total, contained / total, reviews or 0,
                   (failed or 0) / reviews if reviews else 0.0)


def regression(conn: Connection, live: set[str], now: datetime, days: int = 14,
               min_calls: int = 20, tolerance: float = 0.05) -> list[str]:
    """Reasons the live call types have regressed (last `days` vs the `days` before)."""
    recent = quality(conn, live, now - timedelta(days=days), now)
    before = quality(conn, live, now - timedelta(days=2 * days), now - timedelta(days=days))
    if recent.calls < min_calls or before.calls < min_calls:
        return []
    reasons = []
    if recent.escalation_rate > before.escalation_rate + tolerance:
        reasons.append(f"escalation rate rose from {before.escalation_rate:.0%} to "
                       f"{recent.escalation_rate:.0%}")
    if recent.containment < before.containment - tolerance:
        reasons.append(f"containment fell from {before.containment:.0%} to "
                       f"{recent.containment:.0%}")
    if min(recent.reviews, before.reviews) >= 5 and \
            recent.qa_failure_rate > before.qa_failure_rate + 2 * tolerance:
        reasons.append(f"QA failures rose from {before.qa_failure_rate:.0%} to "
                       f"{recent.qa_failure_rate:.0%}")
    return reasons
