"""Outside text, as a caller's first line: where does the receptionist put it?

Each file in `nlu_data/outside/` (SOURCES.md says where every row comes from, and which sets are
held out) is played as whole calls through the same in-process Twilio caller as
`receptionist call --json`, one call per row, during opening hours. The first line's outcome is
counted as an outside check reads it: the call type's flow it was put into, `out_of_scope`,
nothing, or a person (the escalation category).

For out-of-scope sets (`*_oos_*`), "kept out of flows" is the share of calls that did not enter a
call type's flow. Misses are only printed with `--misses`, so a held-out set can be measured
without its cases steering the change.

    .venv/bin/python benchmarks/outside_sets.py                       # every set
    .venv/bin/python benchmarks/outside_sets.py --sets clinc150_oos_val --misses
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.cli.common import in_process_caller  # noqa: E402

OPEN = "2026-11-24T10:00"  # a Tuesday morning: the practice is open
NOT_A_FLOW = {None, "out_of_scope"}


def outcome(result: object) -> str:
    """One label for where the first line went: a flow, `out_of_scope`, none, or `person:<cat>`."""
    o = result.outcome  # type: ignore[attr-defined]
    if o.get("escalation") and o.get("flow") in NOT_A_FLOW:
        return f"person:{o['escalation']}"
    return o.get("flow") or "(none)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="*", help="file stems in nlu_data/outside (default: all)")
    parser.add_argument("--misses", action="store_true", help="print what entered a flow")
    args = parser.parse_args()
    files = sorted((ROOT / "nlu_data" / "outside").glob("*.txt"))
    files = [f for f in files if not args.sets or f.stem in args.sets]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/outside.db")
        caller, _ = in_process_caller(OPEN)
        print(f"engine: {os.environ.get('NLU_ENGINE', 'default')}\n")
        print("| set | calls | kept out of flows | to a person | entered a flow | "
              "median ms a call |")
        print("|---|---|---|---|---|---|")
        for path in files:
            rows = [line.strip() for line in path.read_text().splitlines() if line.strip()]
            got: Counter[str] = Counter()
            misses, times = [], []
            for n, text in enumerate(rows):
                started = time.perf_counter()
                result = caller.call([text], caller=f"+1555{n:07d}")
                times.append((time.perf_counter() - started) * 1000)
                label = outcome(result)
                got[label] += 1
                if not label.startswith("person:") and label not in {"(none)", "out_of_scope"}:
                    misses.append(f"{label}: {text}")
            people = Counter({k: v for k, v in got.items() if k.startswith("person:")})
            person = sum(people.values())
            kept = len(rows) - len(misses)
            print(f"| {path.stem} | {len(rows)} | **{kept}/{len(rows)} ({kept / len(rows):.1%})** "
                  f"| {person} | {len(misses)} | {statistics.median(times):.0f} |")
            if args.misses:
                print("\n  " + "\n  ".join(sorted(misses)) + "\n")
            print("|   | to a person, by why (counts only): " + ", ".join(
                f"{k[7:]} {v}" for k, v in people.most_common()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
