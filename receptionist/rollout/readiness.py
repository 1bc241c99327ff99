"""The pre-implementation checklist: five items, each green or red with the reason.

Going live (promoting a call type to `live`) is refused until every item is green.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from integrations import crm_hygiene
from receptionist.config.bundle import settings_file
from receptionist.core.errors import ConfigError
from receptionist.core.escalation import ALWAYS, MESSAGE
from receptionist.storage import db
from receptionist.storage.tables import call_log, signoffs

ROLES = ("executive_sponsor", "it_lead", "ops_lead", "front_office_lead")
MIN_LOG_DAYS = 30

LOG_MAPPINGS = {
    "generic": {"started_at": "started_at", "caller": "from", "status": "status",
                "duration_s": "duration", "call_type": "call_type", "resolved": "resolved"},
    "twilio": {"started_at": "Start Time", "caller": "From", "status": "Status",
               "duration_s": "Duration", "call_type": "Call Type", "resolved": "Resolved"},
}


@dataclass(frozen=True)
class Item:
    """One checklist item."""

    name: str
    green: bool
    reason: str
    detail: Any = None


def sign_off(conn: Connection, role: str, name: str) -> None:
    """Record a stakeholder's sign-off."""
    if role not in ROLES:
        raise ConfigError("signoff", f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    conn.execute(signoffs.insert().values(role=role, name=name, signed_at=db.utcnow()))


def import_call_log(conn: Connection, path: Path, mapping: str | None = None,
                    profile: Any = None) -> int:
    """Import a phone-system call log (CSV); return the number of calls added."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = reader.fieldnames or []
        name = mapping or ("twilio" if "Start Time" in headers else "generic")
        cols = LOG_MAPPINGS[name]
        added = 0
        for line, row in enumerate(reader, start=2):
            try:
                started = datetime.fromisoformat(row[cols["started_at"]].strip())
            except (KeyError, ValueError) as exc:
                raise ConfigError(f"{path}:{line}", f"unreadable start time: {exc}") from exc
            if started.tzinfo is None and profile is not None:
                started = started.replace(tzinfo=profile.tz)
            resolved = (row.get(cols["resolved"]) or "").strip().lower()
            conn.execute(call_log.insert().values(
                started_at=db.to_db(started), caller=row.get(cols["caller"]),
                status=row.get(cols["status"]), duration_s=int(float(
                    row.get(cols["duration_s"]) or 0)),
                call_type=row.get(cols["call_type"]) or None,
                resolved=resolved in ("1", "true", "yes", "y") if resolved else None,
                after_hours=not profile.is_open(started) if profile is not None else None,
                source=name))
            added += 1
    return added


def inventory(conn: Connection, top: int = 10) -> dict[str, Any]:
    """Top call types by volume with average handle time and resolution rate."""
    c = call_log.c
    span = conn.execute(sa.select(sa.func.min(c.started_at), sa.func.max(c.started_at))).first()
    rows = conn.execute(sa.select(
        c.call_type, sa.func.count().label("calls"), sa.func.avg(c.duration_s).label("aht"),
        sa.func.avg(sa.case((c.resolved.is_(True), 1.0), else_=0.0)).label("resolution"))
        .where(c.call_type.is_not(None)).group_by(c.call_type)
        .order_by(sa.func.count().desc()).limit(top))
    days = (span[1] - span[0]).days + 1 if span and span[0] else 0
    return {"days": days, "types": [{"call_type": r.call_type, "calls": r.calls,
                                     "aht_s": round(float(r.aht or 0)),
                                     "resolution": round(float(r.resolution or 0), 3)}
                                    for r in rows]}


def evaluate(conn: Connection, world: Any, flows_dir: Path) -> list[Item]:
    """Evaluate the five items."""
    return [_crm(conn), _inventory(conn), _escalation(world), _compliance(flows_dir),
            _signoff(conn)]


def _crm(conn: Connection) -> Item:
    report = crm_hygiene.audit(conn)
    if not report["contacts"]:
        return Item("CRM hygiene", False, "no contacts imported ('receptionist crm import')")
    bad = [f"{f} {v['rate']:.0%} missing or invalid" for f, v in report["fields"].items()
           if not v["passes"]]
    if report["duplicates_in_top_accounts"]:
        bad.append(f"{report['duplicates_in_top_accounts']} duplicate pair(s) in the top "
                   f"{crm_hygiene.TOP_ACCOUNTS} accounts")
    return Item("CRM hygiene", not bad, "; ".join(bad) or "critical fields complete, no "
                "duplicates in the top accounts", report)


def _inventory(conn: Connection) -> Item:
    found = inventory(conn)
    if not found["types"]:
        return Item("Call-type inventory", False, "no call log with call types imported "
                    "('receptionist calllog import')", found)
    if found["days"] < MIN_LOG_DAYS:
        return Item("Call-type inventory", False, f"the call log covers {found['days']} days; "
                    f"{MIN_LOG_DAYS} are needed", found)
    return Item("Call-type inventory", True, f"{len(found['types'])} call types over "
                f"{found['days']} days", found)


def _escalation(world: Any) -> Item:
    gaps = []
    targets = world.profile.targets
    for name in ALWAYS:
        route = world.matrix.categories[name].route
        if route.in_hours == MESSAGE or route.in_hours not in targets:
            gaps.append(f"{name} has no in-hours person")
        after = targets.get(route.after_hours)
        if after is None or after.staffed != "always":
            gaps.append(f"{name} after hours goes to '{route.after_hours}', which is not "
                        "staffed after hours")
    return Item("Escalation rules", not gaps, "; ".join(gaps) or "every always-escalate "
                "category reaches a staffed person in and after hours")


def _compliance(flows_dir: Path) -> Item:
    path = settings_file(flows_dir, "compliance.yaml")
    if not path.exists():
        return Item("Compliance review", False, f"{path.name} is missing")
    raw = yaml.safe_load(path.read_text()) or {}
    gaps = []
    if not (raw.get("recording_disclosure") or "").strip():
        gaps.append("no recording disclosure text")
    retention = raw.get("retention") or {}
    if not all(retention.get(k) for k in ("transcripts_days", "recordings_days", "audit_years")):
        gaps.append("retention settings incomplete")
    if (raw.get("encryption_at_rest") or "").lower() != "aes-256-gcm":
        gaps.append("encryption at rest is not set to aes-256-gcm")
    baa = raw.get("baa") or {}
    if raw.get("baa_required", True) and not (baa.get("signed") and baa.get("signed_on")):
        gaps.append("the BAA is not recorded as signed")
    return Item("Compliance review", not gaps, "; ".join(gaps) or "disclosure, retention, "
                "encryption and BAA recorded")


def _signoff(conn: Connection) -> Item:
    done = {r.role: (r.name, r.signed_at) for r in conn.execute(sa.select(signoffs))}
    missing = [r for r in ROLES if r not in done]
    return Item("Stakeholder sign-off", not missing,
                f"missing: {', '.join(missing)}" if missing else "signed by " + ", ".join(
                    f"{done[r][0]} ({r}, {done[r][1]:%Y-%m-%d})" for r in ROLES))
