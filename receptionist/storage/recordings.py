"""Call recordings at rest: sealed with the data keyring, never a clear byte on disk.

A call may have several parts (one per Media Stream, or Twilio's own recording). Each row keeps
the sealed PCM (int16, caller left and receptionist right) and an encrypted timeline; the WAV a
user plays or exports is built in memory from them.
"""

from __future__ import annotations

import io
import wave
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.core.errors import ReceptionistError
from receptionist.storage import db
from receptionist.storage.crypto import Keyring
from receptionist.storage.tables import recordings

RATE = 8000


class NoRecording(ReceptionistError):
    """There is no recording to play for this call (never made, refused, or deleted)."""


def save(conn: Connection, crypt: Keyring, call_sid: str, source: str, started_at: datetime,
         audio: np.ndarray, events: list[dict[str, Any]]) -> int:
    """Keep one part of a call's recording, sealed; returns its id."""
    stereo = np.asarray(audio, dtype="<i2").reshape(-1, 2)
    return db.insert_id(conn, recordings.insert().values(
        call_sid=call_sid, source=source, started_at=db.to_db(started_at),
        duration_ms=len(stereo) * 1000 // RATE, channels=2, sample_rate=RATE,
        audio=crypt.seal(stereo.tobytes()), timeline=crypt.encrypt_json(events), status="kept"))


def remember_remote(conn: Connection, call_sid: str, twilio_sid: str, url: str,
                    duration_ms: int, started_at: datetime) -> int:
    """Twilio holds the audio and it was not fetched: keep where it is."""
    return db.insert_id(conn, recordings.insert().values(
        call_sid=call_sid, source="twilio", started_at=db.to_db(started_at),
        duration_ms=duration_ms, channels=2, sample_rate=RATE, twilio_sid=twilio_sid,
        twilio_url=url, status="remote"))


def parts(conn: Connection, call_sid: str) -> list[Any]:
    """A call's recording parts still held, oldest first."""
    return list(conn.execute(sa.select(recordings).where(
        recordings.c.call_sid == call_sid, recordings.c.status != "deleted")
        .order_by(recordings.c.started_at, recordings.c.id)))


def held(conn: Connection, call_sids: list[str]) -> set[str]:
    """Which of these calls have a recording that can be played here."""
    if not call_sids:
        return set()
    return set(conn.execute(sa.select(recordings.c.call_sid).where(
        recordings.c.call_sid.in_(call_sids), recordings.c.status == "kept")).scalars())


def delete(conn: Connection, call_sid: str, reason: str, now: datetime) -> int:
    """Destroy a call's audio (the row stays, empty, to say when and why); returns parts."""
    return conn.execute(recordings.update().where(
        recordings.c.call_sid == call_sid, recordings.c.status != "deleted").values(
        audio=None, timeline=None, twilio_url=None, status="deleted",
        deleted_at=db.to_db(now), deleted_reason=reason[:120])).rowcount


def delete_older(conn: Connection, cutoff: datetime, now: datetime) -> int:
    """Retention: destroy every recording started before `cutoff`; returns how many."""
    return conn.execute(recordings.update().where(
        recordings.c.started_at < db.to_db(cutoff), recordings.c.status != "deleted").values(
        audio=None, timeline=None, twilio_url=None, status="deleted",
        deleted_at=db.to_db(now), deleted_reason="retention")).rowcount


def _held(conn: Connection, call_sid: str) -> list[Any]:
    return [p for p in parts(conn, call_sid) if p.status == "kept" and p.audio is not None]


def _joined_timeline(crypt: Keyring, kept: list[Any]) -> tuple[int, list[dict[str, Any]]]:
    """The parts' timelines on one clock (each part starts where the one before ended)."""
    events, offset = [], 0
    for part in kept:
        for event in crypt.decrypt_json(part.timeline) or []:
            events.append({**event, "at_ms": event["at_ms"] + offset})
        offset += part.duration_ms
    return offset, events


def load(conn: Connection, crypt: Keyring | None, call_sid: str
         ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """A call's whole recording, parts joined, and its timeline (times from the start)."""
    kept = _held(conn, call_sid)
    if not kept:
        raise NoRecording(f"no recording is held for call {call_sid}")
    if crypt is None:
        raise NoRecording("recordings need the data key: none is configured")
    audio = [np.frombuffer(crypt.unseal(p.audio), dtype="<i2").reshape(-1, p.channels)
             for p in kept]
    return np.concatenate(audio), _joined_timeline(crypt, kept)[1]


def timeline(conn: Connection, crypt: Keyring | None, call_sid: str
             ) -> tuple[int, list[dict[str, Any]]] | None:
    """A call's recording length (ms) and timeline without opening the audio; None if none."""
    kept = _held(conn, call_sid)
    return _joined_timeline(crypt, kept) if kept and crypt is not None else None


def wav_bytes(audio: np.ndarray, rate: int = RATE) -> bytes:
    """A playable WAV (16-bit, one channel per side) built in memory."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(audio.shape[1] if audio.ndim == 2 else 1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(audio, dtype="<i2").tobytes())
    return out.getvalue()


def reseal(conn: Connection, crypt: Keyring) -> int:
    """Key rotation: re-encrypt every held recording under the active key."""
    count = 0
    for row in conn.execute(sa.select(recordings.c.id, recordings.c.audio, recordings.c.timeline)
                            .where(recordings.c.audio.is_not(None))).all():
        conn.execute(recordings.update().where(recordings.c.id == row.id).values(
            audio=crypt.seal(crypt.unseal(row.audio)),
            timeline=crypt.encrypt_json(crypt.decrypt_json(row.timeline))))
        count += 1
    return count
