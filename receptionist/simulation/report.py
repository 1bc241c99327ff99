"""Reports of a scenario run: pass rate per category, failures with transcripts, latency."""

from __future__ import annotations

import html
import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET


def summary(results: list[Any]) -> dict[str, Any]:
    """Figures for every report format."""
    by_category: dict[str, list[Any]] = defaultdict(list)
    for r in results:
        by_category[r.scenario.category or "uncategorised"].append(r)
    latencies = [ms for r in results for ms in r.latencies_ms[1:]]
    ordered = sorted(latencies)
    return {
        "scenarios": len(results), "passed": sum(r.passed for r in results),
        "categories": {c: {"scenarios": len(rs), "passed": sum(r.passed for r in rs),
                           "pass_rate": round(sum(r.passed for r in rs) / len(rs), 4)}
                       for c, rs in sorted(by_category.items())},
        "turn_latency_ms": {"p50": round(statistics.median(ordered), 1) if ordered else None,
                            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1)
                            if ordered else None, "turns": len(ordered)},
        "failures": [{"scenario": r.scenario.name, "category": r.scenario.category,
                      "file": str(r.path), "broken": r.failures, "outcome": r.outcome,
                      "transcript": r.turns} for r in results if not r.passed],
    }


def junit(results: list[Any]) -> str:
    """JUnit XML: one test suite per category, one test case per scenario."""
    root = ET.Element("testsuites", name="receptionist scenarios", tests=str(len(results)),
                      failures=str(sum(not r.passed for r in results)))
    by_category: dict[str, list[Any]] = defaultdict(list)
    for r in results:
        by_category[r.scenario.category or "uncategorised"].append(r)
    for category, rs in sorted(by_category.items()):
        suite = ET.SubElement(root, "testsuite", name=category, tests=str(len(rs)),
                              failures=str(sum(not r.passed for r in rs)))
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=category, name=r.scenario.name,
                                 time=f"{sum(r.latencies_ms) / 1000:.3f}")
            if not r.passed:
                failure = ET.SubElement(case, "failure", message="; ".join(r.failures))
                failure.text = "\n".join(f"{t['caller'] or '(call starts)'} -> "
                                         f"{t['receptionist']}" for t in r.turns)
    return ET.tostring(root, encoding="unicode")


def to_html(figures: dict[str, Any]) -> str:
    """The report people read."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c)}</td><td>{v['passed']}/{v['scenarios']}</td><td>"
        f"<div class=bar><div style='width:{v['pass_rate'] * 100:.0f}%'></div></div> "
        f"{v['pass_rate']:.0%}</td></tr>" for c, v in figures["categories"].items())
    failures = "".join(
        f"<details open><summary>{e(f['category'] or '')}: {e(f['scenario'])}</summary><ul>"
        + "".join(f"<li>{e(b)}</li>" for b in f["broken"]) + "</ul><pre>"
        + e("\n".join(f"caller: {t['caller']}\nreceptionist: {t['receptionist']}"
                      if t["caller"] is not None else f"receptionist: {t['receptionist']}"
                      for t in f["transcript"])) + "</pre></details>"
        for f in figures["failures"]) or "<p>No failures.</p>"
    lat = figures["turn_latency_ms"]
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Scenario report</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}td{{padding:3px 10px}}
.bar{{display:inline-block;width:160px;height:10px;background:#eee}}
.bar div{{height:10px;background:#3a3}}pre{{background:#f6f6f6;padding:8px}}</style></head>
<body><h1>Scenario report</h1><p>{figures['passed']}/{figures['scenarios']} scenarios passed.
Turn latency p50 {lat['p50']} ms, p95 {lat['p95']} ms over {lat['turns']} turns.</p>
<h2>Pass rate per category</h2><table>{rows}</table><h2>Failures</h2>{failures}</body></html>"""


def write(results: list[Any], out: Path) -> dict[str, Path]:
    """Write report.json, report.html and junit.xml."""
    out.mkdir(parents=True, exist_ok=True)
    figures = summary(results)
    (out / "report.json").write_text(json.dumps(figures, indent=1, default=str))
    (out / "report.html").write_text(to_html(figures))
    (out / "junit.xml").write_text(junit(results))
    return {"html": out / "report.html", "json": out / "report.json",
            "junit": out / "junit.xml"}
