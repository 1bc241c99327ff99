"""What a page needs to play a call's recording: a private URL and the marked timeline."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, session, url_for

from receptionist.storage import recordings

WHO = {"caller": "Caller", "receptionist": "Receptionist", "staff": "Front desk",
       "escalation": "Escalation", "handoff": "Handoff"}


def token_for(call_sid: str) -> str:
    """The recording URL's token: bound to this login's server-side session and the call."""
    key = str(current_app.secret_key).encode()
    return hmac.new(key, f"{session.get('sid', '')}:{call_sid}".encode(),
                    hashlib.sha256).hexdigest()[:40]


def player(conn: Any, crypt: Any, call_sid: str) -> dict[str, Any] | None:
    """What a page needs to play a call's recording: its private URL and marked timeline."""
    found = recordings.timeline(conn, crypt, call_sid)
    if found is None:
        return None
    length, events = found
    lines = [{**e, "at_s": e["at_ms"] / 1000, "label": WHO.get(e["who"], e["who"]),
              "pct": round(100 * e["at_ms"] / max(length, 1), 2)} for e in events]
    return {"url": url_for("dashboard.recording", sid=call_sid, token=token_for(call_sid)),
            "seconds": length / 1000, "lines": lines,
            "marks": [x for x in lines if x["who"] in ("escalation", "handoff")]}
