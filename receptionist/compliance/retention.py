"""Retention: delete transcripts and recordings past their configured age, and record it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from integrations.sql import tickets
from receptionist.compliance import audit
from receptionist.storage import calls as store
from receptionist.storage import db, tables
from receptionist.storage import recordings as audio


def run(conn: Connection, retention: Any, now: datetime, crypt: Any = None) -> dict[str, int]:
    """Purge what is older than allowed; audit log entries are never purged."""
    cutoff = db.to_db(now - timedelta(days=retention.transcripts_days))
    old = [r.sid for r in conn.execute(sa.select(tables.calls.c.sid).where(
        tables.calls.c.started_at < cutoff, tables.calls.c.ended_at.is_not(None)))]
    purged_calls = 0
    for sid in old:
        state = store.load_state(conn, sid, lock=True, crypt=crypt)
        if state is not None and state.transcript:
            state.transcript = []
            conn.execute(tables.calls.update().where(tables.calls.c.sid == sid).values(
                state=crypt.encrypt_json(state.model_dump(mode="json")) if crypt
                else state.model_dump(mode="json")))
            purged_calls += 1
    turns = conn.execute(tables.turns.update().where(tables.turns.c.call_sid.in_(old)).where(
        sa.or_(tables.turns.c.caller_text.is_not(None), tables.turns.c.reply.is_not(None))).values(
        caller_text=None, reply=None, nlu=None)).rowcount
    h = tables.handoffs
    handoffs = conn.execute(h.update().where(h.c.call_sid.in_(old)).values(
        transcript=[])).rowcount
    rec_cutoff = db.to_db(now - timedelta(days=retention.recordings_days))
    recordings = conn.execute(tickets.update().where(
        tickets.c.created_at < rec_cutoff, tickets.c.recording_url.is_not(None)).values(
        recording_url=None)).rowcount
    recordings += audio.delete_older(conn, now - timedelta(days=retention.recordings_days),
                                     now)
    counts = {"calls": purged_calls, "turns": turns, "handoffs": handoffs,
              "recordings": recordings}
    audit.append(conn, "retention", "retention job", cutoff=cutoff.isoformat(), **counts)
    return counts


def rotate_keys(conn: Connection, crypt: Any) -> dict[str, int]:
    """Re-encrypt every encrypted value under the active key (old keys must still be loaded)."""
    counts = {"calls": 0, "turns": 0, "handoffs": 0, "tickets": 0, "webhook_requests": 0,
              "recordings": audio.reseal(conn, crypt)}
    for row in conn.execute(sa.select(tables.calls.c.sid, tables.calls.c.state)).all():
        conn.execute(tables.calls.update().where(tables.calls.c.sid == row.sid).values(
            state=crypt.encrypt_json(crypt.decrypt_json(row.state))))
        counts["calls"] += 1
    for row in conn.execute(sa.select(tables.turns)).all():
        conn.execute(tables.turns.update().where(tables.turns.c.id == row.id).values(
            caller_text=_again(crypt, row.caller_text), reply=_again(crypt, row.reply),
            digits=_again(crypt, row.digits),
            nlu=crypt.encrypt_json(crypt.decrypt_json(row.nlu)) if row.nlu else None,
            actions=crypt.encrypt_json(crypt.decrypt_json(row.actions)) if row.actions else None))
        counts["turns"] += 1
    for row in conn.execute(sa.select(tables.handoffs)).all():
        conn.execute(tables.handoffs.update().where(tables.handoffs.c.id == row.id).values(
            whisper=_again(crypt, row.whisper),
            transcript=crypt.encrypt_json(crypt.decrypt_json(row.transcript)),
            slots=crypt.encrypt_json(crypt.decrypt_json(row.slots))))
        counts["handoffs"] += 1
    for row in conn.execute(sa.select(tickets)).all():
        conn.execute(tickets.update().where(tickets.c.id == row.id).values(
            data=crypt.encrypt_json(crypt.decrypt_json(row.data))))
        counts["tickets"] += 1
    for row in conn.execute(sa.select(tables.webhook_requests)).all():
        conn.execute(tables.webhook_requests.update()
                     .where(tables.webhook_requests.c.key == row.key)
                     .values(response=_again(crypt, row.response)))
        counts["webhook_requests"] += 1
    audit.append(conn, "key_rotation", "keys rotate", active=crypt.active, **counts)
    return counts


def _again(crypt: Any, value: str | None) -> str | None:
    return crypt.encrypt(crypt.decrypt(value)) if value else value
