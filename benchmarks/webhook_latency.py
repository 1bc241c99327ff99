"""Per-turn server latency (p50/p95) and turns per second with concurrent simulated calls.

Starts `receptionist serve` on a loopback port with a fresh SQLite database, then plays signed
Twilio webhooks over HTTP from N threads, each running whole calls (a booking, an info question,
a transfer). Only loopback traffic; bounded in calls and time.

    .venv/bin/python benchmarks/webhook_latency.py --calls 24 --concurrency 1 4 8
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.simulation.caller import Caller, http_transport  # noqa: E402

SCRIPTS = [
    ("+14135550123", ["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am",
                      "yes", "no"]),
    ("+14135550142", ["what are your hours", "no thanks"]),
    ("+14135550142", ["do you take Delta Dental", "no"]),
    ("+14135550999", ["can I talk to a real person"]),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(token: str, db_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, TWILIO_AUTH_TOKEN=token, DATABASE_URL=f"sqlite:///{db_path}")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "receptionist"), "serve", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


class TimedTransport:
    """HTTP transport that records the latency of every webhook POST."""

    def __init__(self) -> None:
        self.inner, self.samples, self.lock = http_transport(), [], threading.Lock()

    def __call__(self, method, url, form, headers):
        started = time.perf_counter()
        result = self.inner(method, url, form, headers)
        if method == "POST":
            with self.lock:
                self.samples.append((time.perf_counter() - started) * 1000)
        return result


def run(url: str, token: str, calls: int, concurrency: int) -> dict:
    transport = TimedTransport()
    caller = Caller(transport, token, base_url=url)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(lambda i: caller.call(SCRIPTS[i % len(SCRIPTS)][1],
                                                       caller=SCRIPTS[i % len(SCRIPTS)][0]),
                                 range(calls)))
    elapsed = time.perf_counter() - started
    samples = sorted(transport.samples)
    failed = sum(1 for o in outcomes if o.outcome.get("status") not in
                 ("completed", "transferred"))
    return {"concurrency": concurrency, "calls": calls, "turns": len(samples),
            "p50_ms": statistics.median(samples),
            "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "turns_per_s": len(samples) / elapsed, "failed_calls": failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=24, help="calls per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(token, Path(tmp) / "bench.sqlite3")
        try:
            Caller(http_transport(), token, base_url=url).call(["what are your hours", "no"])
            print("| concurrent calls | calls | webhook requests | p50 ms | p95 ms | requests/s |"
                  " failed calls |")
            print("|---|---|---|---|---|---|---|")
            for level in args.concurrency:
                r = run(url, token, args.calls, level)
                print(f"| {r['concurrency']} | {r['calls']} | {r['turns']} | {r['p50_ms']:.1f} |"
                      f" {r['p95_ms']:.1f} | {r['turns_per_s']:.1f} | {r['failed_calls']} |",
                      flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
