"""The `receptionist` command: serve, call, demo, nlu, db, outbox, flows."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import urllib.request
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from integrations.seed import seed_demo
from integrations.sql import appointments, contacts
from receptionist.app import build_nlu, create_app
from receptionist.cli import compliance as cli_compliance
from receptionist.cli import kpi as cli_kpi
from receptionist.cli import recordings as cli_recordings
from receptionist.cli import rollout as cli_rollout
from receptionist.cli import shadow as cli_shadow
from receptionist.cli.common import audit_access, context, in_process_caller
from receptionist.cli.speech import add_audio_arguments, add_models_parser, audio_call
from receptionist.config.bundle import settings_file
from receptionist.config.nlu_data import load_training_data
from receptionist.config.profile import load_profile
from receptionist.config.settings import Settings
from receptionist.core.errors import ReceptionistError
from receptionist.nlu import gate, rasa_env, safety, semantic_engine
from receptionist.nlu.evaluate import evaluate, evaluate_escalation, write_report
from receptionist.nlu.minilm import shared_encoder
from receptionist.nlu.spacy_engine import SpacyNlu, train
from receptionist.rollout import improvement
from receptionist.service.world import load_world
from receptionist.simulation.caller import Caller, http_transport
from receptionist.storage.crypto import load_keyring
from receptionist.storage.db import make_engine, utcnow
from receptionist.storage.migrate import upgrade
from shadow_mode import store as shadow_store

DEMO_SCRIPT = ["I'd like to book a cleaning", "Maria Garcia", "March 3rd, 1985",
               "next Wednesday at 2 pm", "yes please", "no, that's all"]
DEMO_CALLER = "+14135550999"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.command != "serve" else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.run(args) or 0)
    except ReceptionistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="receptionist", description=(
        "An AI receptionist on Twilio: call flows as data, an escalation matrix, local NLU."))
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the Twilio webhook server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.set_defaults(run=_serve)

    call = sub.add_parser("call", help="play Twilio against the receptionist (text turns, or "
                          "audio over a Media Stream with --audio)")
    call.add_argument("--url", help="a running server's base URL (default: in-process)")
    call.add_argument("--say", action="append", default=[], help="a caller line (repeatable); "
                      "'DTMF:0' presses keys, '<silence>' stays silent; default: lines from stdin")
    call.add_argument("--json", action="store_true", help="print one JSON object per call")
    call.add_argument("--batch", type=Path, help="JSONL file, one call per line: "
                      '{"from": "+1...", "say": ["...", ...]}')
    call.add_argument("--from", dest="caller", default="+14135550142", help="caller ID")
    call.add_argument("--at", help="practice-local time of the call, e.g. 2026-11-23T10:00 "
                      "(in-process only; default now)")
    call.add_argument("--dial-status", default="completed",
                      choices=["completed", "no-answer", "busy", "failed"],
                      help="what happens when the receptionist transfers (default: answered)")
    add_audio_arguments(call)
    call.set_defaults(run=_call)
    add_models_parser(sub)

    demo = sub.add_parser("demo", help="run a scripted booking call through the webhook path")
    demo.set_defaults(run=_demo)

    nlu = sub.add_parser("nlu", help="train or use the NLU engine")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    train = nlu_sub.add_parser("train", help="train from nlu_data/ (rasa: in its own Python "
                               "3.10 environment, created once under ~/.cache/receptionist)")
    train.add_argument("--engine", default="spacy", choices=["spacy", "minilm", "rasa"])
    train.add_argument("--gate", action="store_true",
                       help="minilm: keep the new model only if it is no worse than the current "
                       "one on the held-out data and on every always-escalate category")
    train.set_defaults(run=_nlu_train)
    review = nlu_sub.add_parser("review", help="the improvement queue: low-confidence and "
                                "repeated-failure turns, front-desk labels, QA findings")
    review.add_argument("--days", type=int, default=7, help="look back this many days")
    review.add_argument("--pilot", action="append",
                        help="a shadow pilot whose labels count (repeatable)")
    review.add_argument("--accept", help="items to export: 3=book_appointment,5 (a bare number "
                        "takes the suggested intent)")
    review.add_argument("--out", type=Path, default=Path("nlu_review.yml"),
                        help="where --accept writes the Rasa-format examples")
    review.set_defaults(run=_nlu_review)
    parse = nlu_sub.add_parser("parse", help="text lines on stdin -> JSONL intents and entities")
    parse.add_argument("--engine", default=None, choices=["spacy", "minilm", "rasa"],
                       help="default: NLU_ENGINE (minilm); rasa needs a server at RASA_URL")
    parse.set_defaults(run=_nlu_parse)
    evaluate = nlu_sub.add_parser("evaluate", help="score the engines on the held-out split "
                                  "in nlu_data/test/ (markdown, JSON, confusion matrix PNGs)")
    evaluate.add_argument("--engine", action="append", choices=["spacy", "minilm", "rasa"],
                          help="repeatable; default: spacy, minilm when trained, and rasa when "
                          "RASA_URL answers")
    evaluate.add_argument("--out", type=Path, default=Path("reports/nlu"),
                          help="folder for report.md, report.json and the PNGs")
    evaluate.add_argument("--misses", action="store_true",
                          help="list the held-out escalation cases each engine missed (a set "
                          "whose misses were read is no longer held out)")
    evaluate.set_defaults(run=_nlu_evaluate)

    rasa = sub.add_parser("rasa", help="the Rasa NLU service")
    rasa_sub = rasa.add_subparsers(dest="rasa_command", required=True)
    rserve = rasa_sub.add_parser("serve", help="serve the trained Rasa model (rasa run "
                                 "--enable-api) on 127.0.0.1")
    rserve.add_argument("--port", type=int, default=5005)
    rserve.set_defaults(run=_rasa_serve)

    dbp = sub.add_parser("db", help="database tasks")
    db_sub = dbp.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply the schema migrations (setup and every deploy run "
                      "it; the server never changes the schema)").set_defaults(run=_db_upgrade)
    db_sub.add_parser("seed-demo", help="add the demo practice's patients (never done by "
                      "default)").set_defaults(run=_db_seed_demo)

    outbox = sub.add_parser("outbox", help="deliver queued CRM write-backs")
    outbox.add_subparsers(dest="outbox_command", required=True).add_parser(
        "run", help="deliver every due row once").set_defaults(run=_outbox_run)


    cli_rollout.register(sub)
    cli_compliance.register(sub)
    cli_shadow.register(sub)
    cli_recordings.register(sub)
    cli_kpi.register(sub)
    return p


def _serve(args: argparse.Namespace) -> int:
    app = create_app()
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


def _call(args: argparse.Namespace) -> int:
    if args.audio:
        return audio_call(args, _scripts(args), _print_call)
    if args.url:
        token = Settings.from_env().twilio_auth_token
        if not token:
            print("error: set TWILIO_AUTH_TOKEN to the server's token to sign requests",
                  file=sys.stderr)
            return 2
        caller = Caller(http_transport(), token, base_url=args.url, dial_status=args.dial_status)
    else:
        caller, _ = in_process_caller(args.at, args.dial_status)
    scripts = _scripts(args)
    for number, lines in scripts:
        result = caller.call(lines, caller=number)
        if args.json:
            print(json.dumps(result.as_json()), flush=True)
        else:
            _print_call(result)
    return 0


def _scripts(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    if args.batch:
        scripts = []
        for n, line in enumerate(args.batch.read_text().splitlines(), 1):
            if line.strip():
                try:
                    item = json.loads(line)
                    scripts.append((item.get("from") or args.caller, list(item["say"])))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ReceptionistError(f"{args.batch}:{n}: expected "
                                            '{"from": ..., "say": [...]}: ' + str(exc)) from exc
        return scripts
    lines = args.say or [ln.rstrip("\n") for ln in sys.stdin if ln.strip()]
    return [(args.caller, lines)]


def _print_call(result: Any) -> None:
    for turn in result.turns:
        if turn["caller"] is not None:
            print(f"  caller:       {turn['caller']}")
        print(f"  receptionist: {turn['receptionist']}")
    if result.whisper:
        print(f"  (whisper to staff: {result.whisper})")
    o = result.outcome
    print(f"  -> {o.get('status')}; flow={o.get('flow')} disposition={o.get('disposition')} "
          f"escalation={o.get('escalation')} transfer_to={o.get('transfer_to')}")


def _demo(args: argparse.Namespace) -> int:
    _db_seed_demo(args)  # the demo's patients, on purpose: nothing is seeded by default
    caller, app = in_process_caller()
    print(f"Demo call to {app.extensions['receptionist'].world.profile.name} "
          "through the signed Twilio webhook path:\n")
    result = caller.call(DEMO_SCRIPT, caller=DEMO_CALLER)
    _print_call(result)
    with app.extensions["receptionist"].engine.connect() as conn:
        row = conn.execute(sa.select(appointments, contacts.c.first_name, contacts.c.last_name)
                           .join(contacts).order_by(appointments.c.id.desc()).limit(1)).first()
    if row is not None and result.outcome.get("disposition") == "booked":
        print(f"\nBooked in the scheduler: appointment #{row.id}, {row.first_name} "
              f"{row.last_name}, {row.appointment_type} with {row.provider_id}, "
              f"{row.start:%Y-%m-%d %H:%M} UTC, status {row.status}")
        return 0
    print("\nThe demo call did not end in a booking.", file=sys.stderr)
    return 1


def _nlu_train(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.engine == "rasa":
        def log(message: str) -> None:
            print(message, file=sys.stderr)

        model = rasa_env.train(settings.nlu_data_dir / "nlu.yml",
                               settings.nlu_data_dir / "config.yml", settings.rasa_model_dir, log)
        print(f"Rasa model written to {model}", file=sys.stderr)
        return 0
    data = load_training_data([settings.nlu_data_dir])
    if args.engine == "minilm":
        return _train_semantic(settings, data, gated=args.gate)
    print(f"training the spaCy intent classifier on {len(data.examples)} examples, "
          f"{len(data.intents)} intents", file=sys.stderr)

    def progress(epoch: int, total: int, loss: float) -> None:
        bar = "#" * int(30 * epoch / total)
        print(f"\r  [{bar:<30}] epoch {epoch}/{total} loss {loss:.3f}", end="", file=sys.stderr)

    meta = train(data, settings.nlu_model_dir, progress=progress)
    print(f"\nmodel written to {settings.nlu_model_dir} in {meta['train_seconds']} s",
          file=sys.stderr)
    return 0


def _train_semantic(settings: Settings, data: Any, gated: bool = False) -> int:
    if gated and (settings.semantic_model_dir / "safety.json").exists():
        return _train_gated(settings, data)
    out = settings.semantic_model_dir
    print(f"training the semantic engine (all-MiniLM-L6-v2) on {len(data.examples)} examples",
          file=sys.stderr)
    encoder = shared_encoder()
    meta = semantic_engine.train(data, out, encoder, lambda m: print("  " + m, file=sys.stderr))
    world = load_world(settings.flows_dir)
    exemplars = safety.exemplar_sets(settings.nlu_data_dir)
    print(f"  safety net: {len(exemplars)} more exemplars from "
          f"{settings.nlu_data_dir / 'safety'}", file=sys.stderr)
    report = safety.calibrate(encoder, data, world.matrix, out, exemplars=exemplars)
    for name, r in report.items():
        if not name.startswith("_"):
            print(f"  safety net {name}: {r['examples']} examples, margin {r['margin']}, "
                  f"out-of-fold recall {r['oof_recall']:.0%} "
                  f"({r['oof_recall_with_probe']:.0%} with the linear probe)", file=sys.stderr)
    print(f"  ordinary examples raising an alert (out of fold): "
          f"{report['_ordinary_false_alarm_rate_oof']:.1%}", file=sys.stderr)
    print(f"model and safety net written to {out} in {meta['seconds']} s", file=sys.stderr)
    return 0


def _train_gated(settings: Settings, data: Any) -> int:
    """Train a candidate beside the current model; keep it only if it is no worse."""
    with tempfile.TemporaryDirectory(prefix="minilm-candidate-") as folder:
        candidate = Path(folder) / "minilm"
        _train_semantic(replace(settings, semantic_model_dir=candidate), data)
        world = load_world(settings.flows_dir)
        embedded, encoder = SpacyNlu(settings.nlu_model_dir), shared_encoder()
        scores = {name: gate.score(path, embedded, encoder, settings.nlu_data_dir, world.matrix)
                  for name, path in (("current", settings.semantic_model_dir),
                                     ("candidate", candidate))}
        for name, s in scores.items():
            print(f"{name}: intent accuracy {s['accuracy']:.1%}; always-escalate cases caught "
                  f"{s['recall']}; false escalations {s['false_escalations']}", file=sys.stderr)
        reasons = gate.judge(scores["current"], scores["candidate"])
        if reasons:
            print("refused, the current model stays: " + "; ".join(reasons), file=sys.stderr)
            return 1
        gate.install(candidate, settings.semantic_model_dir)
    print(f"accepted: the new model is in {settings.semantic_model_dir}", file=sys.stderr)
    return 0


def _nlu_review(args: argparse.Namespace) -> int:
    settings, engine, world = context()
    labels: list[Any] = []
    with engine.connect() as conn:
        for pilot in args.pilot or []:
            labels += shadow_store.load(conn, pilot, load_keyring())
        since = utcnow() - timedelta(days=args.days)
        items = improvement.queue(conn, load_keyring(), since, labels, {
            f.flow: f.intents[0] for f in world.flows.call_types() if f.intents})
    with engine.begin() as conn:
        audit_access(conn, "nlu review", items=len(items))
    for n, item in enumerate(items, start=1):
        print(f"{n:3d}. {item.text!r} -> {item.intent or '-'} ({item.confidence:.2f}); "
              f"{item.reason}" + (f"; suggested: {item.suggested}" if item.suggested else ""))
    if not items:
        print("nothing to review")
    if args.accept:
        chosen = _accepted(args.accept, items)
        args.out.write_text(improvement.export(items, chosen))
        print(f"{len(chosen)} accepted examples written to {args.out} (Rasa format): add them "
              f"to nlu_data/, then `receptionist nlu train --engine minilm --gate`",
              file=sys.stderr)
    return 0


def _accepted(spec: str, items: list[Any]) -> dict[int, str]:
    """`3=book_appointment,5` -> {3: "book_appointment", 5: <its suggested intent>}."""
    chosen = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        number, _, intent = part.partition("=")
        index = int(number)
        if not 1 <= index <= len(items):
            raise SystemExit(f"error: there is no item {index} (1 to {len(items)})")
        intent = intent or items[index - 1].suggested or ""
        if not intent:
            raise SystemExit(f"error: say which intent item {index} is ({index}=intent)")
        chosen[index] = intent
    return chosen


def _nlu_engine(settings: Settings, engine: str) -> Any:
    return build_nlu(replace(settings, nlu_engine=engine), load_world(settings.flows_dir))


def _nlu_parse(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    nlu = _nlu_engine(settings, args.engine or settings.nlu_engine)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        r = nlu.parse(text)
        out = {"text": text, "intent": r.intent, "confidence": r.confidence,
               "entities": [e.model_dump(mode="json") for e in r.entities]}
        if r.fallback:
            out["fallback"] = r.fallback
        print(json.dumps(out), flush=True)
    return 0


def _nlu_evaluate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engines = args.engine or ["spacy"] + (
        ["minilm"] if (settings.semantic_model_dir / "meta.json").exists() else []) + (
        ["rasa"] if _rasa_up(settings) else [])
    world = load_world(settings.flows_dir)
    results = {}
    for name in engines:
        engine = _nlu_engine(settings, name)
        results[name] = evaluate(engine, settings.nlu_data_dir / "test")
        if (settings.nlu_data_dir / "heldout").exists():
            results[name]["escalation"] = evaluate_escalation(
                engine, world.matrix, settings.nlu_data_dir / "heldout")
    if any(r.get("fallbacks") for r in results.values()):
        print("error: Rasa did not answer during the evaluation (see fallbacks in the report)",
              file=sys.stderr)
    paths = write_report(results, args.out, args.misses)
    print(paths["markdown"].read_text())
    print(f"written: {', '.join(str(p) for p in paths.values())}", file=sys.stderr)
    return 0


def _rasa_up(settings: Settings) -> bool:
    try:
        with urllib.request.urlopen(settings.rasa_url + "/status", timeout=1):  # noqa: S310
            return True
    except OSError:
        return False


def _rasa_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    model = settings.rasa_model_dir / "nlu.tar.gz"
    if not model.exists():
        print(f"error: no Rasa model at {model}: run 'receptionist nlu train --engine rasa'",
              file=sys.stderr)
        return 2
    rasa_env.ensure_env()
    command = rasa_env.serve_command(model, args.port)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


def _db_upgrade(args: argparse.Namespace) -> int:
    engine = make_engine(Settings.from_env().database_url)
    before, after = upgrade(engine)
    print(f"schema at revision {after} on {engine.dialect.name}"
          + (f" (was {before})" if before != after else " (already current)"))
    return 0


def _db_seed_demo(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with engine.begin() as conn:
        seeded = seed_demo(conn, load_profile(settings_file(settings.flows_dir, "practice.yaml")))
    print("demo patients added" if seeded else "demo patients already there")
    return 0


def _outbox_run(args: argparse.Namespace) -> int:
    app = create_app()
    delivered, failed = app.extensions["receptionist"].service.drain_outbox(limit=100_000)
    print(f"delivered {delivered}, failed {failed} (failed rows are retried later)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
