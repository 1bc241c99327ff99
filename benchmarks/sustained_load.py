"""Sustained webhook load on gunicorn: the highest rate with 0 errors and p95 < 150 ms.

For each store (SQLite file, PostgreSQL database of its own) and each worker count, starts
`gunicorn --workers W --threads 16` on loopback after `receptionist db upgrade` and
`db seed-demo`, then runs open-loop load: calls start at a fixed rate whatever the answers,
each call plays its 5-turn script (booking, hours, transfer) as fast as it is answered. A rate
holds when every webhook answered 200 without the apology TwiML and the p95 stayed under
150 ms. Only loopback traffic; every step is bounded in calls and time.

    .venv/bin/python benchmarks/sustained_load.py --workers 1 2 4 --rates 10 20 30 40 \\
        --seconds 10 --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.simulation.caller import Caller, http_transport  # noqa: E402
from receptionist.simulation.databases import fresh_postgres  # noqa: E402

SCRIPTS = [
    ("+14135550123", ["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am",
                      "no", "no"]),
    ("+14135550142", ["what are your hours", "no thanks"]),
    ("+14135550999", ["can I talk to a real person"]),
]
APOLOGY = "something went wrong on our side"


class Timed:
    """A transport that records each request's latency and whether it failed."""

    def __init__(self) -> None:
        self.send, self.lock = http_transport(20), threading.Lock()
        self.ms: list[float] = []
        self.errors = 0

    def __call__(self, method, url, form, headers):
        started = time.perf_counter()
        try:
            status, body = self.send(method, url, form, headers)
        except OSError:
            status, body = 599, ""
        with self.lock:
            self.ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or APOLOGY in body:
                self.errors += 1
        return status, body


@contextmanager
def database(store: str, postgres: str):
    """A fresh database URL: a SQLite file, or a PostgreSQL database created and dropped."""
    if store == "sqlite":
        folder = tempfile.mkdtemp(prefix="load-")
        yield f"sqlite:///{folder}/load.sqlite3"
        return
    with fresh_postgres(postgres, "rx_bench") as url:
        yield url


@contextmanager
def server(url: str, workers: int, token: str):
    """gunicorn on loopback for this database (migrated and seeded first, as a deploy does)."""
    env = dict(os.environ, DATABASE_URL=url, TWILIO_AUTH_TOKEN=token)
    cli = [sys.executable, "-m", "receptionist.cli"]
    subprocess.run([*cli, "db", "seed-demo"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env["PUBLIC_BASE_URL"] = base
    proc = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--workers",
                             str(workers), "--threads", "16", "--bind", f"127.0.0.1:{port}",
                             "receptionist.app:create_app()"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if http_transport(2)("GET", base + "/health", {}, {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def load(base: str, token: str, rate: float, seconds: float) -> dict:
    """Start calls at `rate` webhooks/s (open loop) for `seconds`; report what was served."""
    timed = Timed()
    # a call is its lines plus the incoming-call, status and outcome requests
    per_call = sum(len(lines) + 3 for _, lines in SCRIPTS) / len(SCRIPTS)
    calls = int(rate * seconds / per_call)
    started = time.perf_counter()
    with ThreadPoolExecutor(256) as pool:
        for n in range(calls):
            delay = started + n * per_call / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            number, lines = SCRIPTS[n % len(SCRIPTS)]
            pool.submit(Caller(timed, token, base).call, lines, number)
    took = time.perf_counter() - started
    ms = sorted(timed.ms)
    return {"rate": rate, "requests": len(ms), "errors": timed.errors,
            "served_per_s": round(len(ms) / took, 1),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--rates", nargs="+", type=float, default=[10, 20, 30, 40])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    token = secrets.token_hex(16)
    print("| store | workers | offered webhooks/s | served/s | errors | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for store in args.stores:
        for workers in args.workers:
            with database(store, args.postgres) as url, server(url, workers, token) as base:
                held = None
                for rate in args.rates:
                    r = load(base, token, rate, args.seconds)
                    print(f"| {store} | {workers} | {rate:g} | {r['served_per_s']} | "
                          f"{r['errors']} | {r['p50_ms']} | {r['p95_ms']} |", flush=True)
                    if r["errors"] == 0 and (r["p95_ms"] or 1e9) < 150:
                        held = rate
                print(f"| {store} | {workers} | **holds up to {held}** | | | | |", flush=True)


if __name__ == "__main__":
    main()
