"""Shadow pilot calls kept in the database, so staff can label them in the dashboard."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.compliance import audit
from receptionist.storage import db
from receptionist.storage.crypto import open_json
from receptionist.storage.tables import shadow_calls


def save(conn: Connection, pilot: str, results: list[dict[str, Any]], crypt: Any = None) -> int:
    """Keep replayed calls of a pilot (replacing earlier replays of the same calls)."""
    for r in results:
        conn.execute(shadow_calls.delete().where(shadow_calls.c.call_id == r["call_id"]))
        conn.execute(shadow_calls.insert().values(
            call_id=r["call_id"], pilot=pilot, human=r["human"], created_at=db.utcnow(),
            result=crypt.encrypt_json(r) if crypt is not None else r))
    return len(results)


def load(conn: Connection, pilot: str, crypt: Any = None) -> list[dict[str, Any]]:
    """A pilot's calls with the staff's latest labels."""
    out = []
    for row in conn.execute(sa.select(shadow_calls).where(shadow_calls.c.pilot == pilot)
                            .order_by(shadow_calls.c.call_id)):
        result = open_json(crypt, row.result)
        out.append(result | {"human": row.human, "labelled_by": row.labelled_by})
    return out


def label(conn: Connection, call_id: str, human: dict[str, Any], by: str) -> None:
    """Record what the front desk did on a shadowed call."""
    done = conn.execute(shadow_calls.update().where(shadow_calls.c.call_id == call_id).values(
        human=human, labelled_by=by, labelled_at=db.utcnow())).rowcount
    if not done:
        raise KeyError(call_id)
    audit.append(conn, "shadow_label", by, call_id=call_id, call_type=human.get("call_type"),
                 escalated=human.get("escalated"))


def pilots(conn: Connection) -> list[tuple[str, int, int]]:
    """Each pilot with its number of calls and of labelled calls."""
    c = shadow_calls.c
    return [(r.pilot, r.n, r.labelled) for r in conn.execute(sa.select(
        c.pilot, sa.func.count().label("n"),
        sa.func.count(c.labelled_by).label("labelled")).group_by(c.pilot).order_by(c.pilot))]
