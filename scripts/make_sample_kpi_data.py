"""Write the KPI sample data: 30 days of baseline phone logs and 30 days of post-launch calls.

Seeded, so the figures in the tests and the demo are stable:

    .venv/bin/python scripts/make_sample_kpi_data.py --seed 7

samples/baseline_call_log.csv: the phone system before launch (generic columns: started_at,
from, status, duration, call_type, resolved). samples/post_launch_calls.jsonl: call records
of the receptionist after launch, loaded with `receptionist kpi import-calls`.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

TZ = ZoneInfo("America/New_York")
TYPES = [("book_appointment", 0.34, 240), ("reschedule_cancel", 0.18, 180),
         ("practice_info", 0.16, 90), ("insurance_billing", 0.14, 300),
         ("take_message", 0.10, 120), ("out_of_scope", 0.08, 200)]
DONE = {"book_appointment": "booked", "reschedule_cancel": "rescheduled",
        "practice_info": "info_hours", "insurance_billing": "insurance_accepted",
        "take_message": "message_taken"}


def _pick(rng: random.Random) -> tuple[str, int]:
    roll, acc = rng.random(), 0.0
    for name, share, aht in TYPES:
        acc += share
        if roll <= acc:
            return name, aht
    return TYPES[-1][0], TYPES[-1][2]


def _moments(rng: random.Random, first: datetime, days: int):
    for day in range(days):
        date = first + timedelta(days=day)
        weekend = date.weekday() >= 5
        for _ in range(rng.randint(8, 14) if weekend else rng.randint(38, 52)):
            hour = rng.choice([7, 18, 19, 20, 21]) if weekend or rng.random() < 0.12 else \
                rng.randint(8, 16)
            yield date.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def baseline(rng: random.Random, out: Path) -> int:
    """Write 30 days of the phone system's call log (the pre-launch baseline); rows written."""
    rows = 0
    with out.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["started_at", "from", "status", "duration", "call_type", "resolved"])
        for moment in _moments(rng, datetime(2026, 9, 1, tzinfo=TZ), 30):
            kind, aht = _pick(rng)
            closed = moment.weekday() >= 5 or not 8 <= moment.hour < 17
            missed = rng.random() < (0.70 if closed else 0.14)
            writer.writerow([moment.isoformat(), f"+1413555{rng.randrange(1000, 9999)}",
                             "no-answer" if missed else "completed",
                             0 if missed else int(rng.gauss(aht, aht * 0.3) + 30), kind,
                             "no" if missed else ("yes" if rng.random() < 0.68 else "no")])
            rows += 1
    return rows


def post_launch(rng: random.Random, out: Path) -> int:
    """Write 30 days of the receptionist's call records after launch; rows written."""
    rows = 0
    with out.open("w") as handle:
        for moment in _moments(rng, datetime(2026, 10, 15, tzinfo=TZ), 30):
            kind, aht = _pick(rng)
            closed = moment.weekday() >= 5 or not 8 <= moment.hour < 17
            roll = rng.random()
            language = "es" if rng.random() < 0.06 else "en"
            if kind == "out_of_scope" or language == "es" or roll < 0.14:
                status, escalation = "transferred", ("out_of_scope" if kind == "out_of_scope"
                                                     else "language_spanish" if language == "es"
                                                     else rng.choice(["human_request", "safety",
                                                                      "low_confidence"]))
                disposition = "transferred"
            elif roll < 0.18:
                status, escalation, disposition = "abandoned", None, "abandoned"
            else:
                status, escalation, disposition = "completed", None, DONE[kind]
            duration = max(20, int(rng.gauss(aht * 0.7, aht * 0.2)))
            handle.write(json.dumps({
                "started_at": moment.isoformat(), "caller": f"+1413555{rng.randrange(1000, 9999)}",
                "call_type": kind, "status": status, "escalation": escalation,
                "disposition": disposition, "after_hours": closed, "language": language,
                "sentiment": round(rng.gauss(0.15, 0.25), 3), "duration_s": duration}) + "\n")
            rows += 1
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "samples")
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True)
    rng = random.Random(args.seed)
    print(baseline(rng, args.out / "baseline_call_log.csv"), "baseline calls,",
          post_launch(rng, args.out / "post_launch_calls.jsonl"), "post-launch calls")
