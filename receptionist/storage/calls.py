"""Reading and writing calls, turns, handoffs, dispositions, idempotency keys and the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.core.actions import Transfer
from receptionist.core.state import CallState, contained
from receptionist.storage import db, tables
from receptionist.storage.crypto import KeyError_, open_json, open_text

MAX_OUTBOX_ATTEMPTS = 8


def lock_call(conn: Connection, sid: str) -> None:
    """Serialise the requests of one call across workers (retries included) until commit."""
    db.advisory_lock(conn, db.CALL, sid)


def seen_request(conn: Connection, key: str, crypt: Any = None) -> str | None:
    """The response already given to this exact webhook request, if Twilio is retrying it."""
    stored = conn.execute(sa.select(tables.webhook_requests.c.response)
                          .where(tables.webhook_requests.c.key == key)).scalar_one_or_none()
    return open_text(crypt, stored) if stored is not None else None


def remember_request(conn: Connection, key: str, call_sid: str, response: str,
                     crypt: Any = None) -> None:
    """Keep a response (encrypted: it holds what was said) for a retry of the same request."""
    conn.execute(tables.webhook_requests.insert().values(
        key=key, call_sid=call_sid, response=_text(crypt, response), created_at=db.utcnow()))


def _json(crypt: Any, value: Any) -> Any:
    return crypt.encrypt_json(value) if crypt is not None else value


def _text(crypt: Any, value: str | None) -> str | None:
    return crypt.encrypt(value) if crypt is not None and value else value


def load_state(conn: Connection, sid: str, *, lock: bool = True,
               crypt: Any = None) -> CallState | None:
    """Read a call's state, locking its row (PostgreSQL) so turns of one call never interleave."""
    query = sa.select(tables.calls.c.state).where(tables.calls.c.sid == sid)
    if lock and conn.dialect.name != "sqlite":
        query = query.with_for_update()
    raw = conn.execute(query).scalar_one_or_none()
    if raw is None:
        return None
    if crypt is None and isinstance(raw, dict) and set(raw) == {"enc"}:
        raise KeyError_("this call's state is encrypted and no data key is configured")
    return CallState.model_validate(open_json(crypt, raw))


def save_state(conn: Connection, st: CallState, *, new: bool, crypt: Any = None) -> None:
    """Insert or update the call row from its state (encrypted when a key is configured)."""
    values = {"caller": st.caller, "called": st.called, "status": st.status,
              "call_type": st.call_type, "escalation": st.escalation,
              "transfer_to": st.transfer_to, "disposition": st.disposition,
              "state": _json(crypt, st.model_dump(mode="json")), "updated_at": db.utcnow(),
              "after_hours": st.after_hours, "language": st.language,
              "contained": contained(st.status, st.escalation, st.call_type),
              "sentiment": round(sum(st.sentiments) / len(st.sentiments), 3)
              if st.sentiments else None}
    if st.ended_at is not None:
        values["ended_at"] = db.to_db(st.ended_at)
        values["duration_s"] = (st.ended_at - st.started_at).total_seconds()
    if new:
        conn.execute(tables.calls.insert().values(sid=st.call_sid,
                                                  started_at=db.to_db(st.started_at),
                                              version=1, **values))
    else:
        conn.execute(tables.calls.update().where(tables.calls.c.sid == st.call_sid)
                     .values(version=tables.calls.c.version + 1, **values))


def add_turn(conn: Connection, sid: str, event: Any, st: CallState, actions: list[Any],
             duration_ms: float, crypt: Any = None) -> None:
    """Record one event and what was decided about it; no words after a recording refusal."""
    seq = conn.execute(sa.select(sa.func.count()).select_from(tables.turns)
                       .where(tables.turns.c.call_sid == sid)).scalar_one() + 1
    nlu = getattr(event, "nlu", None)
    reply = " ".join(str(getattr(a, "text", None) or getattr(a, "prompt", "")) for a in actions
                     if getattr(a, "kind", "") in ("say", "gather", "voicemail")).strip()
    words = st.consent != "refused"
    parsed = nlu.model_dump(mode="json") if nlu else None
    if parsed and not words:
        parsed = {"intent": parsed["intent"], "confidence": parsed["confidence"],
                  "engine": parsed["engine"]}
    conn.execute(tables.turns.insert().values(
        call_sid=sid, seq=seq, event=event.kind,
        caller_text=_text(crypt, getattr(event, "text", None)) if words else None,
        digits=_text(crypt, getattr(event, "digits", None)) if words else None,
        nlu=_json(crypt, parsed) if parsed else None,
        decision=st.decision, reply=_text(crypt, reply or None) if words else None,
        actions=_json(crypt, [a.model_dump(mode="json") for a in actions]),
        at=db.to_db(event.at), duration_ms=round(duration_ms, 3)))


def add_handoff(conn: Connection, sid: str, action: Transfer, crypt: Any = None) -> int:
    """Store the handoff's context (transcript, intent, slots, sentiment, reason)."""
    h = action.handoff
    return db.insert_id(conn, tables.handoffs.insert().values(
        call_sid=sid, category=h.category, reason=h.reason, target=h.target, number=h.number,
        whisper=_text(crypt, h.whisper), transcript=_json(crypt, [list(t) for t in h.transcript]),
        intent=h.intent, slots=_json(crypt, h.slots), sentiment=h.sentiment,
        created_at=db.utcnow()))


def handoff_whisper(conn: Connection, handoff_id: int, crypt: Any = None) -> str | None:
    """The whisper summary of one handoff, decrypted."""
    value = conn.execute(sa.select(tables.handoffs.c.whisper).where(
        tables.handoffs.c.id == handoff_id)).scalar_one_or_none()
    return open_text(crypt, value)


def set_dial_status(conn: Connection, handoff_id: int, status: str) -> None:
    """Record whether the person answered."""
    conn.execute(tables.handoffs.update().where(tables.handoffs.c.id == handoff_id)
                 .values(dial_status=status))


def save_disposition(conn: Connection, st: CallState, summary: str) -> None:
    """Write (or replace) the call's structured disposition."""
    conn.execute(tables.dispositions.delete().where(tables.dispositions.c.call_sid == st.call_sid))
    conn.execute(tables.dispositions.insert().values(
        call_sid=st.call_sid, call_type=st.call_type, disposition=st.disposition,
        status=st.status, escalation=st.escalation, summary=summary,
        data={"call_types": st.call_types, "dispositions": st.dispositions,
              "transfer_to": st.transfer_to, "turns": st.turns}, created_at=db.utcnow()))


def enqueue(conn: Connection, kind: str, payload: dict[str, Any]) -> None:
    """Add a command to the durable outbox (same transaction as the turn)."""
    conn.execute(tables.outbox.insert().values(kind=kind, payload=payload, status="pending",
                                           attempts=0, next_attempt_at=db.utcnow(),
                                           created_at=db.utcnow()))


def claim_outbox(conn: Connection) -> Any:
    """Lock the oldest due outbox row for this transaction, skipping rows others hold."""
    query = sa.select(tables.outbox).where(
        tables.outbox.c.status == "pending", tables.outbox.c.next_attempt_at <= db.utcnow()
    ).order_by(tables.outbox.c.id).limit(1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return conn.execute(query).first()


def outbox_done(conn: Connection, row_id: int) -> None:
    """Mark an outbox row delivered."""
    conn.execute(tables.outbox.update().where(tables.outbox.c.id == row_id).values(
        status="done", done_at=db.utcnow(), attempts=tables.outbox.c.attempts + 1))


def outbox_failed(conn: Connection, row: Any, error: str) -> None:
    """Record a failed attempt; back off exponentially; give up (keeping the row) at the limit."""
    attempts = row.attempts + 1
    conn.execute(tables.outbox.update().where(tables.outbox.c.id == row.id).values(
        attempts=attempts, last_error=error[:500],
        status="failed" if attempts >= MAX_OUTBOX_ATTEMPTS else "pending",
        next_attempt_at=db.utcnow() + timedelta(seconds=30 * 2 ** attempts)))
