"""What every command group shares: who is running it, the database and world, audited access."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from receptionist.app import create_app
from receptionist.compliance import audit
from receptionist.config.settings import Settings
from receptionist.service.world import World, load_world
from receptionist.simulation.caller import Caller, flask_transport, signed_settings
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade


def who() -> str:
    """The staff member running the command (recorded in the audit log)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def context() -> tuple[Settings, Engine, World]:
    """Settings from the environment, the database (schema ensured) and the loaded world."""
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return settings, engine, load_world(settings.flows_dir, settings.nlu_data_dir)


def audit_access(conn: Any, what: str, **detail: Any) -> None:
    """Record a staff member's access to data (who, when, what)."""
    audit.append(conn, "data_access", who(), what=what, **detail)


def clock(at: str | None, settings: Settings) -> Callable[[], datetime] | None:
    """A clock that starts at `at` (ISO, the practice's timezone if none) and runs on; or None."""
    if not at:
        return None
    tz = load_world(settings.flows_dir).profile.tz
    moment = datetime.fromisoformat(at)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    started = datetime.now(UTC)
    return lambda: moment + (datetime.now(UTC) - started)


def in_process_caller(at: str | None = None, dial_status: str = "completed") -> tuple[Caller, Any]:
    """A Caller wired to an in-process app that trusts a signing token of its own."""
    settings, token = signed_settings(auto_migrate=True)
    app = create_app(settings, clock=clock(at, settings))
    return Caller(flask_transport(app), token, dial_status=dial_status), app
