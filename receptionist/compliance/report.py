"""`receptionist compliance report`: the controls in force, each with its evidence."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from receptionist.compliance import audit
from receptionist.storage import crypto, tables


def build(conn: Connection, world: Any, keyring: Any) -> dict[str, Any]:
    """Collect each control's state."""
    c = world.compliance
    verdict = audit.verify(conn)
    states = [r.state for r in conn.execute(sa.select(tables.calls.c.state))]
    encrypted = sum(1 for s in states if isinstance(s, dict) and set(s) == {"enc"})
    controls = {
        "baa": {"in_force": c.baa.signed or not c.baa_required, "required": c.baa_required,
                "signed": c.baa.signed, "counterparty": c.baa.counterparty,
                "signed_on": c.baa.signed_on},
        "encryption_at_rest": {"in_force": keyring is not None, "algorithm": "AES-256-GCM",
                               "active_key": keyring.active if keyring else None,
                               "calls_encrypted": f"{encrypted}/{len(states)}"},
        "audit_log": {"in_force": verdict.ok, "entries": verdict.entries,
                      "chain": "intact" if verdict.ok else
                      f"broken at {verdict.broken_at}: {verdict.problem}",
                      "signed": bool(__import__("os").environ.get("AUDIT_SIGNING_KEY")),
                      "retention_years": c.retention.audit_years, "delete_path": "none"},
        "retention": {"in_force": True, **c.retention.model_dump()},
        "recording_consent": {"in_force": bool(c.recording_disclosure.strip()),
                              "disclosure": c.recording_disclosure.strip(),
                              "two_party_consent_states": list(c.two_party_consent_states)},
        "redaction": {"in_force": True, "masked": ["phone numbers", "dates of birth",
                                                   "card numbers (never stored)", "SSNs",
                                                   "emails"]},
        "data_minimisation": {"in_force": all(f.stores is not None for f in
                                              world.flows.flows.values()),
                              "stores": {f.flow: list(f.stores)
                                         for f in world.flows.call_types()}},
        "voice_biometrics": {"in_force": not c.voice_biometrics.enabled or
                             bool(c.voice_biometrics.consent_step),
                             "enabled": c.voice_biometrics.enabled},
        "tcpa": {"in_force": True, "window": f"{c.tcpa.window.start:%H:%M}-"
                 f"{c.tcpa.window.end:%H:%M} callee local time",
                 "state_overlays": {k: f"{v.start:%H:%M}-{v.end:%H:%M}"
                                    for k, v in c.tcpa.state_overlays.items()},
                 "requires": ["written consent", "do-not-call scrub"]},
    }
    return {"practice": world.profile.name, "vertical": c.vertical, "controls": controls,
            "key_prefix": crypto.PREFIX,
            "all_in_force": all(v["in_force"] for v in controls.values())}


def markdown(report: dict[str, Any]) -> str:
    """The report for people."""
    lines = [f"# Compliance controls: {report['practice']} ({report['vertical']})", "",
             "| control | in force | evidence |", "|---|---|---|"]
    for name, control in report["controls"].items():
        evidence = "; ".join(f"{k}: {v}" for k, v in control.items() if k != "in_force")
        lines.append(f"| {name.replace('_', ' ')} | {'yes' if control['in_force'] else 'NO'} "
                     f"| {evidence} |")
    lines += ["", "All controls in force." if report["all_in_force"] else
              "Some controls are NOT in force: see the rows marked NO."]
    return "\n".join(lines)
