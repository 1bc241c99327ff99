"""Rollout commands: flows, kill switch, CRM hygiene, readiness, scenarios."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from integrations.crm_hygiene import audit, import_csv, merge
from receptionist.cli.common import audit_access, context, who
from receptionist.config.settings import Settings
from receptionist.rollout import stages as rollout
from receptionist.rollout.lifecycle import current_stages, promote, scaffold
from receptionist.rollout.readiness import evaluate, import_call_log, inventory, sign_off
from receptionist.simulation import report as scenario_report
from receptionist.simulation import runner, scenarios
from receptionist.simulation.coverage import coverage
from receptionist.storage import calls as store
from receptionist.storage.crypto import load_keyring
from shadow_mode.importers import write_scenarios


def register(sub: Any) -> None:
    """Add the rollout commands to the top-level parser."""
    flows = sub.add_parser("flows", help="call types: stages, coverage, versions, rollback")
    fs = flows.add_subparsers(dest="flows_command", required=True)
    fs.add_parser("check", help="validate flows, matrix, profile, NLU coverage and scenarios"
                  ).set_defaults(run=flows_check)
    fs.add_parser("status", help="each call type's stage and since when").set_defaults(
        run=flows_status)
    promote = fs.add_parser("promote", help="next stage (shadow -> pilot -> live), behind the "
                            "readiness, 30-day and quality gates")
    promote.add_argument("name")
    promote.add_argument("--to", choices=["shadow", "pilot", "live", "paused", "retired"])
    promote.add_argument("--by", default=who(), help="who is doing this (recorded)")
    promote.set_defaults(run=flows_promote)
    add = fs.add_parser("add", help="scaffold a call type: flow file, NLU examples, scenario")
    add.add_argument("name")
    add.set_defaults(run=flows_add)
    fs.add_parser("versions", help="stored flow bundle versions").set_defaults(run=flows_versions)
    snap = fs.add_parser("snapshot", help="store the flow bundle on disk as a version")
    snap.add_argument("--by", default=who())
    snap.add_argument("--note", default="")
    snap.set_defaults(run=flows_snapshot)
    back = fs.add_parser("rollback", help="restore the previous (or a given) flow bundle")
    back.add_argument("version", nargs="?", type=int)
    back.add_argument("--by", default=who())
    back.set_defaults(run=flows_rollback)

    kill = sub.add_parser("killswitch", help="send every call to the humans at once")
    kill.add_argument("state", choices=["on", "off", "status"])
    kill.add_argument("--by", default=who())
    kill.add_argument("--reason", default="")
    kill.set_defaults(run=killswitch)

    crm = sub.add_parser("crm", help="CRM hygiene: import, audit, merge")
    cs = crm.add_subparsers(dest="crm_command", required=True)
    imp = cs.add_parser("import", help="load a CRM export (CSV) into the reference CRM")
    imp.add_argument("file", type=Path)
    imp.add_argument("--mapping", help="hubspot, salesforce, generic or a YAML file "
                     "(field: column); default: guessed from the headers")
    imp.set_defaults(run=crm_import)
    aud = cs.add_parser("audit", help="completeness, phone validity, duplicates")
    aud.add_argument("--json", action="store_true")
    aud.set_defaults(run=crm_audit)
    mrg = cs.add_parser("merge", help="merge duplicate records into one (explicit only)")
    mrg.add_argument("keep", type=int)
    mrg.add_argument("drop", type=int, nargs="+")
    mrg.add_argument("--by", default=who())
    mrg.set_defaults(run=crm_merge)

    log = sub.add_parser("calllog", help="phone-system call logs")
    ls = log.add_subparsers(dest="calllog_command", required=True)
    limp = ls.add_parser("import", help="import a call log CSV (twilio or generic columns)")
    limp.add_argument("file", type=Path)
    limp.add_argument("--mapping", choices=["twilio", "generic"])
    limp.set_defaults(run=calllog_import)

    sign = sub.add_parser("signoff", help="record a stakeholder's sign-off")
    sign.add_argument("role", choices=["executive_sponsor", "it_lead", "ops_lead",
                                       "front_office_lead"])
    sign.add_argument("name")
    sign.set_defaults(run=signoff)

    ready = sub.add_parser("readiness", help="the five-item pre-implementation checklist")
    ready.add_argument("--json", action="store_true")
    ready.set_defaults(run=readiness_cmd)

    scen = sub.add_parser("scenarios", help="scripted calls through the webhook path")
    ss = scen.add_subparsers(dest="scenarios_command", required=True)
    srun = ss.add_parser("run", help="run scenarios; exit 0 only when every one passed")
    srun.add_argument("paths", nargs="*", type=Path, help="files or folders (default: "
                      "scenarios/, including your practice's own scenarios/practice/)")
    srun.add_argument("--mode", choices=["text", "audio"], default="text",
                      help="text: the webhook path with recognised text; audio: the Media "
                      "Streams path with synthesised speech, local ASR and TTS (slower)")
    srun.add_argument("--name", action="append", default=[],
                      help="only scenarios whose name contains this (repeatable)")
    srun.add_argument("--jobs", type=int, default=1, help="scenarios run at once")
    srun.add_argument("--report", type=Path, default=Path("reports/scenarios"),
                      help="folder for report.html, report.json and junit.xml")
    srun.set_defaults(run=scenarios_run)
    frm = ss.add_parser("from-call", help="turn a logged call into a scenario (its outcome "
                        "becomes the expectation)")
    frm.add_argument("call_sid")
    frm.add_argument("--out", type=Path, default=Path("scenarios/practice/from_calls.yaml"))
    frm.set_defaults(run=scenarios_from_call)


def flows_check(args: argparse.Namespace) -> int:
    settings, engine, world = context()
    for flow in world.flows.flows.values():
        print(f"ok  {flow.flow:20s} {flow.kind:9s} {len(flow.steps):2d} steps  "
              f"intents: {', '.join(flow.intents) or '-'}")
    print(f"ok  escalation matrix: {', '.join(n for n, _ in world.matrix.ordered())}")
    problems = coverage(world, settings.nlu_data_dir, settings.scenarios_dir)
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


def flows_status(args: argparse.Namespace) -> int:
    _, engine, world = context()
    with engine.connect() as conn:
        stages = current_stages(conn, world)
        last = {r.flow: r for r in rollout.history(conn)}
        switch = rollout.kill_switch(conn)
    for name, stage in sorted(stages.items()):
        since = f"since {last[name].since:%Y-%m-%d} by {last[name].changed_by}" \
            if name in last else "(flow file default)"
        print(f"{name:20s} {stage:8s} {since}")
    print(f"kill switch: {'ON ' + json.dumps(switch) if switch else 'off'}")
    return 0


def flows_promote(args: argparse.Namespace) -> int:
    settings, engine, world = context()
    with engine.begin() as conn:
        stage = promote(conn, world, settings.flows_dir, args.name, args.by, to=args.to)
    print(f"{args.name} is now {stage} (recorded as changed by {args.by})")
    return 0


def flows_add(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    for path in scaffold(args.name, settings.flows_dir, settings.nlu_data_dir,
                         settings.scenarios_dir):
        print(f"wrote {path}")
    print("next: write at least 20 NLU examples, make the scenario realistic, then "
          "'receptionist nlu train' and 'receptionist flows check'")
    return 0


def flows_versions(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.connect() as conn:
        for row in rollout.versions(conn):
            print(f"v{row.version:<4d} {row.at:%Y-%m-%d %H:%M} {row.by:12s} {row.digest[:12]} "
                  f"{row.note}")
    return 0


def flows_snapshot(args: argparse.Namespace) -> int:
    settings, engine, _ = context()
    with engine.begin() as conn:
        version = rollout.snapshot(conn, settings.flows_dir, args.by, args.note)
    print(f"flow bundle stored as version {version}")
    return 0


def flows_rollback(args: argparse.Namespace) -> int:
    settings, engine, _ = context()
    with engine.begin() as conn:
        rollout.snapshot(conn, settings.flows_dir, args.by, note="before rollback")
        version = rollout.restore(conn, settings.flows_dir, args.by, args.version)
    print(f"flow bundle version {version} restored to {settings.flows_dir} (recorded as "
          f"{args.by}); a running server reloads it within seconds")
    return 0


def killswitch(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        if args.state != "status":
            rollout.set_kill_switch(conn, args.state == "on", args.by, args.reason)
        state = rollout.kill_switch(conn)
    print("kill switch ON: every call goes to the front desk " + json.dumps(state) if state
          else "kill switch off: the receptionist answers calls")
    return 0


def crm_import(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        report = import_csv(conn, args.file, args.mapping)
        audit_access(conn, "crm import", file=args.file.name, added=report.added,
               updated=report.updated, rejected=len(report.rejected))
    print(f"mapping {report.mapping}: {report.added} added, {report.updated} updated, "
          f"{len(report.rejected)} rejected")
    for line, why in report.rejected:
        print(f"  rejected line {line}: {why}")
    return 0


def crm_audit(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        report = audit(conn)
        audit_access(conn, "crm audit", contacts=report["contacts"])
    if args.json:
        print(json.dumps(report, default=str))
        return 0 if report["passes"] else 1
    print(f"{report['contacts']} contacts; bar: under {report['bar']:.0%} missing per field")
    for name, f in report["fields"].items():
        mark = "ok  " if f["passes"] else "FAIL"
        print(f"{mark} {name:20s} {f['rate']:6.1%} missing or invalid  fix: "
              f"{', '.join(map(str, f['records'][:20]))}{' …' if len(f['records']) > 20 else ''}")
    print(f"duplicates: {len(report['duplicates'])} pair(s), "
          f"{report['duplicates_in_top_accounts']} in the top accounts (listed first)")
    for d in report["duplicates"][:50]:
        top = "TOP " if d["top_account"] else "    "
        print(f"  {top}{d['kind']:5s} #{d['ids'][0]} {d['names'][0]} ~ #{d['ids'][1]} "
              f"{d['names'][1]} ({d['why']}) -> receptionist crm merge {d['ids'][0]} {d['ids'][1]}")
    print("PASS" if report["passes"] else "FAIL: fix the records above before the pilot")
    return 0 if report["passes"] else 1


def crm_merge(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        result = merge(conn, args.keep, args.drop)
        rollout.record(conn, "crm_merge", args.by, **result)
    print(f"merged {result['merged']} into {result['kept']}; filled {result['filled'] or '-'}")
    return 0


def calllog_import(args: argparse.Namespace) -> int:
    _, engine, world = context()
    with engine.begin() as conn:
        added = import_call_log(conn, args.file, args.mapping, world.profile)
        found = inventory(conn)
    print(f"{added} calls imported; the log covers {found['days']} days")
    for t in found["types"]:
        print(f"  {t['call_type']:24s} {t['calls']:5d} calls  AHT {t['aht_s']:4d}s  "
              f"resolved {t['resolution']:.0%}")
    return 0


def signoff(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        sign_off(conn, args.role, args.name)
    print(f"recorded: {args.name} signed off as {args.role}")
    return 0


def readiness_cmd(args: argparse.Namespace) -> int:
    settings, engine, world = context()
    with engine.begin() as conn:
        items = evaluate(conn, world, settings.flows_dir)
        audit_access(conn, "readiness")
    if args.json:
        print(json.dumps([{"item": i.name, "green": i.green, "reason": i.reason}
                          for i in items]))
    else:
        for i in items:
            print(f"{'GREEN' if i.green else 'RED  '} {i.name:22s} {i.reason}")
        print("ready to go live" if all(i.green for i in items)
              else "not ready: going live is refused until every item is green")
    return 0 if all(i.green for i in items) else 1


def scenarios_run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    items = scenarios.load(args.paths or [settings.scenarios_dir])
    done = [0]

    def tick(result: Any) -> None:
        done[0] += 1
        bar = "#" * int(30 * done[0] / max(1, len(items)))
        print(f"\r  [{bar:<30}] {done[0]}/{len(items)} scenarios", end="", file=sys.stderr)

    if args.name:
        items = [(p, s) for p, s in items if any(n.lower() in s.name.lower() for n in args.name)]
    results = runner.run(items, settings, jobs=args.jobs, progress=tick, mode=args.mode)
    print(file=sys.stderr)
    paths = scenario_report.write(results, args.report)
    for r in results:
        print(f"{'PASS' if r.passed else 'FAIL'} {r.scenario.category}: {r.scenario.name}",
              flush=True)
        for failure in r.failures:
            print(f"     {failure}")
        if r.failures:
            for turn in r.turns:
                if turn["caller"] is not None:
                    heard = f"   (heard: {turn['heard']!r})" if turn.get("heard") else ""
                    print(f"       caller: {turn['caller']}{heard}")
                print(f"       receptionist: {turn['receptionist']}")
    passed = sum(r.passed for r in results)
    print(f"reports: {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    print(f"{passed} passed, {len(results) - passed} failed", file=sys.stderr)
    return 0 if passed == len(results) else 1


def scenarios_from_call(args: argparse.Namespace) -> int:
    _, engine, world = context()
    with engine.connect() as conn:
        st = store.load_state(conn, args.call_sid, lock=False, crypt=load_keyring())
    if st is None:
        print(f"error: no call {args.call_sid}", file=sys.stderr)
        return 2
    lines = [text for speaker, text in st.transcript if speaker == "caller"]
    if not lines:
        print("error: that call kept no transcript (consent refused or retention)",
              file=sys.stderr)
        return 2
    outcome = {k: v for k, v in st.outcome().items() if v is not None and k != "status"}
    scenario = {"name": f"logged call {args.call_sid}", "flow": st.call_type or "out_of_scope",
                "caller_id": st.caller,
                "at": st.started_at.astimezone(world.profile.tz).strftime("%Y-%m-%dT%H:%M"),
                "say": lines, "expect": outcome}
    existing = []
    if args.out.exists():
        import yaml

        existing = (yaml.safe_load(args.out.read_text()) or {}).get("scenarios", [])
    path = write_scenarios(existing + [scenario], args.out)
    print(f"added scenario '{scenario['name']}' to {path}")
    return 0
