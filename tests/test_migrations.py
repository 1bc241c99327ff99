"""Schema by migrations: `db upgrade` adopts the first release's databases and keeps their data;
workers refuse an out-of-date schema instead of creating tables; demo data only on request.
"""

import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from receptionist.app import create_app
from receptionist.compliance import audit
from receptionist.core.errors import ConfigError
from receptionist.storage import migrate
from receptionist.storage.db import make_engine
from receptionist.storage.tables import appointments, calls, contacts
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parent.parent
FIRST_RELEASE = ROOT / "tests" / "data" / "release_0_1.sql"  # made by the first release's code


def first_release_db(path):
    con = sqlite3.connect(path)
    con.executescript(FIRST_RELEASE.read_text())
    con.close()
    return make_engine(f"sqlite:///{path}")


def test_upgrade_adopts_a_first_release_database_and_keeps_its_data(tmp_path):
    engine = first_release_db(tmp_path / "old.sqlite3")
    with engine.connect() as conn:
        before = {t: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                  for t in (calls, contacts, appointments)}
    assert migrate.current(engine) is None and before[calls] == 2
    assert migrate.upgrade(engine) == ("0001", migrate.head())
    with engine.connect() as conn:
        after = {t: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                 for t in (calls, contacts, appointments)}
        contained = dict(conn.execute(sa.select(calls.c.escalation, calls.c.contained)).all())
        assert audit.verify(conn).ok
    assert after == before
    assert contained == {None: True, "human_request": False}  # backfilled from the core's rule
    assert migrate.upgrade(engine) == (migrate.head(), migrate.head())  # a second run: nothing


def test_the_command_upgrades_and_reports_the_revision(tmp_path):
    first_release_db(tmp_path / "old.sqlite3").dispose()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"schema at revision {migrate.head()} on sqlite (was 0001)" in done.stdout


def test_a_worker_refuses_a_database_that_was_not_upgraded(settings, nlu, clock):
    with pytest.raises(ConfigError, match="run `receptionist db upgrade`"):
        create_app(replace(settings, auto_migrate=False), nlu=nlu, clock=clock)
    engine = make_engine(settings.database_url)
    assert sa.inspect(engine).get_table_names() == []  # it created nothing


def test_demo_patients_are_only_added_on_request(settings, nlu, clock):
    app = create_app(replace(settings, seed_demo_data=False), nlu=nlu, clock=clock)
    with app.extensions["receptionist"].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(contacts)).scalar() == 0


@pytest.mark.postgres
def test_on_postgresql_the_baseline_upgrades_and_concurrent_upgrades_wait(tmp_path):
    import os

    url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with fresh_database(url) as own:
        engine = make_engine(own)
        with engine.begin() as conn:
            command.upgrade(migrate._config(conn), migrate.BASELINE)
            conn.execute(sa.text("INSERT INTO calls (sid, caller, called, started_at, status, "
                                 "state, version, updated_at) VALUES ('CA1', '+1', '', now(), "
                                 "'completed', '{}', 1, now())"))
        def upgrade(_):
            worker = make_engine(own)
            try:
                return migrate.upgrade(worker)
            finally:
                worker.dispose()

        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(upgrade, range(3)))
        assert sorted(r[0] for r in results) == ["0001", migrate.head(), migrate.head()]
        with engine.connect() as conn:
            assert conn.execute(sa.select(calls.c.sid)).scalars().all() == ["CA1"]
            kinds = conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'appointments'::regclass"
            )).scalars().all()
        assert "appointments_no_overlap" in kinds
        engine.dispose()
