"""The shadow pilot report: agreement, escalation confusion, containment, gates and a verdict."""

from __future__ import annotations

import csv
import html
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml
from matplotlib.figure import Figure

from receptionist.core.escalation import ALWAYS
from receptionist.rollout.charts import png_base64

NONE = "(none)"


def load_gates(path: Path) -> dict[str, Any]:
    """The go/no-go gates."""
    return yaml.safe_load(path.read_text())


def apply_labels(results: list[dict[str, Any]], labels: Path) -> int:
    """Overwrite the human outcome of shadowed calls from a staff labels CSV.

    Columns: call_id, call_type, escalated, escalation_reason, resolved. Returns how many calls
    were labelled.
    """
    by_id = {r["call_id"]: r for r in results}
    done = 0
    with labels.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("call_id") in by_id:
                human = by_id[row["call_id"]]["human"]
                human["call_type"] = row.get("call_type") or None
                human["escalated"] = (row.get("escalated") or "").lower() in ("1", "true", "yes")
                human["escalation_reason"] = row.get("escalation_reason") or None
                human["resolved"] = (row.get("resolved") or "").lower() in ("1", "true", "yes")
                done += 1
    return done


def labelled(result: dict[str, Any]) -> bool:
    """Whether the front desk has said what the call was (a live call is unlabelled at first)."""
    return "call_type" in (result.get("human") or {})


def build(results: list[dict[str, Any]], gates: dict[str, Any]) -> dict[str, Any]:
    """Every figure of the report, and the verdict.

    Every call counts toward the pilot's size and shows what the AI would have done; agreement,
    escalation confusion and missed escalations are computed on the labelled calls only (and
    the report says how many those are).
    """
    done = [r for r in results if labelled(r)]
    in_scope = [r for r in done if r["human"]["call_type"] not in (None, "out_of_scope")]
    agree = [r for r in in_scope if r["call_type"] == r["human"]["call_type"]]
    per_type: dict[str, dict[str, Any]] = defaultdict(lambda: {"calls": 0, "agree": 0,
                                                               "would_contain": 0})
    for r in done:
        kind = r["human"]["call_type"] or NONE
        per_type[kind]["calls"] += 1
        per_type[kind]["agree"] += r["call_type"] == r["human"]["call_type"]
        per_type[kind]["would_contain"] += r["would_contain"]
    confusion = Counter((r["escalation"] or NONE, r["human"].get("escalation_reason") or NONE)
                        for r in done)
    missed = [r for r in done if r["human"].get("escalation_reason") in ALWAYS
              and r["escalation"] != r["human"].get("escalation_reason")]
    esc_agree = sum(bool(r["escalation"]) == bool(r["human"].get("escalated")) for r in done)
    confidences = [d["confidence"] for r in results for d in r["decisions"]
                   if d.get("confidence") is not None]
    figures = {
        "calls": len(results),
        "labelled": len(done),
        "in_scope_call_type_agreement": _rate(len(agree), len(in_scope)),
        "escalation_agreement": _rate(esc_agree, len(done)),
        "missed_always_escalate": len(missed),
        "missed_safety": sum(r["human"].get("escalation_reason") == "safety" for r in missed),
        "would_contain": _rate(sum(r["would_contain"] for r in results), len(results)),
        "median_confidence": round(statistics.median(confidences), 3) if confidences else None,
    }
    checks = _gates(figures, gates)
    return {"figures": figures, "per_type": dict(per_type),
            "escalation_confusion": [{"ai": a, "human": h, "calls": n}
                                     for (a, h), n in sorted(confusion.items())],
            "missed_always_escalate": [_brief(r) for r in missed],
            "disagreements": [_brief(r) for r in done
                              if r["call_type"] != r["human"]["call_type"]
                              or bool(r["escalation"]) != bool(r["human"].get("escalated"))],
            "unlabelled": [_brief(r) for r in results if not labelled(r)],
            "confidences": confidences, "gates": checks,
            "progress": f"{len(results)}/{gates.get('min_calls', 50)} calls, "
                        f"{len(done)} labelled",
            "verdict": "GO" if all(c["passed"] for c in checks) else "NO-GO"}


def _rate(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def _brief(r: dict[str, Any]) -> dict[str, Any]:
    return {"call_id": r["call_id"], "ai": {"call_type": r["call_type"],
                                            "escalation": r["escalation"]},
            "human": r["human"], "transcript": [f"{t['speaker']}: {t['text']}"
                                                for t in r["transcript"]],
            "decisions": [f"{d['caller']} -> {d.get('intent')} "
                          f"({d.get('confidence', 0) or 0:.2f}): {d['decision']}"
                          for d in r["decisions"]]}


def _gates(figures: dict[str, Any], gates: dict[str, Any]) -> list[dict[str, Any]]:
    rules = [("min_calls", "calls", ">="),
             ("max_missed_always_escalate", "missed_always_escalate", "<="),
             ("max_missed_safety", "missed_safety", "<="),
             ("min_in_scope_call_type_agreement", "in_scope_call_type_agreement", ">="),
             ("min_escalation_agreement", "escalation_agreement", ">=")]
    out = []
    for gate, figure, op in rules:
        if gate in gates:
            value, bound = figures[figure], gates[gate]
            passed = value >= bound if op == ">=" else value <= bound
            out.append({"gate": gate, "value": value, "bound": bound, "op": op,
                        "passed": passed})
    return out


def charts(report: dict[str, Any]) -> dict[str, str]:
    """Agreement and containment by call type, and the confidence distribution, as PNGs."""
    types = sorted(report["per_type"])
    calls = [report["per_type"][t]["calls"] for t in types]
    fig = Figure(figsize=(8, 3.6), layout="tight")
    ax = fig.add_subplot()
    ax.bar([i - 0.2 for i in range(len(types))], [report["per_type"][t]["agree"] / c
                                                  for t, c in zip(types, calls, strict=True)],
           width=0.4, label="call type agreement")
    ax.bar([i + 0.2 for i in range(len(types))],
           [report["per_type"][t]["would_contain"] / c for t, c in zip(types, calls,
                                                                        strict=True)],
           width=0.4, label="would contain")
    ax.set_xticks(range(len(types)), [t.replace("_", "\n") for t in types], fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("By call type (front desk's label)")
    by_type = png_base64(fig)
    fig = Figure(figsize=(8, 2.8), layout="tight")
    ax = fig.add_subplot()
    ax.hist(report["confidences"], bins=20, range=(0, 1), color="#4a7ebb")
    ax.set_xlabel("NLU confidence per caller turn")
    ax.set_title("Confidence distribution")
    hist = png_base64(fig)
    return {"by_type": by_type, "confidence": hist}


def to_html(report: dict[str, Any]) -> str:
    """A page people can read and share."""
    f, e = report["figures"], html.escape
    pictures = charts(report)
    gates = "".join(f"<tr><td>{e(g['gate'])}</td><td>{g['value']}</td><td>{g['op']} "
                    f"{g['bound']}</td><td class={'ok' if g['passed'] else 'bad'}>"
                    f"{'pass' if g['passed'] else 'FAIL'}</td></tr>" for g in report["gates"])
    confusion = "".join(f"<tr><td>{e(c['ai'])}</td><td>{e(c['human'])}</td><td>{c['calls']}"
                        "</td></tr>" for c in report["escalation_confusion"])

    def calls(items: list[dict[str, Any]]) -> str:
        return "".join(
            f"<details><summary>{e(c['call_id'])}: AI {e(str(c['ai']))} / front desk "
            f"{e(str(c['human']))}</summary><pre>{e(chr(10).join(c['transcript']))}\n\n"
            f"{e(chr(10).join(c['decisions']))}</pre></details>" for c in items) or "<p>none</p>"

    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Shadow pilot report</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}
.ok{{color:#161}}.bad{{color:#b00;font-weight:bold}}.verdict{{font-size:2em}}</style></head>
<body><h1>Shadow pilot report</h1>
<p class="verdict {'ok' if report['verdict'] == 'GO' else 'bad'}">{report['verdict']}</p>
<p>Progress: {report['progress']}. Agreement figures are computed on the {f['labelled']}
labelled calls. In-scope call-type agreement
{f['in_scope_call_type_agreement']:.0%}; escalation agreement {f['escalation_agreement']:.0%};
missed always-escalate calls {f['missed_always_escalate']}; would-be containment
{f['would_contain']:.0%}; median NLU confidence {f['median_confidence']}.</p>
<h2>Gates</h2><table><tr><th>gate</th><th>value</th><th>bound</th><th></th></tr>{gates}</table>
<h2>Agreement and containment by call type</h2>
<img alt="by call type" src="data:image/png;base64,{pictures['by_type']}">
<h2>Escalation: AI against the front desk</h2>
<table><tr><th>AI</th><th>front desk</th><th>calls</th></tr>{confusion}</table>
<h2>Missed always-escalate calls</h2>{calls(report['missed_always_escalate'])}
<h2>Confidence</h2><img alt="confidence" src="data:image/png;base64,{pictures['confidence']}">
<h2>Disagreements to review</h2>{calls(report['disagreements'])}
<h2>Not labelled yet: what the AI would have done</h2>{calls(report['unlabelled'])}
</body></html>"""


def write(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write report.html and report.json."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1, default=str))
    (out / "report.html").write_text(to_html(report))
    return {"html": out / "report.html", "json": out / "report.json"}
