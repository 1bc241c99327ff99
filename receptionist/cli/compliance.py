"""`receptionist` commands an auditor or an IT lead runs: keys, audit, retention, TCPA, report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from receptionist.cli.common import context, who
from receptionist.compliance import audit, retention
from receptionist.compliance.redact import redact_value
from receptionist.compliance.report import build, markdown
from receptionist.compliance.retention import rotate_keys
from receptionist.compliance.tcpa import TwilioDialer, attempt, import_dnc, record_consent
from receptionist.storage import calls as store
from receptionist.storage import tables
from receptionist.storage.crypto import DEFAULT_KEY_FILE, add_key_to_file, load_keyring


def register(sub: Any) -> None:
    """Add the compliance commands to the top-level parser."""
    keys = sub.add_parser("keys", help="data keys for encryption at rest")
    ks = keys.add_subparsers(dest="keys_command", required=True)
    ks.add_parser("init", help="create the key file (outside the database) if there is none"
                  ).set_defaults(run=keys_init)
    ks.add_parser("rotate", help="add a new key, make it active, re-encrypt everything"
                  ).set_defaults(run=keys_rotate)

    aud = sub.add_parser("audit", help="the tamper-evident audit log")
    aus = aud.add_subparsers(dest="audit_command", required=True)
    aus.add_parser("verify", help="check the hash chain; name the first broken link"
                   ).set_defaults(run=audit_verify)

    ret = sub.add_parser("retention", help="delete transcripts and recordings past their age")
    ret.add_subparsers(dest="retention_command", required=True).add_parser(
        "run", help="run the retention job once").set_defaults(run=retention_run)

    comp = sub.add_parser("compliance", help="controls in force")
    cr = comp.add_subparsers(dest="compliance_command", required=True).add_parser(
        "report", help="the controls in force, for the checklist and for an auditor")
    cr.add_argument("--json", action="store_true")
    cr.set_defaults(run=compliance_report)

    dnc = sub.add_parser("dnc", help="the do-not-call list")
    dnc.add_subparsers(dest="dnc_command", required=True).add_parser(
        "import", help="import numbers (CSV, first column)").add_argument("file", type=Path)
    dnc.set_defaults(run=dnc_import)

    consent = sub.add_parser("consent", help="outbound-call consent")
    crec = consent.add_subparsers(dest="consent_command", required=True).add_parser(
        "record", help="record written consent to be called back")
    crec.add_argument("phone")
    crec.add_argument("--source", required=True, help="where the written consent is kept")
    crec.set_defaults(run=consent_record)

    cb = sub.add_parser("callbacks", help="outbound callbacks, behind the TCPA guard")
    dial = cb.add_subparsers(dest="callbacks_command", required=True).add_parser(
        "dial", help="call a number back if consent, DNC and the calling window allow")
    dial.add_argument("phone")
    dial.add_argument("--ticket", type=int)
    dial.set_defaults(run=callbacks_dial)

    calls = sub.add_parser("calls", help="call records")
    exp = calls.add_subparsers(dest="calls_command", required=True).add_parser(
        "export", help="export call records as JSONL, personal data redacted")
    exp.add_argument("--by", default=who())
    exp.set_defaults(run=calls_export)


def _keyring() -> Any:
    return load_keyring()


def keys_init(args: argparse.Namespace) -> int:
    path = Path(os.environ.get("RECEPTIONIST_KEY_FILE") or DEFAULT_KEY_FILE)
    if path.exists():
        print(f"key file {path} already exists")
        return 0
    kid = add_key_to_file(path)
    print(f"created {path} with key {kid} (mode 600); keep it out of the database and backups "
          "of the database")
    return 0


def keys_rotate(args: argparse.Namespace) -> int:
    path = Path(os.environ.get("RECEPTIONIST_KEY_FILE") or DEFAULT_KEY_FILE)
    if not path.exists():
        print(f"error: no key file at {path}; run 'receptionist keys init'", file=sys.stderr)
        return 2
    kid = add_key_to_file(path)
    keyring = load_keyring({"RECEPTIONIST_KEY_FILE": str(path)})
    _, engine, _ = context()
    with engine.begin() as conn:
        counts = rotate_keys(conn, keyring)
    print(f"new active key {kid}; re-encrypted {counts}")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.connect() as conn:
        verdict = audit.verify(conn)
    if verdict.ok:
        print(f"audit chain intact: {verdict.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry {verdict.broken_at}: {verdict.problem}")
    return 1


def retention_run(args: argparse.Namespace) -> int:
    _, engine, world = context()
    with engine.begin() as conn:
        counts = retention.run(conn, world.compliance.retention, datetime.now(UTC), _keyring())
    print(f"retention: purged {counts}")
    return 0


def compliance_report(args: argparse.Namespace) -> int:
    settings, engine, world = context()
    with engine.begin() as conn:
        report = build(conn, world, _keyring())

        audit.append(conn, "data_access", who(), what="compliance report")
    print(json.dumps(report, default=str, indent=1) if args.json else markdown(report))
    return 0 if report["all_in_force"] else 1


def dnc_import(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        added = import_dnc(conn, args.file)
    print(f"{added} numbers added to the do-not-call list")
    return 0


def consent_record(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    with engine.begin() as conn:
        record_consent(conn, args.phone, args.source)
    print(f"written consent recorded for {args.phone}")
    return 0


def callbacks_dial(args: argparse.Namespace) -> int:
    _, engine, world = context()
    sid, token = os.environ.get("TWILIO_ACCOUNT_SID"), os.environ.get("TWILIO_AUTH_TOKEN")
    base = os.environ.get("PUBLIC_BASE_URL", "")
    dialer = TwilioDialer(sid or "", token or "", world.profile.phone,
                          base + "/twilio/voice") if sid and token else None
    with engine.begin() as conn:
        decision = attempt(conn, args.phone, datetime.now(UTC), world.compliance.tcpa,
                           dialer or _NoDialer(), args.ticket)
    print(f"{'ALLOWED' if decision.allowed else 'BLOCKED'} ({decision.rule}): {decision.detail}")
    if decision.allowed and dialer is None:
        print("(no TWILIO_ACCOUNT_SID: nothing was dialled)")
    return 0 if decision.allowed else 1


class _NoDialer:
    def dial(self, to: str, ticket_id: int | None) -> str:
        return ""


def calls_export(args: argparse.Namespace) -> int:
    _, engine, _ = context()
    keyring = _keyring()
    with engine.begin() as conn:
        sids = [r.sid for r in conn.execute(sa.select(tables.calls.c.sid).order_by(
            tables.calls.c.started_at))]
        for sid in sids:
            st = store.load_state(conn, sid, lock=False, crypt=keyring)
            if st is None:
                continue
            record = {"call_sid": sid, "caller": st.caller, "started_at": st.started_at,
                      **st.outcome(), "transcript": st.transcript, "slots": st.slots}
            print(json.dumps(redact_value(json.loads(json.dumps(record, default=str)))))
        audit.append(conn, "data_access", args.by, what="calls export", calls=len(sids))
    return 0
