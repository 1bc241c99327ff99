"""Always-escalate recall and false escalations, per held-out set and per category.

Every `always_escalate*.yml` / `ordinary*.yml` pair in `nlu_data/heldout/` (SOURCES.md says how
and when each was written) goes through the engine (with its semantic safety net) and the
escalation matrix's detector, as a caller's first turn. Whether it reached its own category's
person (the route the matrix gives that category) and which net caught it are counted too:
the matrix's patterns and intents ("listed"), or only the semantic net ("meaning").

Misses are not printed unless asked (`--misses`), so a set can be measured before and after a
change without its cases steering the change.

    .venv/bin/python benchmarks/escalation_sets.py                 # the default engine
    .venv/bin/python benchmarks/escalation_sets.py --engine spacy --misses
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

from receptionist.app import build_nlu
from receptionist.config.nlu_data import load_training_data
from receptionist.config.settings import Settings
from receptionist.core.escalation import ALWAYS, Detector
from receptionist.service.world import load_world


def _sets(heldout: Path) -> list[tuple[str, Path, Path | None]]:
    out = []
    for path in sorted(heldout.glob("always_escalate*.yml")):
        suffix = re.sub(r"^always_escalate", "", path.stem)
        ordinary = heldout / f"ordinary{suffix}.yml"
        out.append((suffix.strip("_") or "1", path, ordinary if ordinary.exists() else None))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", help="NLU engine (default: the receptionist's)")
    parser.add_argument("--misses", action="store_true", help="print the missed cases and "
                        "the false escalations")
    args = parser.parse_args()
    settings = Settings.from_env()
    world = load_world(settings.flows_dir)
    engine = build_nlu(replace(settings, nlu_engine=args.engine or settings.nlu_engine), world)
    detector = Detector(world.matrix)
    print(f"engine: {args.engine or settings.nlu_engine} (with its safety net)\n")
    print("| set | " + " | ".join(ALWAYS) + " | all | to its own category "
          "| by listed / meaning only | false escalations |")
    print("|---|" + "---|" * (len(ALWAYS) + 4))
    totals: Counter[str] = Counter()
    for name, path, ordinary in _sets(settings.nlu_data_dir / "heldout"):
        per = {c: [0, 0] for c in ALWAYS}
        listed = meaning = right = 0
        missed, false = [], []
        for case in load_training_data([path]).examples:
            hit = detector.detect(case.text, engine.parse(case.text))
            per[case.intent][1] += 1
            if hit and hit[0] in ALWAYS:
                per[case.intent][0] += 1
                meaning += hit[1].startswith("sounds like")
                right += hit[0] == case.intent  # the person that category's route reaches
                listed += not hit[1].startswith("sounds like")
            else:
                missed.append(f"{case.intent}: {case.text}")
                continue
            if hit[0] != case.intent:
                missed.append(f"{case.intent}, routed as {hit[0]} ({hit[1]}): {case.text}")
        others = load_training_data([ordinary]).examples if ordinary else []
        for case in others:
            hit = detector.detect(case.text, engine.parse(case.text))
            if hit and hit[0] in ALWAYS:
                false.append(f"{hit[0]} ({hit[1]}): {case.text}")
        got, cases = sum(p[0] for p in per.values()), sum(p[1] for p in per.values())
        totals.update(got=got, cases=cases, right=right, false=len(false), ordinary=len(others))
        print(f"| {name} | " + " | ".join(f"{a}/{b}" for a, b in per.values())
              + f" | **{got}/{cases}** | {right}/{cases} | {listed} / {meaning} "
              f"| {len(false)}/{len(others)} |")
        if args.misses:
            for line in missed:
                print(f"|   | missed: {line} |")
            for line in false:
                print(f"|   | false: {line} |")
    print(f"| all | | | | | | **{totals['got']}/{totals['cases']}** | "
          f"{totals['right']}/{totals['cases']} | | {totals['false']}/{totals['ordinary']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
