"""`receptionist kpi`: the executive summary against the baseline, and its exports."""

from __future__ import annotations

import argparse
import csv
import getpass
import html
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from receptionist.cli.common import audit_access, context
from receptionist.core.state import contained
from receptionist.dashboard.auth import add_user
from receptionist.rollout import brand, charts, kpi, qa
from receptionist.storage import db, tables
from receptionist.storage.crypto import load_keyring


def register(sub: Any) -> None:
    """Add the KPI commands."""
    kpi = sub.add_parser("kpi", help="KPIs against the pre-launch baseline")
    ks = kpi.add_subparsers(dest="kpi_command", required=True)
    rep = ks.add_parser("report", help="executive summary (HTML, JSON, CSV) with the day-90 call")
    rep.add_argument("--days", type=int, default=30, help="post-launch window (latest N days)")
    rep.add_argument("--out", type=Path, default=Path("reports/kpi"))
    rep.set_defaults(run=report_cmd)
    imp = ks.add_parser("import-calls", help="load call records (JSONL) such as the sample's")
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=import_calls_cmd)

    qa = sub.add_parser("qa", help="QA cadence: weekly (first quarter) then monthly samples")
    qs = qa.add_subparsers(dest="qa_command", required=True)
    smp = qs.add_parser("sample", help="the reproducible stratified sample of 20 calls")
    smp.add_argument("--day", type=date.fromisoformat, default=None,
                     help="a day in the period (default: today)")
    smp.add_argument("--launch", type=date.fromisoformat, required=True,
                     help="go-live date (weekly for 13 weeks, then monthly)")
    smp.set_defaults(run=qa_sample_cmd)
    rev = qs.add_parser("review", help="score a call with the rubric (1-5)")
    rev.add_argument("call_sid")
    rev.add_argument("--period", required=True)
    rev.add_argument("--accuracy", type=int, required=True)
    rev.add_argument("--brand-voice", type=int, required=True)
    rev.add_argument("--escalation-correct", choices=["yes", "no"], required=True)
    rev.add_argument("--satisfaction", type=int, required=True)
    rev.add_argument("--notes", default="")
    rev.add_argument("--by", required=True, help="the reviewer")
    rev.set_defaults(run=qa_review_cmd)

    users = sub.add_parser("users", help="staff accounts for the dashboard")
    add = users.add_subparsers(dest="users_command", required=True).add_parser(
        "add", help="create an account (password from RECEPTIONIST_NEW_PASSWORD or a prompt)")
    add.add_argument("username")
    add.add_argument("--role", choices=["viewer", "reviewer", "admin"], required=True)
    add.set_defaults(run=users_add_cmd)

    drift = sub.add_parser("drift", help="drift triggers: this week against the four before")
    drift.add_subparsers(dest="drift_command", required=True).add_parser(
        "check", help="raise alerts (log, table, optional DRIFT_WEBHOOK_URL)").set_defaults(
        run=drift_cmd)


def qa_sample_cmd(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    period, start, end = qa.period_of(args.day or date.today(), args.launch)
    with engine.begin() as conn:
        chosen = qa.sample(conn, period, start, end)
        audit_access(conn, "qa sample", period=period, calls=len(chosen))
    print(f"QA sample for {period} ({start} to {end}): {len(chosen)} calls")
    for item in chosen:
        print(f"  {item['call_sid']}  {item['call_type'] or '-':20s} {item['language'] or '-':3s}"
              f" {item['status']:12s} {item['escalation'] or ''}")
    return 0


def qa_review_cmd(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        passed = qa.review(conn, args.call_sid, args.period, args.by, accuracy=args.accuracy,
                           brand_voice=args.brand_voice,
                           escalation_correct=args.escalation_correct == "yes",
                           satisfaction=args.satisfaction, notes=args.notes,
                           crypt=load_keyring())
    print(f"review recorded: {'pass' if passed else 'FAIL'}"
          + ("" if passed else " (turn it into a check: receptionist scenarios from-call "
             f"{args.call_sid})"))
    return 0


def users_add_cmd(args: argparse.Namespace) -> int:
    password = os.environ.get("RECEPTIONIST_NEW_PASSWORD") or getpass.getpass("password: ")
    _, engine, _ = context()
    with engine.begin() as conn:
        add_user(conn, args.username, password, args.role)
        audit_access(conn, "user added", username=args.username, role=args.role)
    print(f"account {args.username} ({args.role}) created")
    return 0


def drift_cmd(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        alerts = qa.check_drift(conn, datetime.now(UTC), webhook=os.environ.get(
            "DRIFT_WEBHOOK_URL"))
    for a in alerts:
        print(f"ALERT {a['metric']}: {a['recent']:.1%} this week, {a['trailing']:.1%} before "
              f"(bound {a['bound']:.0%})")
    print(f"{len(alerts)} drift alert(s)")
    return 1 if alerts else 0


def import_calls_cmd(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    added = 0
    with engine.begin() as conn:
        for n, line in enumerate(args.file.read_text().splitlines()):
            r = json.loads(line)
            started = datetime.fromisoformat(r["started_at"])
            conn.execute(tables.calls.insert().values(
                sid=f"SAMPLE{n:08d}{started:%Y%m%d%H%M%S}", caller=r["caller"], called="",
                started_at=db.to_db(started), ended_at=db.to_db(started + timedelta(
                    seconds=r["duration_s"])), status=r["status"], call_type=r["call_type"],
                escalation=r["escalation"], disposition=r["disposition"], state={},
                contained=contained(r["status"], r["escalation"], r["call_type"]),
                after_hours=r["after_hours"], language=r["language"],
                sentiment=r["sentiment"], duration_s=r["duration_s"], version=1,
                updated_at=db.utcnow()))
            added += 1
    print(f"{added} call records loaded")
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    settings, engine, _ = context()
    prices = kpi.costs(settings.flows_dir)
    with engine.begin() as conn:
        base_span, post_span = kpi.windows(conn, args.days)
        base = kpi.baseline(conn, *base_span, prices) if base_span else dict.fromkeys(kpi.KPIS)
        post = kpi.post_launch(conn, *post_span, prices) if post_span else \
            dict.fromkeys(kpi.KPIS)
        rows = kpi.compare(base, post)
        intents = kpi.per_intent(conn, *post_span) if post_span else []
        weekly = kpi.per_intent(conn, *post_span, by_week=True) if post_span else []
        covered = kpi.coverage(conn, *post_span) if post_span else None
        contained = kpi.containment(intents)
        summary: dict[str, Any] = {
                   "baseline_window": [str(t) for t in base_span] if base_span else None,
                   "post_launch_window": [str(t) for t in post_span] if post_span else None,
                   "kpis": rows, "per_intent": intents, "per_intent_weekly": weekly,
                   "intent_coverage": covered, "crm_write_back_s": kpi.crm_freshness_s(conn),
                   "qa_reviews": kpi.qa_summary(conn),
                   "brand_voice_weekly": brand.weekly(conn),
                   "brand_voice_gate": brand.gate(conn),
                   "day_90": kpi.recommendation(rows, contained)}
        audit_access(conn, "kpi report")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(summary, indent=1, default=str))
    (args.out / "report.html").write_text(_html(summary))
    for name in ("kpis", "per_intent", "per_intent_weekly", "qa_reviews", "brand_voice_weekly"):
        _csv(args.out / f"{name}.csv", summary[name] or [])
    print(_text(summary))
    print(f"written: {args.out}/report.html, report.json, kpis.csv, per_intent.csv, "
          "per_intent_weekly.csv")
    return 0


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _text(s: dict[str, Any]) -> str:
    lines = ["KPI            baseline  post-launch  change  target  met"]
    for r in s["kpis"]:
        change = f"{r['change']:+.0%}" if isinstance(r["change"], float) and abs(r["change"]) \
            < 100 else _fmt(r["change"])
        met = {True: "yes", False: "NO", None: r["note"]}[r["met"]]
        lines.append(f"{r['kpi']:28s} {_fmt(r['baseline']):>9} {_fmt(r['post_launch']):>10} "
                     f"{change:>7}  {r['target']}: {met}")
    d = s["day_90"]
    for q in s["qa_reviews"]:
        lines.append(f"QA {q['period']}: {q['reviews']} reviews, {q['pass_rate']:.0%} passed")
    for b in s["brand_voice_weekly"]:
        lines.append(f"brand voice {b['week']}: {b['sounds_like_us']}/{b['reviews']} sound like "
                     f"the practice; off: " + ", ".join(f"{m} {b[m + '_off']}"
                                                       for m in brand.MARKS))
    lines += s["brand_voice_gate"] or ["brand-voice audit of the first 50 calls: passed"]
    lines.append(f"day-90 recommendation: {d['recommendation'].upper()} (containment "
                 f"{_fmt(d['containment'])}, intent coverage {_fmt(s['intent_coverage'])})")
    return "\n".join(lines)


def _csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        if rows:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def _html(s: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(r['kpi'])}</td><td>{_fmt(r['baseline'])}</td><td>"
                   f"{_fmt(r['post_launch'])}</td><td>{e(r['target'])}</td><td>"
                   f"{ {True: 'met', False: 'not met', None: e(r['note'])}[r['met']] }</td></tr>"
                   for r in s["kpis"])
    intents = "".join(f"<tr><td>{e(r['call_type'])}</td><td>{e(r['language'] or '')}</td>"
                      f"<td>{r['calls']}</td><td>{r['containment']:.0%}</td>"
                      f"<td>{r['handoff_rate']:.0%}</td><td>{r['completion_quality']:.0%}</td>"
                      "</tr>" for r in s["per_intent"])
    d = s["day_90"]
    brand_rows = "".join(
        f"<tr><td>{e(b['week'])}</td><td>{b['sounds_like_us']}/{b['reviews']}</td>"
        + "".join(f"<td>{b[m + '_off']}</td>" for m in brand.MARKS) + "</tr>"
        for b in s["brand_voice_weekly"])
    gate = e("; ".join(s["brand_voice_gate"]) or "the first 50 recorded calls passed")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>KPI report</title>
<style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}td,th{{padding:3px 8px;
border-bottom:1px solid #ddd}}</style></head><body><h1>Executive summary</h1>
<p><b>Day-90 recommendation: {e(d['recommendation'].upper())}</b>. Targets met:
{e(', '.join(d['targets_met']) or 'none')}. Missed: {e(', '.join(d['targets_missed']) or 'none')}.
Containment {_fmt(d['containment'])}; intent coverage {_fmt(s['intent_coverage'])}.</p>
<img alt="KPI change" src="data:image/png;base64,{charts.kpi_change(s['kpis'])}">
<h2>KPIs: baseline and post-launch</h2><table><tr><th>KPI</th><th>baseline</th>
<th>post-launch</th><th>90-day target</th><th></th></tr>{rows}</table>
<h2>QA reviews</h2><p>{e(', '.join(f"{q['period']}: {q['reviews']} reviewed, "
f"{q['pass_rate']:.0%} passed" for q in s['qa_reviews']) or 'none yet')}</p>
<h2>Brand voice: "would this come from our front office?"</h2><p>Pilot audit: {gate}.</p>
<table><tr><th>week</th><th>sound like us</th><th>tone off</th><th>pacing off</th>
<th>vocabulary off</th><th>pronunciation off</th></tr>{brand_rows}</table>
<h2>Per call type and language</h2><table><tr><th>call type</th><th>language</th><th>calls</th>
<th>containment</th><th>handoffs</th><th>completed</th></tr>{intents}</table></body></html>"""
