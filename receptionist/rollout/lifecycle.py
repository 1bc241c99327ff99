"""Moving a call type through its stages, behind the gates a disciplined rollout needs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from receptionist.rollout import brand, readiness
from receptionist.rollout import stages as rollout
from receptionist.rollout.stages import MIN_DAYS_BETWEEN_LIVE, NEXT_STAGE, RolloutRefused


def promote(conn: Connection, world: Any, flows_dir: Path, flow: str, by: str,
            to: str | None = None, now: datetime | None = None) -> str:
    """Move a call type to its next stage (or `to`); refuse going live while a gate is red."""
    now = now or datetime.now(UTC)
    current = current_stages(conn, world)
    if flow not in current:
        raise RolloutRefused(f"no call type '{flow}' (call types: {', '.join(sorted(current))})")
    target = to or NEXT_STAGE.get(current[flow])
    if target is None:
        raise RolloutRefused(f"'{flow}' is {current[flow]}; say --to which stage it goes to")
    if target == current[flow]:
        raise RolloutRefused(f"'{flow}' is already {target}")
    if target == "live":
        _check_go_live(conn, world, flows_dir, flow, current, now)
    rollout.set_stage(conn, flow, target, by, reason=f"from {current[flow]}", at=now)
    rollout.snapshot(conn, flows_dir, by, note=f"{flow} -> {target}")
    return target


def _check_go_live(conn: Connection, world: Any, flows_dir: Path, flow: str,
                   current: dict[str, str], now: datetime) -> None:
    reasons = [f"readiness: {i.name} is red ({i.reason})"
               for i in readiness.evaluate(conn, world, flows_dir) if not i.green]
    reasons += brand.gate(conn)
    last = rollout.last_live_promotion(conn, other_than=flow)
    if last is not None and now - last < timedelta(days=MIN_DAYS_BETWEEN_LIVE):
        ready_on = (last + timedelta(days=MIN_DAYS_BETWEEN_LIVE)).date()
        reasons.append(f"the last call type went live on {last.date()}; new call types go live "
                       f"{MIN_DAYS_BETWEEN_LIVE} days apart (not before {ready_on})")
    live = {name for name, stage in current.items() if stage == "live" and name != flow}
    reasons += [f"live call types regressed: {r}"
                for r in rollout.regression(conn, live, now)] if live else []
    if reasons:
        raise RolloutRefused(f"'{flow}' cannot go live: " + "; ".join(reasons))


def current_stages(conn: Connection, world: Any) -> dict[str, str]:
    """Each call type's stage now."""
    return rollout.stages(conn, {f.flow: f.stage for f in world.flows.call_types()})


def scaffold(name: str, flows_dir: Path, nlu_dir: Path, scenarios_dir: Path) -> list[Path]:
    """Write a new call type's flow (stage shadow), NLU examples and a scenario to fill in."""
    flow_file = flows_dir / f"{name}.yaml"
    if flow_file.exists():
        raise RolloutRefused(f"{flow_file} already exists")
    words = name.replace("_", " ")
    flow_file.write_text(f'''version: "1"
flow: {name}
description: TODO describe the {words} call type.
intents: [{name}]
stage: shadow
steps:
  - id: ask_details
    collect: details
    type: text
    prompt: "Sure, I can help with {words}. What do you need?"
    next: save
  - id: save
    action: create_ticket
    args: {{kind: message, message: "{{details}}", callback_number: "{{caller}}"}}
    save_as: ticket
    next: done
  - id: done
    end: {name}_handled
    say: "Thank you. Our team will follow up on your {words} request."
''')
    nlu_file = nlu_dir / f"{name}.yml"
    nlu_file.write_text(f'''version: "3.1"
nlu:
# TODO: at least 20 varied examples, as callers really say them
- intent: {name}
  examples: |
    - I'm calling about {words}
    - I have a question about {words}
    - can you help me with {words}
''')
    scenario_file = scenarios_dir / f"{name}.yaml"
    scenarios_dir.mkdir(parents=True, exist_ok=True)
    scenario_file.write_text(f'''version: "1"
scenarios:
  - name: {words} (TODO make it realistic)
    flow: {name}
    say: ["I'm calling about {words}", "here are the details", "no"]
    expect: {{flow: {name}, disposition: {name}_handled}}
''')
    return [flow_file, nlu_file, scenario_file]
