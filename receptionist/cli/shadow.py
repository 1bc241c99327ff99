"""`receptionist shadow`: replay human-handled calls, report on a pilot, turn calls into checks."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from receptionist.app import build_nlu
from receptionist.cli.common import audit_access
from receptionist.config.settings import ROOT, Settings
from receptionist.service.world import load_world
from receptionist.storage.crypto import load_keyring
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade
from shadow_mode import report as pilot
from shadow_mode import store
from shadow_mode.importers import from_csv, to_scenario, write_scenarios
from shadow_mode.replay import read_calls, replay


def register(sub: Any) -> None:
    """Add the shadow commands."""
    shadow = sub.add_parser("shadow", help="shadow pilots: replay, report, regression scenarios")
    ss = shadow.add_subparsers(dest="shadow_command", required=True)
    rep = ss.add_parser("replay", help="run recorded calls (JSONL) through the engine; JSONL out")
    rep.add_argument("file", type=Path)
    rep.add_argument("--store", metavar="PILOT", help="also keep the calls under this pilot "
                     "name so staff can label them in the dashboard (/dashboard/shadow)")
    rep.set_defaults(run=replay_cmd)
    rpt = ss.add_parser("report", help="the pilot report (HTML with charts, JSON) and a verdict")
    rpt.add_argument("file", type=Path, nargs="?", help="a pilot JSONL file to replay")
    rpt.add_argument("--pilot", help="report on a stored pilot, with the dashboard's labels")
    rpt.add_argument("--labels", type=Path, help="staff labels CSV: call_id, call_type, "
                     "escalated, escalation_reason, resolved")
    rpt.add_argument("--gates", type=Path, default=ROOT / "shadow_mode" / "gates.yaml")
    rpt.add_argument("--out", type=Path, default=Path("reports/shadow"))
    rpt.set_defaults(run=report_cmd)
    imp = ss.add_parser("import-csv", help="a call-log CSV export -> pilot JSONL on stdout")
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=import_cmd)
    sc = ss.add_parser("to-scenario", help="turn pilot calls into regression scenarios")
    sc.add_argument("file", type=Path)
    sc.add_argument("call_ids", nargs="*", help="default: every call where AI and front desk "
                    "disagree")
    sc.add_argument("--out", type=Path, default=ROOT / "scenarios" / "pilot.yaml")
    sc.set_defaults(run=to_scenario_cmd)


def _replayed(path: Path, progress: bool = False) -> tuple[list[dict[str, Any]], Any]:
    settings = Settings.from_env()
    world = load_world(settings.flows_dir, settings.nlu_data_dir)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    calls = list(read_calls(path))

    def tick(n: int) -> None:
        bar = "#" * int(30 * n / max(1, len(calls)))
        print(f"\r  replaying [{bar:<30}] {n}/{len(calls)} calls", end="", file=sys.stderr)

    results = list(replay(calls, world, build_nlu(settings, world), engine,
                          progress=tick if progress else None))
    if progress:
        print(file=sys.stderr)
    return results, world


def replay_cmd(args: argparse.Namespace) -> int:
    results, _ = _replayed(args.file)
    for result in results:
        print(json.dumps(result, default=str), flush=True)
    if args.store:
        with make_engine(Settings.from_env().database_url).begin() as conn:
            kept = store.save(conn, args.store, results, load_keyring())
        print(f"kept {kept} calls as pilot '{args.store}': label them at /dashboard/shadow",
              file=sys.stderr)
    return 0


def report_cmd(args: argparse.Namespace) -> int:
    if args.pilot:
        engine = make_engine(Settings.from_env().database_url)
        upgrade(engine)
        with engine.connect() as conn:
            results = store.load(conn, args.pilot, load_keyring())
        if not results:
            print(f"error: no stored pilot '{args.pilot}'", file=sys.stderr)
            return 2
    elif args.file:
        results, _ = _replayed(args.file, progress=True)
    else:
        print("error: give a pilot file or --pilot NAME", file=sys.stderr)
        return 2
    if args.labels:
        print(f"labels applied to {pilot.apply_labels(results, args.labels)} calls",
              file=sys.stderr)
    built = pilot.build(results, pilot.load_gates(args.gates))
    paths = pilot.write(built, args.out)
    _audit_access("shadow report", calls=len(results))
    f = built["figures"]
    print(f"{built['progress']} (agreement on the labelled calls); in-scope call-type agreement "
          f"{f['in_scope_call_type_agreement']:.0%}; escalation agreement "
          f"{f['escalation_agreement']:.0%}; missed always-escalate {f['missed_always_escalate']}"
          f"; would contain {f['would_contain']:.0%}")
    for gate in built["gates"]:
        print(f"  {'pass' if gate['passed'] else 'FAIL'} {gate['gate']}: {gate['value']} "
              f"{gate['op']} {gate['bound']}")
    print(f"verdict: {built['verdict']}  ({paths['html']}, {paths['json']})")
    return 0 if built["verdict"] == "GO" else 1


def _audit_access(what: str, **detail: Any) -> None:
    with make_engine(Settings.from_env().database_url).begin() as conn:
        audit_access(conn, what, **detail)


def import_cmd(args: argparse.Namespace) -> int:
    for call in from_csv(args.file):
        print(json.dumps(call))
    return 0


def to_scenario_cmd(args: argparse.Namespace) -> int:
    results, world = _replayed(args.file)
    chosen = [r for r in results if (r["call_id"] in args.call_ids) if args.call_ids] or [
        r for r in results if not args.call_ids and (
            r["call_type"] != r["human"]["call_type"]
            or bool(r["escalation"]) != bool(r["human"]["escalated"]))]
    path = write_scenarios([to_scenario(r, world.profile.tz) for r in chosen], args.out)
    print(f"wrote {len(chosen)} scenario(s) to {path}")
    return 0
