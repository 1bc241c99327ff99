"""A tamper-evident, append-only audit log: every entry is hash-chained to the one before.

Optionally each entry is also signed (HMAC-SHA256) with a key kept outside the database
(`AUDIT_SIGNING_KEY`). There is no code path that updates or deletes an entry, and the database
refuses it too (triggers). `verify()` names the first broken link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.compliance.redact import redact_value
from receptionist.storage import db
from receptionist.storage.tables import audit_log

GENESIS = "0" * 64

def _canonical(at: str, actor: str, kind: str, detail: str, prev: str) -> bytes:
    return json.dumps([at, actor, kind, detail, prev], separators=(",", ":")).encode()


def _sign(digest: str) -> str | None:
    key = os.environ.get("AUDIT_SIGNING_KEY")
    return hmac.new(key.encode(), digest.encode(), hashlib.sha256).hexdigest() if key else None


def append(conn: Connection, kind: str, actor: str, **detail: Any) -> None:
    """Add one entry at the end of the chain (one writer at a time: the chain never forks)."""
    db.advisory_lock(conn, db.AUDIT, "chain")
    last = conn.execute(sa.select(audit_log.c.hash).order_by(audit_log.c.id.desc())
                        .limit(1)).scalar_one_or_none() or GENESIS
    at = db.utcnow().replace(microsecond=db.utcnow().microsecond)
    text = json.dumps(redact_value(detail), sort_keys=True, default=str)
    digest = hashlib.sha256(_canonical(at.isoformat(), actor, kind, text, last)).hexdigest()
    conn.execute(audit_log.insert().values(at=at, actor=actor, kind=kind, detail=text,
                                           prev_hash=last, hash=digest, signature=_sign(digest)))


@dataclass(frozen=True)
class Verdict:
    """The result of checking the chain."""
    entries: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""


def verify(conn: Connection) -> Verdict:
    """Walk the chain; report the first entry that was edited, deleted, reordered or unsigned."""
    rows = list(conn.execute(sa.select(audit_log).order_by(audit_log.c.id)))
    prev, expected_id = GENESIS, None
    key = os.environ.get("AUDIT_SIGNING_KEY")
    for row in rows:
        if row.prev_hash != prev and expected_id is not None and row.id != expected_id:
            return Verdict(len(rows), False, expected_id, f"entry {expected_id} is missing "
                           f"(deleted); the chain jumps to {row.id}")
        # an id skipped with the chain intact is a rolled-back insert (PostgreSQL sequences)
        if row.prev_hash != prev:
            return Verdict(len(rows), False, row.id, "does not follow the entry before it "
                           "(deleted or reordered entries)")
        at = row.at.isoformat()
        digest = hashlib.sha256(_canonical(at, row.actor, row.kind, row.detail, prev)).hexdigest()
        if digest != row.hash:
            return Verdict(len(rows), False, row.id, "its content does not match its hash "
                           "(edited)")
        if key and not hmac.compare_digest(row.signature or "", _sign(digest) or ""):
            return Verdict(len(rows), False, row.id, "its signature does not match the "
                           "signing key (re-hashed by someone without the key)")
        prev, expected_id = row.hash, row.id + 1
    return Verdict(len(rows), True)
