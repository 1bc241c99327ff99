"""Dashboard and KPI report time for 10,000 and 1,000,000 calls, on SQLite and PostgreSQL.

Every figure comes from SQL aggregates (nothing loads the calls into memory). The calls are
synthetic rows written in bulk; the timed part is the KPI report's queries and the dashboard's
overview page (logged in, through the Flask app).

    .venv/bin/python benchmarks/dashboard_scale.py --sizes 10000 1000000 \\
        --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.app import create_app  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.dashboard.auth import add_user  # noqa: E402
from receptionist.rollout import kpi  # noqa: E402
from receptionist.storage import tables  # noqa: E402
from receptionist.storage.db import make_engine  # noqa: E402
from receptionist.storage.migrate import upgrade  # noqa: E402
from receptionist.storage.tables import metadata  # noqa: E402

TYPES = ["book_appointment", "reschedule_cancel", "practice_info", "insurance_billing",
         "take_message", "out_of_scope"]


def fill(engine, n: int) -> None:
    rng = random.Random(7)
    start = datetime(2026, 10, 1)
    batch = []
    with engine.begin() as conn:
        for i in range(n):
            at = start + timedelta(seconds=rng.randrange(30 * 86400))
            esc = rng.random() < 0.15
            batch.append({"sid": f"B{i:010d}", "caller": "+1", "called": "", "started_at": at,
                          "ended_at": at + timedelta(seconds=120), "state": {}, "version": 1,
                          "status": "transferred" if esc else "completed",
                          "call_type": rng.choice(TYPES), "escalation": "human_request"
                          if esc else None, "disposition": "booked", "after_hours": False,
                          "language": "es" if rng.random() < 0.05 else "en",
                          "sentiment": 0.1, "duration_s": 120.0, "updated_at": at})
            if len(batch) == 20000:
                conn.execute(tables.calls.insert(), batch)
                batch = []
        if batch:
            conn.execute(tables.calls.insert(), batch)


def timed(fn, rounds: int = 3) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(url: str, n: int, nlu) -> tuple[float, float]:
    engine = make_engine(url)
    metadata.drop_all(engine)
    upgrade(engine)
    fill(engine, n)
    window = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
    prices = {"staff": 28.0, "ai": 0.04}

    def report() -> None:
        with engine.connect() as conn:
            kpi.post_launch(conn, *window, prices)
            kpi.per_intent(conn, *window)
            kpi.per_intent(conn, *window, by_week=True)
            kpi.coverage(conn, *window)

    settings = replace(Settings(), database_url=url, twilio_auth_token="x", seed_demo_data=False,
                       extra={"secret_key": "bench"})
    app = create_app(settings, nlu=nlu)
    with app.extensions["receptionist"].engine.begin() as conn:
        add_user(conn, "bench", "benchmark-password", "viewer")
    client = app.test_client()
    page = client.get("/dashboard/login").get_data(True)
    token = re.search(r'name="csrf" (?:value|content)="([^"]+)"', page).group(1)
    client.post("/dashboard/login", data={"username": "bench", "password":
                                          "benchmark-password", "csrf": token})

    def overview() -> None:
        assert client.get("/dashboard/").status_code == 200

    result = timed(report), timed(overview)
    app.extensions["receptionist"].engine.dispose()
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 1000000])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    from receptionist.nlu.spacy_engine import SpacyNlu

    nlu = SpacyNlu(Settings().nlu_model_dir)
    print("| database | calls | KPI report queries (median s) | dashboard overview (median s) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            for name, url in (("SQLite", f"sqlite:///{tmp}/bench{n}.sqlite3"),
                              ("PostgreSQL", args.postgres)):
                report, page = measure(url, n, nlu)
                print(f"| {name} | {n:,} | {report:.3f} | {page:.3f} |", flush=True)


if __name__ == "__main__":
    main()
