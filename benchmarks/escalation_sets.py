"""Always-escalate recall and false escalations, per set and per category.

Every `always_escalate*.yml` / `ordinary*.yml` pair in `nlu_data/heldout/` (SOURCES.md says how
and when each was written) goes through the engine (with its semantic safety net) and the
escalation matrix's detector, as a caller's first turn. Whether it reached its own category's
person (the route the matrix gives that category) and which net caught it are counted too:
the matrix's patterns and intents ("listed"), or only the semantic net ("meaning").

`--leave-one-out` measures the retired sets in `nlu_data/safety/` instead, which the trained
net uses as exemplars: each set is played against a net calibrated without it (the training
examples and the other sets), so no set is scored by a net that has seen it. The matrix's
patterns were written after reading those sets, so "reached a person" there flatters; "the net
alone" (the semantic net's own alerts, no patterns or intents; shown for held-out sets too) is
the figure that says how the exemplars generalise.

Misses are not printed unless asked (`--misses`), so a set can be measured before and after a
change without its cases steering the change.

    .venv/bin/python benchmarks/escalation_sets.py                   # held out, ~20 s
    .venv/bin/python benchmarks/escalation_sets.py --leave-one-out   # the exemplar sets, ~1 min
    .venv/bin/python benchmarks/escalation_sets.py --engine spacy --misses
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from receptionist.app import build_nlu
from receptionist.config.nlu_data import Example, TrainingData, load_training_data
from receptionist.config.settings import Settings
from receptionist.core.escalation import ALWAYS, Detector, EscalationMatrix
from receptionist.core.events import NluResult
from receptionist.nlu import safety
from receptionist.nlu.minilm import shared_encoder
from receptionist.nlu.safety import Guarded, SafetyNet
from receptionist.service.world import load_world

Parse = Callable[[str], NluResult]


def _sets(folder: Path) -> list[tuple[str, Path, Path | None]]:
    out = []
    for path in sorted(folder.glob("always_escalate*.yml")):
        suffix = re.sub(r"^always_escalate", "", path.stem)
        ordinary = folder / f"ordinary{suffix}.yml"
        out.append((suffix.strip("_") or "1", path, ordinary if ordinary.exists() else None))
    return out


def _score(parse: Parse, net: SafetyNet | None, detector: Detector, cases: list[Example],
           others: list[Example]) -> tuple[Counter[str], dict[str, list[int]], list[str]]:
    """Counts for one set: reached a person, own category, by listed / meaning, net alone."""
    n: Counter[str] = Counter(cases=len(cases), ordinary=len(others))
    per = {c: [0, 0] for c in ALWAYS}
    notes = []
    for case in cases:
        hit = detector.detect(case.text, parse(case.text))
        per[case.intent][1] += 1
        if net is not None:
            n["net"] += any(name == case.intent for name, _ in net.alerts(case.text))
        if not (hit and hit[0] in ALWAYS):
            notes.append(f"missed: {case.intent}: {case.text}")
            continue
        per[case.intent][0] += 1
        n.update(got=1, right=hit[0] == case.intent, meaning=hit[1].startswith("sounds like"),
                 listed=not hit[1].startswith("sounds like"))
        if hit[0] != case.intent:
            notes.append(f"missed: {case.intent}, routed as {hit[0]} ({hit[1]}): {case.text}")
    for case in others:
        hit = detector.detect(case.text, parse(case.text))
        if net is not None:
            n["net_false"] += bool(net.alerts(case.text))
        if hit and hit[0] in ALWAYS:
            n["false"] += 1
            n["false_meaning"] += hit[1].startswith("sounds like")
            notes.append(f"false: {hit[0]} ({hit[1]}): {case.text}")
    return n, per, notes


def _row(name: str, n: Counter[str], per: dict[str, list[int]] | None) -> str:
    cells = [f"{a}/{b}" for a, b in per.values()] if per else [""] * len(ALWAYS)
    cells += [f"**{n['got']}/{n['cases']}**", f"{n['right']}/{n['cases']}",
              f"{n['listed']} / {n['meaning']}",
              f"{n['false']}/{n['ordinary']} ({n['false'] - n['false_meaning']} / "
              f"{n['false_meaning']})"]
    cells += [f"{n['net']}/{n['cases']}", f"{n['net_false']}/{n['ordinary']}"]
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", help="NLU engine (default: the receptionist's)")
    parser.add_argument("--leave-one-out", action="store_true", help="the exemplar sets in "
                        "nlu_data/safety/, each against a net calibrated without it")
    parser.add_argument("--misses", action="store_true", help="print the missed cases and "
                        "the false escalations")
    parser.add_argument("--set", action="append", default=[], dest="only", metavar="N",
                        help="score only this set (repeatable; default: every set in the "
                        "folder), e.g. to keep a sealed held-out set unread")
    args = parser.parse_args()
    settings = Settings.from_env()
    world = load_world(settings.flows_dir)
    engine = build_nlu(replace(settings, nlu_engine=args.engine or settings.nlu_engine), world)
    detector = Detector(world.matrix)
    alone = args.leave_one_out
    folder = settings.nlu_data_dir / ("safety" if alone else "heldout")
    print(f"engine: {args.engine or settings.nlu_engine} (with its safety net); {folder}\n")
    head = ["set", *ALWAYS, "all", "to its own category", "by listed / meaning only",
            "false escalations (listed / meaning)"]
    head += ["the net alone", "net false alarms"]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    totals: Counter[str] = Counter()
    data = load_training_data([settings.nlu_data_dir])
    for name, path, ordinary in _sets(folder):
        if args.only and name not in args.only:
            continue
        cases = load_training_data([path]).examples
        others = load_training_data([ordinary]).examples if ordinary else []
        parse, net = engine.parse, getattr(engine, "net", None)
        if alone:
            net = _net_without(path, ordinary, data, world.matrix, settings.nlu_data_dir)
            inner = getattr(engine, "engine", engine)
            parse = Guarded(inner, net).parse
        n, per, notes = _score(parse, net, detector, cases, others)
        totals.update(n)
        print(_row(name, n, per))
        for line in notes if args.misses else []:
            print(f"|   | {line} |")
    print(_row("all", totals, None))
    return 0


def _net_without(path: Path, ordinary: Path | None, data: TrainingData,
                 matrix: EscalationMatrix, nlu_data: Path) -> SafetyNet:
    """A safety net calibrated on the training data and every exemplar set but this one."""
    left_out = {path.resolve(), ordinary.resolve() if ordinary else None}
    keep = [f for f in sorted((nlu_data / "safety").glob("*.yml")) if f.resolve() not in left_out]
    exemplars = load_training_data(keep).examples if keep else []
    encoder = shared_encoder()
    folder = Path(tempfile.mkdtemp(prefix="net-without-"))
    safety.calibrate(encoder, data, matrix, folder, exemplars=exemplars)
    return SafetyNet(folder, encoder)


if __name__ == "__main__":
    raise SystemExit(main())
