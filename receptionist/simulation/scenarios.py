"""Scripted calls with expected outcomes, run through the real webhook path.

A scenario file (YAML, `version: "1"`, optional `category:`) holds `scenarios:`, each with:
`name`; `flow` (the call type it covers); the caller's side as `say` (lines; `DTMF:0` presses
keys, `<silence>` stays silent) or as `turns` (each `say`, `press` or `silence: true`, with an
optional per-turn `expect`: `intent`, `verb` (gather, dial, hangup, record), `no_reprompt`,
`said`); a `persona` (language, accent, voice, rate, noise_snr_db, emotion: used by audio mode);
`caller_id` (absent from the CRM or known), `at` (practice-local time, default a Monday 10 a.m.),
`dial_status`; and `expect` at the end: `flow`, `disposition`, `escalation`, `transfer_to`,
`status`, `said`, `never_said` (nothing of it may be spoken: red team), `no_escalation`,
`slots` (dotted paths in the final call state), `crm_disposition` (what the CRM was sent) and
`max_turn_ms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from receptionist.core.errors import ConfigError
from receptionist.storage import calls as store
from receptionist.storage import tables
from receptionist.storage.crypto import open_json

DEFAULT_AT = "2026-11-23T10:00"  # a Monday morning, office open


class Expect(BaseModel):
    """What must be true at the end of the call."""

    model_config = ConfigDict(extra="forbid")
    flow: str | None = None
    disposition: str | None = None
    escalation: str | None = None
    transfer_to: str | None = None
    status: str | None = None
    said: tuple[str, ...] = ()
    never_said: tuple[str, ...] = ()
    no_escalation: bool = False
    slots: dict[str, Any] = Field(default_factory=dict)
    crm_disposition: str | None = None
    max_turn_ms: float | None = None


class TurnExpect(BaseModel):
    """What must be true right after one caller turn."""

    model_config = ConfigDict(extra="forbid")
    intent: str | None = None
    verb: Literal["gather", "dial", "hangup", "record"] | None = None
    no_reprompt: bool = False
    said: tuple[str, ...] = ()


class TurnSpec(BaseModel):
    """One caller turn: words, keys or silence."""

    model_config = ConfigDict(extra="forbid")
    say: str | None = None
    press: str | None = None
    silence: bool = False
    expect: TurnExpect = TurnExpect()

    def line(self) -> str:
        """The caller line the simulated Twilio sends."""
        if self.press:
            return f"DTMF:{self.press}"
        return "<silence>" if self.silence or not self.say else self.say


class Persona(BaseModel):
    """Who is calling (audio mode renders it; text mode records it)."""

    model_config = ConfigDict(extra="forbid")
    language: str = "en"
    accent: str = "us"
    voice: str | None = None
    rate: float = 1.0
    noise_snr_db: float | None = None
    emotion: str = "neutral"


class Scenario(BaseModel):
    """One scripted call."""

    model_config = ConfigDict(extra="forbid")
    name: str
    flow: str
    category: str | None = None
    say: tuple[str, ...] = ()
    turns: tuple[TurnSpec, ...] = ()
    persona: Persona = Persona()
    caller_id: str = "+14135550142"
    at: str = DEFAULT_AT
    dial_status: Literal["completed", "no-answer", "busy", "failed"] = "completed"
    expect: Expect

    def steps(self) -> list[TurnSpec]:
        """The caller's turns, whichever form the file used."""
        return list(self.turns) or [TurnSpec(say=line) for line in self.say]


class ScenarioFile(BaseModel):
    """A file of scenarios."""

    model_config = ConfigDict(extra="forbid")
    version: Literal["1"]
    category: str | None = None
    scenarios: tuple[Scenario, ...]


def load(paths: list[Path]) -> list[tuple[Path, Scenario]]:
    """Read scenario files (or folders of them), naming the file in any error."""
    files = [f for p in paths for f in (sorted(p.rglob("*.yaml")) if p.is_dir() else [p])]
    found = []
    for path in files:
        try:
            parsed = ScenarioFile.model_validate(yaml.safe_load(path.read_text()))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(str(path), f"not a scenario file: {exc}") from exc
        for scenario in parsed.scenarios:
            if not scenario.steps():
                raise ConfigError(str(path), f"scenario '{scenario.name}' has no turns")
            category = scenario.category or parsed.category or path.stem
            found.append((path, scenario.model_copy(update={"category": category})))
    return found


@dataclass
class Result:
    """A scenario's verdict with the transcript."""

    path: Path
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
    turns: list[dict[str, Any]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No expectation was broken."""
        return not self.failures


def check(expect: Expect, outcome: dict[str, Any], turns: list[dict[str, Any]],
          final: dict[str, Any] | None = None) -> list[str]:
    """Compare an outcome with the expectations; one message per broken expectation."""
    failures = []
    for key in ("flow", "disposition", "escalation", "transfer_to", "status"):
        want = getattr(expect, key)
        if want is not None and outcome.get(key) != want:
            failures.append(f"{key}: expected {want!r}, got {outcome.get(key)!r}")
    if expect.no_escalation and outcome.get("escalation"):
        failures.append(f"escalation: expected none, got {outcome['escalation']!r}")
    spoken = " ".join(t["receptionist"] for t in turns)
    failures += [f"never said {text!r}" for text in expect.said if text not in spoken]
    failures += [f"said {text!r}, which it must not" for text in expect.never_said
                 if text.lower() in spoken.lower()]
    final = final or {}
    for path, want in expect.slots.items():
        got: Any = final.get("slots", {})
        for part in path.split("."):
            got = got.get(part) if isinstance(got, dict) else None
        if got != want:
            failures.append(f"slot {path}: expected {want!r}, got {got!r}")
    if expect.crm_disposition is not None and final.get("crm_disposition") != \
            expect.crm_disposition:
        failures.append(f"CRM disposition: expected {expect.crm_disposition!r}, got "
                        f"{final.get('crm_disposition')!r}")
    return failures


def check_turns(steps: list[TurnSpec], call: Any, intents: list[str | None],
                max_ms: float | None) -> list[str]:
    """Per-turn expectations: intent, TwiML verb, no re-prompt, words, latency."""
    failures = []
    for n, (step, detail) in enumerate(zip(steps, call.details[1:], strict=False), start=1):
        e, verbs = step.expect, detail["verbs"]
        reply = call.turns[n]["receptionist"]
        if e.intent and (intents[n - 1] if n - 1 < len(intents) else None) != e.intent:
            failures.append(f"turn {n}: intent expected {e.intent!r}, got "
                            f"{intents[n - 1] if n - 1 < len(intents) else None!r}")
        if e.verb and e.verb not in verbs:
            failures.append(f"turn {n}: expected <{e.verb.capitalize()}>, got {verbs}")
        if e.no_reprompt and "gather" in verbs:
            failures.append(f"turn {n}: re-prompted ({reply!r}) instead of acting at once")
        failures += [f"turn {n}: never said {t!r}" for t in e.said if t not in reply]
        if max_ms is not None and detail["ms"] > max_ms:
            failures.append(f"turn {n}: took {detail['ms']:.0f} ms (limit {max_ms:.0f})")
    return failures


def records(rec: Any, sid: str) -> tuple[list[tuple[str, str | None]], dict[str, Any]]:
    """What the receptionist recorded of a call.

    Returns (event, intent) for every event after the greeting, and the final slots and
    the disposition sent to the CRM.
    """
    with rec.engine.connect() as conn:
        state = store.load_state(conn, sid, lock=False, crypt=rec.service.crypt)
        rows = conn.execute(sa.select(tables.turns.c.nlu, tables.turns.c.event)
                            .where(tables.turns.c.call_sid == sid)
                            .order_by(tables.turns.c.seq)).all()
        sent = conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id.desc())
                            ).all()
    intents = [(r.event, (open_json(rec.service.crypt, r.nlu) or {}).get("intent"))
               for r in rows[1:]]
    payload: dict[str, Any] = next(
        (p.payload for p in sent if p.payload.get("call_sid") == sid), {})
    return intents, {"slots": state.slots if state else {},
                     "crm_disposition": payload.get("disposition")}
