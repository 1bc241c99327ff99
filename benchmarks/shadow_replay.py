"""Shadow replay throughput (calls per second) for 50 and 5,000 calls.

The 5,000 are the sample pilot's 50 calls repeated with new ids. Replay is read-only: one
rolled-back transaction on a seeded SQLite database, embedded spaCy NLU.

    .venv/bin/python benchmarks/shadow_replay.py --sizes 50 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.seed import seed_demo  # noqa: E402
from receptionist.nlu.spacy_engine import SpacyNlu  # noqa: E402
from receptionist.service.world import load_world  # noqa: E402
from receptionist.storage.db import make_engine  # noqa: E402
from receptionist.storage.migrate import upgrade  # noqa: E402
from shadow_mode.replay import read_calls, replay  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 5000])
    args = parser.parse_args()
    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    nlu = SpacyNlu(ROOT / "models" / "nlu" / "spacy", tz=world.profile.tz)
    engine = make_engine("sqlite://")
    upgrade(engine)
    with engine.begin() as conn:
        seed_demo(conn, world.profile)
    sample = list(read_calls(ROOT / "shadow_mode" / "sample_pilot.jsonl"))
    print("| calls | seconds | calls/s | caller turns/s |")
    print("|---|---|---|---|")
    for size in args.sizes:
        calls = [c.model_copy(update={"call_id": f"{c.call_id}-{i}"})
                 for i in range(size // len(sample) + 1) for c in sample][:size]
        turns = sum(1 for c in calls for t in c.turns if t.speaker == "caller")
        started = time.perf_counter()
        done = sum(1 for _ in replay(calls, world, nlu, engine))
        elapsed = time.perf_counter() - started
        print(f"| {done} | {elapsed:.1f} | {done / elapsed:.1f} | {turns / elapsed:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
