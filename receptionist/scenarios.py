"""Scripted calls with expected outcomes, run through the real webhook path.

A scenario file (YAML, `version: "1"`) holds `scenarios:`, each with `name`, `flow` (the call
type it covers), `say` (caller lines; `DTMF:0`, `<silence>`), optional `caller_id`, `at`
(practice-local time, default a Monday 10 a.m.), `dial_status`, and `expect`: any of `flow`,
`disposition`, `escalation`, `transfer_to`, `status`, `said` (text the receptionist must say).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from receptionist.config import Settings
from receptionist.errors import ConfigError

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
    no_escalation: bool = False


class Scenario(BaseModel):
    """One scripted call."""

    model_config = ConfigDict(extra="forbid")
    name: str
    flow: str
    say: tuple[str, ...] = Field(min_length=1)
    caller_id: str = "+14135550142"
    at: str = DEFAULT_AT
    dial_status: Literal["completed", "no-answer", "busy", "failed"] = "completed"
    expect: Expect


class ScenarioFile(BaseModel):
    """A file of scenarios."""

    model_config = ConfigDict(extra="forbid")
    version: Literal["1"]
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
        found += [(path, s) for s in parsed.scenarios]
    return found


@dataclass
class Result:
    """A scenario's verdict with the transcript."""

    path: Path
    scenario: Scenario
    failures: list[str] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
    turns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """No expectation was broken."""
        return not self.failures


def check(expect: Expect, outcome: dict[str, Any], turns: list[dict[str, Any]]) -> list[str]:
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
    return failures


def run(items: list[tuple[Path, Scenario]], settings: Settings | None = None,
        nlu: Any = None, database_url: str = "sqlite://") -> list[Result]:
    """Run scenarios in-process against one fresh database; return their results."""
    from receptionist.app import create_app
    from receptionist.caller import Caller, flask_transport

    token = secrets.token_hex(16)
    settings = replace(settings or Settings.from_env(), twilio_auth_token=token,
                       public_base_url="", database_url=database_url)
    clock = _Clock()
    app = create_app(settings, nlu=nlu, clock=clock)
    tz = app.extensions["receptionist"].world.profile.tz
    results = []
    for path, scenario in items:
        at = datetime.fromisoformat(scenario.at)
        clock.now = at if at.tzinfo else at.replace(tzinfo=tz)
        caller = Caller(flask_transport(app), token, dial_status=scenario.dial_status)
        call = caller.call(list(scenario.say), caller=scenario.caller_id)
        results.append(Result(path, scenario, check(scenario.expect, call.outcome, call.turns),
                              call.outcome, call.turns))
    return results


class _Clock:
    now = datetime.fromisoformat(DEFAULT_AT)

    def __call__(self) -> datetime:
        return self.now
