"""`receptionist recordings`: list, export (decrypted, audited) and delete call recordings."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from receptionist.cli.common import context, who
from receptionist.dashboard.auth import ROLES
from receptionist.service import recordings as policy
from receptionist.storage import db, recordings
from receptionist.storage.crypto import load_keyring
from receptionist.storage.tables import recordings as table
from receptionist.storage.tables import users


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `recordings` command group."""
    rec = sub.add_parser("recordings", help="call recordings (sealed at rest; every export "
                         "is audited)")
    rs = rec.add_subparsers(dest="recordings_command", required=True)
    ls = rs.add_parser("list", help="calls with recordings: length, source, status")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(run=list_recordings)
    exp = rs.add_parser("export", help="decrypt one call's recording to a WAV file (caller "
                        "left, receptionist right)")
    exp.add_argument("call_sid")
    exp.add_argument("file", type=Path, help="the WAV file to write")
    exp.add_argument("--mono", action="store_true", help="mix both sides to one channel")
    exp.add_argument("--staff", default=who(), help="the staff member exporting (a reviewer or "
                     "admin account when staff accounts exist; recorded in the audit log)")
    exp.set_defaults(run=export)
    rm = rs.add_parser("delete", help="destroy one call's recording (audited)")
    rm.add_argument("call_sid")
    rm.add_argument("--reason", default="deleted on request")
    rm.add_argument("--staff", default=who())
    rm.set_defaults(run=delete)


def list_recordings(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.started_at.desc())
                            .limit(args.limit)).all()
    if not rows:
        print("no recordings")
    for r in rows:
        print(f"{r.call_sid:40} {db.from_db(r.started_at):%Y-%m-%d %H:%M} "
              f"{r.duration_ms / 1000:6.1f} s  {r.source:7} {r.status}"
              + (f" ({r.deleted_reason})" if r.deleted_reason else ""))
    return 0


def _authorised(engine: sa.engine.Engine, staff: str) -> str | None:
    """Why `staff` may not export, or None when they may."""
    with engine.connect() as conn:
        accounts = dict(conn.execute(sa.select(users.c.username, users.c.role)).all())
    if not accounts:
        return None  # no staff accounts yet: whoever holds the data key
    role = accounts.get(staff)
    if role is None:
        return f"{staff!r} is not a staff account (use --staff with a reviewer or admin)"
    if ROLES.index(role) < ROLES.index("reviewer"):
        return f"{staff!r} is a {role}: exporting recordings needs the reviewer role"
    return None


def export(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    why = _authorised(engine, args.staff)
    if why:
        print(f"error: {why}", file=sys.stderr)
        return 2
    try:
        audio, _ = policy.open_for(engine, load_keyring(), args.call_sid, args.staff, "export")
    except recordings.NoRecording as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.mono:
        audio = np.clip(audio.astype(np.int32).sum(axis=1), -32768, 32767).astype(np.int16)
        audio = audio.reshape(-1, 1)
    args.file.write_bytes(recordings.wav_bytes(audio))
    print(f"{args.file}: {len(audio) / recordings.RATE:.1f} s, "
          f"{'1 channel' if args.mono else '2 channels (caller left, receptionist right)'}; "
          f"export recorded in the audit log as {args.staff}")
    return 0


def delete(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    count = policy.destroy(engine, args.call_sid, args.reason, datetime.now(UTC), args.staff)
    print(f"{count} recording part(s) of {args.call_sid} destroyed (audited)")
    return 0 if count else 1
