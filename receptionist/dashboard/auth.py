"""Staff accounts: hashed passwords, roles, sessions with CSRF protection, audited logins."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from receptionist.compliance import audit
from receptionist.storage import db
from receptionist.storage.tables import users

ROLES = ("viewer", "reviewer", "admin")  # each role can do what the ones before it can

def add_user(conn: Connection, username: str, password: str, role: str) -> None:
    """Create a staff account (the password is stored hashed only)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("passwords need at least 10 characters")
    conn.execute(users.insert().values(username=username, role=role, created_at=db.utcnow(),
                                       password_hash=generate_password_hash(password)))


def check_login(conn: Connection, username: str, password: str) -> Any | None:
    """The user row when the password is right, else None (and both are audited)."""
    row = conn.execute(sa.select(users).where(users.c.username == username)).first()
    ok = row is not None and check_password_hash(row.password_hash, password)
    audit.append(conn, "login" if ok else "login_failed", username, ip=request.remote_addr)
    return row if ok else None


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
            if not user:
                return redirect(url_for("dashboard.login", next=request.path))
            if ROLES.index(user["role"]) < ROLES.index(role):
                abort(403, f"this needs the {role} role")
            g.user = user
            if request.method == "POST":
                check_csrf()
            return view(*args, **kwargs)

        return inner

    return wrap
