"""The weekly improvement loop: misunderstood queries in, reviewed training examples out.

The playbook asks to "review misunderstood queries weekly and retrain". The queue gathers what
the receptionist did not understand or got wrong: low-confidence turns, turns it had to ask
again, calls it handed over after repeated failures, shadow-pilot calls the front desk labelled
as another call type, and calls a QA reviewer scored low on accuracy. `receptionist nlu review`
shows the queue; accepted items (with the intent a person chose) are exported as Rasa-format
training examples. Retraining is gated: `receptionist nlu train --engine minilm --gate` keeps the
new model only if it is no worse on the held-out split and on every always-escalate category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from receptionist.rollout.qa import qa_reviews
from receptionist.storage import db, tables
from receptionist.storage.crypto import open_json, open_text

LOW_CONFIDENCE = 0.5
HANDED_OVER = ("repeated_failure", "low_confidence")


@dataclass
class Item:
    """One utterance to review: what was said, what the NLU made of it, and why it is here."""

    text: str
    intent: str | None
    confidence: float
    reason: str
    call_sid: str
    suggested: str | None = None  # the intent a person's label points to, when there is one


def queue(conn: Connection, crypt: Any, since: datetime | None = None,
          labels: list[dict[str, Any]] | None = None,
          intent_for: dict[str, str] | None = None) -> list[Item]:
    """Everything worth a look since `since` (default: the last 7 days), newest call first.

    `labels`: labelled shadow-pilot calls (from the pilot store); `intent_for`: a call type's
    intent (the flows say), so a front-desk label becomes a suggested intent.
    """
    since = since or db.utcnow() - timedelta(days=7)
    items = _from_turns(conn, crypt, since) + _from_qa(conn, crypt, since)
    items += _from_labels(labels or [], intent_for or {})
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.text.lower() not in seen:
            seen.add(item.text.lower())
            unique.append(item)
    return unique


def _from_turns(conn: Connection, crypt: Any, since: datetime) -> list[Item]:
    t, c = tables.turns.c, tables.calls.c
    rows = conn.execute(sa.select(t.call_sid, t.caller_text, t.nlu, t.decision, c.escalation)
                        .join(tables.calls, c.sid == t.call_sid)
                        .where(t.at >= since, t.event == "speech", t.caller_text.is_not(None))
                        .order_by(t.at.desc())).all()
    out = []
    for row in rows:
        parsed = open_json(crypt, row.nlu) or {}
        text = open_text(crypt, row.caller_text) or ""
        confidence = float(parsed.get("confidence") or 0.0)
        reason = ("low confidence" if confidence < LOW_CONFIDENCE else
                  "asked again" if (row.decision or "").startswith("reask: not understood")
                  else f"handed over ({row.escalation})" if row.escalation in HANDED_OVER
                  else "")
        if reason and text.strip():
            out.append(Item(text, parsed.get("intent"), confidence, reason, row.call_sid))
    return out


def _from_qa(conn: Connection, crypt: Any, since: datetime) -> list[Item]:
    q, t = qa_reviews.c, tables.turns.c
    failed = conn.execute(sa.select(q.call_sid, q.accuracy).where(
        q.created_at >= since, q.accuracy < 3)).all()
    out = []
    for review in failed:
        first = conn.execute(sa.select(t.caller_text, t.nlu).where(
            t.call_sid == review.call_sid, t.event == "speech", t.caller_text.is_not(None))
            .order_by(t.seq).limit(1)).first()
        if first is not None:
            parsed = open_json(crypt, first.nlu) or {}
            out.append(Item(open_text(crypt, first.caller_text) or "", parsed.get("intent"),
                            float(parsed.get("confidence") or 0.0),
                            f"QA accuracy {review.accuracy}/5", review.call_sid))
    return out


def _from_labels(labels: list[dict[str, Any]], intent_for: dict[str, str]) -> list[Item]:
    out = []
    for call in labels:
        human = call.get("human") or {}
        if "call_type" not in human or human["call_type"] == call.get("call_type"):
            continue
        first = next((d for d in call.get("decisions", []) if d.get("caller")), None)
        if first is None:
            continue
        out.append(Item(first["caller"], first.get("intent"), float(first.get("confidence")
                                                                      or 0.0),
                        f"front desk labelled it {human['call_type'] or 'none'}",
                        call.get("call_id", ""), intent_for.get(human["call_type"] or "")))
    return out


def export(items: list[Item], intents: dict[int, str]) -> str:
    """Accepted items (queue number -> intent a person chose) as Rasa 3.1 training data."""
    by_intent: dict[str, list[str]] = {}
    for number, intent in sorted(intents.items()):
        by_intent.setdefault(intent, []).append(items[number - 1].text)
    return yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {text}\n" for text in texts)}
        for intent, texts in sorted(by_intent.items())]}, sort_keys=False, allow_unicode=True)
