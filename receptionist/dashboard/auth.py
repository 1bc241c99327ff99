"""Staff accounts: hashed passwords, roles, sessions with CSRF protection, audited logins."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from receptionist.compliance import audit
from receptionist.storage import db
from receptionist.storage.tables import login_attempts, staff_sessions, users

ROLES = ("viewer", "reviewer", "admin")  # each role can do what the ones before it can
LOCKOUT_MINUTES = 15
MAX_FAILURES_PER_ACCOUNT = 5  # within LOCKOUT_MINUTES
MAX_FAILURES_PER_ADDRESS = 20
IDLE_MINUTES = 30

def add_user(conn: Connection, username: str, password: str, role: str) -> None:
    """Create a staff account (the password is stored hashed only)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("passwords need at least 10 characters")
    conn.execute(users.insert().values(username=username, role=role, created_at=db.utcnow(),
                                       password_hash=generate_password_hash(password)))


class LoginThrottled(Exception):
    """Too many failed logins for this account or from this address: wait and try again."""


def check_login(conn: Connection, username: str, password: str,
                address: str | None = None) -> Any | None:
    """The user row when the password is right, else None (and both are audited).

    An unknown user costs the same time as a wrong password (a dummy hash is checked), and
    after too many failures for an account or from an address every attempt is refused for a
    while, the right password included.
    """
    address = (address if address is not None else request.remote_addr) or "?"
    username = username[:120]
    if _throttled(conn, username, address):
        raise LoginThrottled(f"too many failed attempts: try again in {LOCKOUT_MINUTES} "
                             "minutes")
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    stored = row.password_hash if row is not None else _dummy_hash()
    ok = check_password_hash(stored, password) and row is not None
    record_attempt(conn, username, address, ok=ok, kind="login" if ok else "login_failed")
    return row if ok else None


def _throttled(conn: Connection, username: str, address: str) -> bool:
    since = db.utcnow() - timedelta(minutes=LOCKOUT_MINUTES)
    failed = sa.and_(login_attempts.c.ok.is_(False), login_attempts.c.at >= since)
    by_user = conn.execute(sa.select(sa.func.count()).where(
        failed, login_attempts.c.username == username)).scalar_one()
    by_address = conn.execute(sa.select(sa.func.count()).where(
        failed, login_attempts.c.address == address)).scalar_one()
    return by_user >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def record_attempt(conn: Connection, username: str, address: str, *, ok: bool,
                   kind: str) -> None:
    """Keep a login attempt for throttling, and audit it."""
    conn.execute(login_attempts.insert().values(username=username, address=address[:64], ok=ok,
                                                at=db.utcnow()))
    audit.append(conn, kind, username, ip=address)


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def open_session(conn: Connection, username: str) -> str:
    """A new server-side session for a staff member; the cookie carries only its id."""
    sid = secrets.token_urlsafe(32)
    now = db.utcnow()
    conn.execute(staff_sessions.insert().values(id=sid, username=username, created_at=now,
                                                last_seen_at=now))
    return sid


def end_session(conn: Connection, sid: str) -> None:
    """Log out: the session is dead on the server, whatever the browser kept."""
    conn.execute(staff_sessions.update().where(staff_sessions.c.id == sid,
                                               staff_sessions.c.ended_at.is_(None))
                 .values(ended_at=db.utcnow()))


def session_alive(conn: Connection, sid: str) -> bool:
    """A session is alive until logout or IDLE_MINUTES without a request; each use extends it."""
    now = db.utcnow()
    alive = conn.execute(staff_sessions.update().where(
        staff_sessions.c.id == sid, staff_sessions.c.ended_at.is_(None),
        staff_sessions.c.last_seen_at >= now - timedelta(minutes=IDLE_MINUTES))
        .values(last_seen_at=now)).rowcount
    return bool(alive)


def secret_key() -> str:
    """The session signing key: RECEPTIONIST_SECRET_KEY, or one kept beside the data key."""
    if os.environ.get("RECEPTIONIST_SECRET_KEY"):
        return os.environ["RECEPTIONIST_SECRET_KEY"]
    path = Path.home() / ".config" / "receptionist" / "session_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def check_csrf() -> None:
    """Refuse a form post whose token does not match the session's."""
    sent = request.form.get("csrf", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, "missing or wrong CSRF token: reload the page and try again")


def needs(role: str) -> Callable:
    """Restrict a view to a role (or a higher one); anyone logged out goes to the login page."""
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            user = session.get("user")
            if not user or not _alive(session.get("sid", "")):
                session.clear()
                return redirect(url_for("dashboard.login", next=request.path))
            if ROLES.index(user["role"]) < ROLES.index(role):
                abort(403, f"this needs the {role} role")
            g.user = user
            if request.method == "POST":
                check_csrf()
            return view(*args, **kwargs)

        return inner

    return wrap


def _alive(sid: str) -> bool:
    if not sid:
        return False
    with current_app.extensions["receptionist"].engine.begin() as conn:
        return session_alive(conn, sid)
