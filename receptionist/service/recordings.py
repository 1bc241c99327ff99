"""Recording policy: what is kept, what a refusal destroys, and who listened (audited).

Audio is kept only with a data key (it is sealed at rest, never written in the clear) and only
while the caller has not refused; "no recording" at any moment destroys what was taken of the
call. Every playback and export names the staff member in the audit log.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from receptionist.compliance import audit
from receptionist.storage import calls as store
from receptionist.storage import recordings

log = logging.getLogger("receptionist.recordings")


def enabled(settings: Any, crypt: Any) -> bool:
    """Whether calls are recorded here (RECORD_CALLS, and a data key to seal the audio)."""
    return bool(settings.record_calls and crypt is not None)


def refused(engine: Engine, call_sid: str, crypt: Any) -> bool:
    """Whether the caller said "no recording" (their call's stored consent)."""
    with engine.connect() as conn:
        state = store.load_state(conn, call_sid, lock=False, crypt=crypt)
    return state is not None and state.consent == "refused"


def keep(engine: Engine, crypt: Any, call_sid: str, source: str, started_at: datetime,
         audio: np.ndarray, events: list[dict[str, Any]], *, check_consent: bool = True) -> bool:
    """Seal and keep one part of a call's recording, unless the caller refused; True if kept."""
    if crypt is None or (check_consent and refused(engine, call_sid, crypt)):
        return False
    with engine.begin() as conn:
        recordings.save(conn, crypt, call_sid, source, started_at, audio, events)
    log.info("call %s: recording kept (%.1f s, sealed)", call_sid, len(audio) / 8000)
    return True


def destroy(engine: Engine, call_sid: str, reason: str, now: datetime, actor: str) -> int:
    """Destroy a call's recording (a refusal, a request); audited even when nothing was held."""
    with engine.begin() as conn:
        count = recordings.delete(conn, call_sid, reason, now)
        audit.append(conn, "recording_deleted", actor, call_sid=call_sid, reason=reason,
                     parts=count)
    return count


def open_for(engine: Engine, crypt: Any, call_sid: str, who: str, purpose: str,
             audited: bool = True) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """A call's recording for a staff member: audited as `recording_<purpose>`."""
    with engine.begin() as conn:
        audio, events = recordings.load(conn, crypt, call_sid)
        if audited:
            audit.append(conn, f"recording_{purpose}", who, call_sid=call_sid,
                         seconds=round(len(audio) / recordings.RATE, 1))
    return audio, events
