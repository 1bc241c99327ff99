"""Run scenarios in-process through the signed webhook path (or a Media Stream in audio mode)."""

from __future__ import annotations

import secrets
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from receptionist.app import build_nlu, create_app
from receptionist.config.settings import Settings
from receptionist.service.world import load_world
from receptionist.simulation.caller import Caller, flask_transport, signed_settings
from receptionist.simulation.scenarios import (
    DEFAULT_AT,
    Result,
    Scenario,
    check,
    check_turns,
    records,
)
from receptionist.simulation.scenarios_audio import run_one_audio
from receptionist.speech.config import build_speech


def run(items: list[tuple[Path, Scenario]], settings: Settings | None = None,
        nlu: Any = None, database_url: str = "sqlite://", jobs: int = 1,
        progress: Any = None, mode: str = "text", speech: Any = None) -> list[Result]:
    """Run scenarios in-process through the signed webhook path; one fresh database each.

    `mode="audio"`: through the Media Streams path with synthesised speech (scenarios_audio).
    """
    settings, token = signed_settings(settings, database_url=database_url, auto_migrate=True,
                                      seed_demo_data=True)
    nlu = nlu or build_nlu(settings, load_world(settings.flows_dir))
    runner = _run_one
    if mode == "audio":
        settings = replace(settings, speech_mode="local")
        speech = speech or build_speech(settings, load_world(settings.flows_dir,
                                                             settings.nlu_data_dir))
        runner = run_one_audio
        if database_url == "sqlite://":  # the stream's thread needs the same database
            folder = tempfile.mkdtemp(prefix="scenarios-")

    def one(item: tuple[Path, Scenario]) -> Result:
        clock = _Clock()  # each scenario gets a fresh app and database: no leaks between them
        own = settings
        if mode == "audio" and database_url == "sqlite://":
            own = replace(settings, database_url=f"sqlite:///{folder}/{secrets.token_hex(6)}.db")
        app = create_app(own, nlu=nlu, clock=clock, speech=speech)
        result = runner(app, clock, token, *item)
        app.extensions["receptionist"].engine.dispose()
        if progress:
            progress(result)
        return result

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        return list(pool.map(one, items))


def _run_one(app: Any, clock: _Clock, token: str, path: Path, scenario: Scenario) -> Result:
    rec = app.extensions["receptionist"]
    at = datetime.fromisoformat(scenario.at)
    clock.now = at if at.tzinfo else at.replace(tzinfo=rec.world.profile.tz)
    steps = scenario.steps()
    caller = Caller(flask_transport(app), token, dial_status=scenario.dial_status)
    call = caller.call([s.line() for s in steps], caller=scenario.caller_id)
    events, final = records(rec, call.call_sid)
    intents = [intent for _, intent in events]
    failures = check(scenario.expect, call.outcome, call.turns, final) + check_turns(
        steps, call, intents, scenario.expect.max_turn_ms)
    return Result(path, scenario, failures, call.outcome, call.turns,
                  [d["ms"] for d in call.details])


class _Clock:
    now = datetime.fromisoformat(DEFAULT_AT)

    def __call__(self) -> datetime:
        return self.now
