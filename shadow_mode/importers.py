"""Turn call-log exports into pilot JSONL, and shadowed calls into regression scenarios."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from receptionist.core.errors import ConfigError
from receptionist.core.escalation import ALWAYS

COLUMNS = {
    "call_id": ("call_id", "Call SID", "CallSid", "Call ID", "id"),
    "from": ("from", "From", "Caller", "Caller ID", "caller_number"),
    "started_at": ("started_at", "Start Time", "Date", "Started", "start_time"),
    "transcript": ("transcript", "Transcript", "Notes", "Conversation"),
    "call_type": ("call_type", "Call Type", "Disposition", "Reason"),
    "escalated": ("escalated", "Escalated", "Transferred"),
    "escalation_reason": ("escalation_reason", "Escalation Reason", "Transfer Reason"),
    "resolved": ("resolved", "Resolved", "First Call Resolution"),
}
SPEAKER = re.compile(r"^\s*(caller|patient|customer|staff|agent|receptionist|front desk)\s*:\s*",
                     re.I)


def _pick(row: dict[str, str], field: str) -> str:
    return next((row[c].strip() for c in COLUMNS[field] if row.get(c, "").strip()), "")


def from_csv(path: Path) -> list[dict[str, Any]]:
    """Map a call-log CSV (common column names) to recorded calls; name the line of a bad row."""
    calls = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            transcript = _pick(row, "transcript")
            if not transcript:
                raise ConfigError(f"{path}:{line}", "no transcript column with text")
            turns, t = [], 0.0
            for part in re.split(r"\n| \| ", transcript):
                if not part.strip():
                    continue
                match = SPEAKER.match(part)
                who = "caller" if not match or match.group(1).lower() in (
                    "caller", "patient", "customer") else "staff"
                turns.append({"speaker": who, "text": SPEAKER.sub("", part).strip(), "t": t})
                t += 5.0
            try:
                started = datetime.fromisoformat(_pick(row, "started_at")).isoformat()
            except ValueError as exc:
                raise ConfigError(f"{path}:{line}", f"unreadable start time: {exc}") from exc
            truthy = ("1", "true", "yes", "y")
            calls.append({"call_id": _pick(row, "call_id") or f"{path.stem}-{line}",
                          "from": _pick(row, "from"), "started_at": started, "turns": turns,
                          "human": {"call_type": _pick(row, "call_type") or None,
                                    "escalated": _pick(row, "escalated").lower() in truthy,
                                    "escalation_reason": _pick(row, "escalation_reason") or None,
                                    "resolved": _pick(row, "resolved").lower() in truthy}})
    return calls


def to_scenario(call: dict[str, Any], tz: Any) -> dict[str, Any]:
    """A regression scenario from a shadowed call: the front desk's outcome is the expectation."""
    human = call["human"]
    expect: dict[str, Any] = {}
    if human.get("call_type"):
        expect["flow"] = human["call_type"]
    reason = human.get("escalation_reason")
    if reason in ALWAYS:
        expect["escalation"] = reason
    elif not human.get("escalated"):
        expect["no_escalation"] = True
    started = datetime.fromisoformat(str(call["started_at"])).astimezone(tz)
    return {"name": f"pilot call {call['call_id']}", "flow": human.get("call_type") or
            "out_of_scope", "caller_id": call["from"],
            "at": started.strftime("%Y-%m-%dT%H:%M"),
            "say": [t["text"] for t in call["transcript" if "transcript" in call else "turns"]
                    if t["speaker"] == "caller"], "expect": expect}


def write_scenarios(scenarios: list[dict[str, Any]], path: Path) -> Path:
    """Write scenarios as a scenario file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"version": "1", "scenarios": scenarios}, sort_keys=False,
                                   allow_unicode=True))
    return path
