"""CRM hygiene: import a CRM export, audit completeness, phone validity and duplicates.

Nothing is merged by the audit; `merge()` is the explicit command that does it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from integrations.sql import appointments, contacts, timeline
from receptionist.core.errors import ConfigError
from receptionist.core.phones import e164
from receptionist.storage.db import to_db, utcnow

FIELDS = ("external_id", "first_name", "last_name", "email", "phone", "dob",
          "last_interaction_at", "account", "account_value")
MAPPINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "hubspot": {"external_id": ("Record ID",), "first_name": ("First Name",),
                "last_name": ("Last Name",), "email": ("Email",),
                "phone": ("Phone Number", "Mobile Phone Number"),
                "dob": ("Date of Birth", "Birthdate"),
                "last_interaction_at": ("Last Activity Date", "Last Contacted"),
                "account": ("Company Name", "Associated Company"),
                "account_value": ("Annual Revenue", "Total Revenue")},
    "salesforce": {"external_id": ("Contact ID", "Id"), "first_name": ("First Name",),
                   "last_name": ("Last Name",), "email": ("Email",),
                   "phone": ("Phone", "Mobile Phone", "Mobile"), "dob": ("Birthdate",),
                   "last_interaction_at": ("Last Activity", "Last Activity Date"),
                   "account": ("Account Name",), "account_value": ("Annual Revenue",)},
    "generic": {name: (name,) for name in FIELDS},
}
CRITICAL = ("phone", "email", "last_interaction_at")
MISSING_BAR = 0.10
TOP_ACCOUNTS = 50
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class ImportReport:
    """What an import did: rows added, updated, and rejected with the reason."""

    added: int = 0
    updated: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    mapping: str = ""


def load_mapping(name_or_path: str | None,
                 headers: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """A named mapping, a YAML file mapping our fields to columns, or one guessed from headers."""
    if name_or_path and Path(name_or_path).exists():
        raw = yaml.safe_load(Path(name_or_path).read_text()) or {}
        unknown = set(raw) - set(FIELDS)
        if unknown:
            raise ConfigError(name_or_path, f"unknown fields {sorted(unknown)}; fields: {FIELDS}")
        return name_or_path, {k: (v,) if isinstance(v, str) else tuple(v) for k, v in raw.items()}
    if name_or_path:
        if name_or_path not in MAPPINGS:
            raise ConfigError(name_or_path, f"unknown mapping; use {', '.join(MAPPINGS)} or a "
                                            "YAML file")
        return name_or_path, MAPPINGS[name_or_path]
    best = max(MAPPINGS, key=lambda n: sum(any(c in headers for c in cols)
                                           for cols in MAPPINGS[n].values()))
    return best, MAPPINGS[best]


def import_csv(conn: Connection, path: Path, mapping: str | None = None) -> ImportReport:
    """Load a CRM export into the reference CRM; rows without a name are rejected, not lost."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        name, columns = load_mapping(mapping, reader.fieldnames or [])
        report = ImportReport(mapping=name)
        for line, row in enumerate(reader, start=2):
            values = {f: next((row[c].strip() for c in cols if row.get(c, "").strip()), "")
                      for f, cols in columns.items()}
            if not (values.get("first_name") or values.get("last_name")):
                report.rejected.append((line, "no first or last name"))
                continue
            _upsert(conn, _clean(values), report)
    return report


def _clean(values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v or None for k, v in values.items()}
    out["first_name"] = values.get("first_name") or "-"
    out["last_name"] = values.get("last_name") or "-"
    out["phone"] = normalise_phone(values.get("phone") or "") or values.get("phone") or None
    out["dob"] = _date(values.get("dob"))
    moment = _date(values.get("last_interaction_at"))
    out["last_interaction_at"] = datetime.combine(moment, datetime.min.time()) if moment else None
    value = re.sub(r"[^\d.]", "", values.get("account_value") or "")
    out["account_value"] = float(value) if value else None
    return out


def _date(text: str | None) -> date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                "%m/%d/%Y %H:%M", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip()[:len(datetime.now().strftime(fmt))], fmt).date()
        except ValueError:
            continue
    return None


def _upsert(conn: Connection, values: dict[str, Any], report: ImportReport) -> None:
    existing = None
    if values.get("external_id"):
        existing = conn.execute(sa.select(contacts.c.id).where(
            contacts.c.external_id == values["external_id"])).scalar_one_or_none()
    if existing:
        conn.execute(contacts.update().where(contacts.c.id == existing).values(**values))
        report.updated += 1
    else:
        conn.execute(contacts.insert().values(balance_cents=0, created_at=utcnow(), **values))
        report.added += 1


def normalise_phone(raw: str) -> str | None:
    """E.164 for a valid number, else None."""
    return e164(raw, valid_only=True)


def audit(conn: Connection) -> dict[str, Any]:
    """Completeness of the critical fields, phone validity and duplicates, with what to fix."""
    rows = [dict(r._mapping) for r in conn.execute(sa.select(contacts).order_by(contacts.c.id))]
    total = len(rows)
    problems: dict[str, list[int]] = {"phone": [], "email": [], "last_interaction_at": []}
    for r in rows:
        if not r["phone"] or not normalise_phone(r["phone"]):
            problems["phone"].append(r["id"])
        if not r["email"] or not EMAIL.match(r["email"]):
            problems["email"].append(r["id"])
        if not r["last_interaction_at"]:
            problems["last_interaction_at"].append(r["id"])
    fields = {f: {"missing_or_invalid": len(ids), "rate": round(len(ids) / total, 4) if total
                  else 0.0, "passes": (len(ids) / total if total else 0) < MISSING_BAR,
                  "records": ids} for f, ids in problems.items()}
    top = top_accounts(rows)
    dupes = duplicates(rows, top)
    in_top = [d for d in dupes if d["top_account"]]
    return {"contacts": total, "fields": fields, "bar": MISSING_BAR,
            "top_accounts": sorted(top), "duplicates": dupes,
            "duplicates_in_top_accounts": len(in_top),
            "passes": total > 0 and all(f["passes"] for f in fields.values()) and not in_top}


def top_accounts(rows: list[dict[str, Any]]) -> set[str]:
    """The 50 most valuable accounts (by account value, then number of contacts)."""
    accounts: dict[str, tuple[float, int]] = {}
    for r in rows:
        key = r["account"] or f"{r['last_name']} household"
        value, count = accounts.get(key, (0.0, 0))
        accounts[key] = (max(value, r["account_value"] or 0.0), count + 1)
    ranked = sorted(accounts, key=lambda k: (-accounts[k][0], -accounts[k][1], k))
    return set(ranked[:TOP_ACCOUNTS])


def duplicates(rows: list[dict[str, Any]], top: set[str]) -> list[dict[str, Any]]:
    """Pairs of records that are probably one person: exact or near, top accounts first."""
    found = []
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            kind, why = _same_person(a, b)
            if kind:
                account = a["account"] or f"{a['last_name']} household"
                found.append({"kind": kind, "ids": [a["id"], b["id"]], "why": why,
                              "names": [_name(a), _name(b)], "account": account,
                              "top_account": account in top})
    return sorted(found, key=lambda d: (not d["top_account"], d["kind"] != "exact", d["ids"]))


def _name(r: dict[str, Any]) -> str:
    return f"{r['first_name']} {r['last_name']}".strip()


def _same_person(a: dict[str, Any], b: dict[str, Any]) -> tuple[str | None, str]:
    shared = [k for k in ("phone", "email", "dob") if a[k] and b[k] and
              (normalise_phone(str(a[k])) or str(a[k]).lower()) ==
              (normalise_phone(str(b[k])) or str(b[k]).lower())]
    if not shared:
        return None, ""
    name_a, name_b = _name(a).lower(), _name(b).lower()
    if name_a == name_b:
        return "exact", f"same name and {', '.join(shared)}"
    similarity = SequenceMatcher(None, name_a, name_b).ratio()
    same_first = a["first_name"].lower()[:1] == b["first_name"].lower()[:1]
    if similarity >= 0.8 and (same_first or "dob" in shared):
        return "near", f"names {similarity:.0%} alike, same {', '.join(shared)}"
    return None, ""


def merge(conn: Connection, keep: int, drop: list[int]) -> dict[str, Any]:
    """Merge duplicates into one record: move appointments and timeline, fill empty fields."""
    kept = conn.execute(sa.select(contacts).where(contacts.c.id == keep)).first()
    if kept is None:
        raise ConfigError("crm", f"no contact {keep}")
    filled: dict[str, Any] = {}
    for other_id in drop:
        other = conn.execute(sa.select(contacts).where(contacts.c.id == other_id)).first()
        if other is None:
            raise ConfigError("crm", f"no contact {other_id}")
        for column in ("phone", "email", "dob", "last_interaction_at", "account"):
            if getattr(kept, column) is None and column not in filled and getattr(other, column):
                filled[column] = getattr(other, column)
        conn.execute(appointments.update().where(appointments.c.contact_id == other_id)
                     .values(contact_id=keep))
        conn.execute(timeline.update().where(timeline.c.contact_id == other_id)
                     .values(contact_id=keep))
        conn.execute(contacts.delete().where(contacts.c.id == other_id))
    if filled:
        conn.execute(contacts.update().where(contacts.c.id == keep).values(**filled))
    conn.execute(timeline.insert().values(contact_id=keep, phone=kept.phone, kind="merge",
                                          summary=f"merged records {drop} into {keep}",
                                          data={"merged": drop, "filled": sorted(filled)},
                                          created_at=utcnow()))
    return {"kept": keep, "merged": drop, "filled": sorted(filled)}


__all__ = ["audit", "import_csv", "merge", "to_db"]
