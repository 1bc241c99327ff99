"""Score NLU engines on the held-out split: per-intent P/R/F1, entity F1, out-of-scope, latency."""

from __future__ import annotations

import copy
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from receptionist.config.nlu_data import load_training_data
from receptionist.core.escalation import ALWAYS, Detector, EscalationMatrix
from receptionist.nlu import NluEngine

THRESHOLD = 0.5  # below it the receptionist re-asks instead of acting on the intent
DOMAIN_ENTITIES = {"appointment_type", "person", "insurer"}
NOT_A_FLOW = {"out_of_scope", "affirm", "deny", "goodbye", "greet", "inform"}


def evaluate(engine: NluEngine, test_dir: Path) -> dict[str, Any]:
    """Parse every held-out example and compute the scores."""
    data = load_training_data([test_dir])
    synonyms = getattr(getattr(engine, "embedded", engine), "synonyms", {})
    gold: list[str] = []
    pred: list[str] = []
    times: list[float] = []
    fallbacks = 0
    tp = fp = fn = 0
    for example in data.examples:
        started = time.perf_counter()
        result = engine.parse(example.text)
        times.append((time.perf_counter() - started) * 1000)
        fallbacks += bool(result.fallback)
        gold.append(example.intent)
        pred.append(result.intent or "(none)" if result.confidence >= THRESHOLD
                    else "(below threshold)")
        want = {(n, synonyms.get(v.lower(), v).lower()) for n, _t, v in example.entities}
        got = {(e.entity, str(e.value).lower()) for e in result.entities
               if e.entity in DOMAIN_ENTITIES}
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
    return {"engine": engine.name, "examples": len(gold), "gold": gold, "pred": pred,
            "intents": _per_intent(gold, pred), "accuracy": _ratio(
                sum(g == p for g, p in zip(gold, pred, strict=True)), len(gold)),
            "entity": _prf(tp, fp, fn), "out_of_scope": _oos(gold, pred),
            "latency_ms": {"mean": statistics.fmean(times), "median": statistics.median(times)},
            "fallbacks": fallbacks}


def evaluate_escalation(engine: NluEngine, matrix: EscalationMatrix,
                        heldout: Path) -> dict[str, Any]:
    """Always-escalate recall per category, and false escalations, on the held-out sets.

    Every set in `heldout` counts: `always_escalate*.yml` and `ordinary*.yml` (SOURCES.md says
    how and when each was written).

    Each utterance goes through the engine (with its safety net, as the receptionist runs it)
    and the escalation matrix's detector, exactly as a caller's first turn would.
    """
    detector = Detector(matrix)
    cases = load_training_data(sorted(heldout.glob("always_escalate*.yml"))).examples
    ordinary = load_training_data(sorted(heldout.glob("ordinary*.yml"))).examples
    per: dict[str, dict[str, Any]] = {}
    for case in cases:
        hit = detector.detect(case.text, engine.parse(case.text))
        row = per.setdefault(case.intent, {"cases": 0, "to_a_person": 0, "right_category": 0,
                                           "missed": []})
        row["cases"] += 1
        row["to_a_person"] += bool(hit and hit[0] in ALWAYS)
        row["right_category"] += bool(hit and hit[0] == case.intent)
        if not (hit and hit[0] in ALWAYS):
            row["missed"].append(case.text)
    false = [(o.text, hit[0]) for o in ordinary
             if (hit := detector.detect(o.text, engine.parse(o.text))) and hit[0] in ALWAYS]
    for row in per.values():
        row["recall"] = _ratio(row["to_a_person"], row["cases"])
    return {"categories": per, "ordinary": len(ordinary), "false_escalations": len(false),
            "false_escalation_rate": _ratio(len(false), len(ordinary)),
            "falsely_escalated": false}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"precision": p, "recall": r, "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def _per_intent(gold: list[str], pred: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    for intent in sorted(set(gold)):
        tp = sum(g == p == intent for g, p in zip(gold, pred, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, pred, strict=True))
        fn = sum(g == intent != p for g, p in zip(gold, pred, strict=True))
        out[intent] = _prf(tp, fp, fn) | {"support": gold.count(intent)}
    return out


def _oos(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """How often an unrelated request is pushed into a call flow, and the reverse."""
    unrelated = [p for g, p in zip(gold, pred, strict=True) if g == "out_of_scope"]
    pushed = [p for p in unrelated if p not in NOT_A_FLOW and p != "(below threshold)"]
    in_scope = [p for g, p in zip(gold, pred, strict=True) if g != "out_of_scope"]
    return {"unrelated": len(unrelated), "pushed_into_a_flow": len(pushed),
            "pushed_rate": _ratio(len(pushed), len(unrelated)), "pushed_to": dict(Counter(pushed)),
            "in_scope_called_out_of_scope": _ratio(in_scope.count("out_of_scope"),
                                                   len(in_scope))}


def confusion_png(result: dict[str, Any], path: Path) -> Path:
    """Draw the intent confusion matrix (rows: gold, columns: predicted)."""
    labels = sorted(set(result["gold"]) | set(result["pred"]))
    index = {label: i for i, label in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for g, p in zip(result["gold"], result["pred"], strict=True):
        grid[index[g]][index[p]] += 1
    fig = Figure(figsize=(9, 8), layout="tight")
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i, row in enumerate(grid):
        for j, count in enumerate(row):
            if count:
                ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                        color="white" if count > max(map(max, grid)) / 2 else "black")
    ax.set_xlabel("predicted (below 0.5 confidence: re-ask)")
    ax.set_ylabel("held-out label")
    ax.set_title(f"{result['engine']}: intent confusion on {result['examples']} held-out "
                 "utterances")
    fig.savefig(path, dpi=110)
    return path


def write_report(results: dict[str, dict[str, Any]], out: Path,
                 misses: bool = False) -> dict[str, Path]:
    """Write report.md, report.json and one confusion PNG per engine; return their paths.

    The held-out escalation cases an engine missed are counted, and listed only with `misses`:
    a set whose misses have been read is no longer held out.
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = {f"png_{name}": confusion_png(r, out / f"confusion_{name}.png")
             for name, r in results.items()}
    slim = copy.deepcopy({name: {k: v for k, v in r.items() if k not in ("gold", "pred")}
                          for name, r in results.items()})
    for r in slim.values():
        for row in r.get("escalation", {}).get("categories", {}).values():
            row["missed"] = row["missed"] if misses else len(row["missed"])
    (out / "report.json").write_text(json.dumps(slim, indent=1))
    (out / "report.md").write_text(markdown(results, misses))
    return {"markdown": out / "report.md", "json": out / "report.json", **paths}


def markdown(results: dict[str, dict[str, Any]], misses: bool = False) -> str:
    """The side-by-side report."""
    names = list(results)
    first = results[names[0]]
    lines = [f"# NLU evaluation on the held-out split ({first['examples']} utterances)", "",
             "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    rows = [("intent accuracy", lambda r: f"{r['accuracy']:.1%}"),
            ("macro F1",
             lambda r: f"{statistics.fmean(v['f1'] for v in r['intents'].values()):.3f}"),
            ("entity F1 (domain entities)", lambda r: f"{r['entity']['f1']:.3f}"),
            ("unrelated requests pushed into a flow",
             lambda r: (f"{r['out_of_scope']['pushed_into_a_flow']}/"
                        f"{r['out_of_scope']['unrelated']}")),
            ("in-scope requests called out of scope",
             lambda r: f"{r['out_of_scope']['in_scope_called_out_of_scope']:.1%}"),
            ("mean parse latency", lambda r: f"{r['latency_ms']['mean']:.1f} ms"),
            ("median parse latency", lambda r: f"{r['latency_ms']['median']:.1f} ms"),
            ("fallbacks to the embedded engine", lambda r: str(r["fallbacks"]))]
    lines += [f"| {label} | " + " | ".join(fn(results[n]) for n in names) + " |"
              for label, fn in rows]
    lines += ["", "## Per intent (precision / recall / F1)", "",
              "| intent | support | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for intent, scores in first["intents"].items():
        cells = [f"{results[n]['intents'][intent]['precision']:.2f} / "
                 f"{results[n]['intents'][intent]['recall']:.2f} / "
                 f"{results[n]['intents'][intent]['f1']:.2f}" for n in names]
        lines.append(f"| {intent} | {scores['support']} | " + " | ".join(cells) + " |")
    lines += ["", "Confusion matrices: " + ", ".join(f"confusion_{n}.png" for n in names), ""]
    lines += _escalation_lines(results, misses)
    return "\n".join(lines)


def _escalation_lines(results: dict[str, dict[str, Any]], misses: bool) -> list[str]:
    names = [n for n, r in results.items() if "escalation" in r]
    if not names:
        return []
    first = results[names[0]]["escalation"]
    lines = ["## Always-escalate requests, held out (nlu_data/heldout/, from public descriptions)",
             "", "Reached a person (any always-escalate route), per category; the engine runs "
             "with its semantic safety net and the matrix's patterns, as in a call.", "",
             "| category | cases | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for category, row in first["categories"].items():
        cells = [f"{results[n]['escalation']['categories'][category]['recall']:.0%}"
                 for n in names]
        lines.append(f"| {category} | {row['cases']} | " + " | ".join(cells) + " |")
    lines.append(f"| false escalations on ordinary requests | {first['ordinary']} | " + " | ".join(
        f"{results[n]['escalation']['false_escalation_rate']:.0%}" for n in names) + " |")
    for n in names:
        missed = [t for row in results[n]["escalation"]["categories"].values()
                  for t in row["missed"]]
        listed = ": " + "; ".join(f'"{t}"' for t in missed) if misses and missed else ""
        lines += ["", f"{n}: missed {len(missed)}{listed}"]
    return lines + [""]
