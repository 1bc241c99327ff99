"""Coverage a call type needs before it takes calls: enough NLU examples, and scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from receptionist.config.nlu_data import load_training_data
from receptionist.simulation.scenarios import load as load_scenarios


def coverage(world: Any, nlu_dir: Path, scenarios_dir: Path) -> list[str]:
    """Coverage problems: intents with too few examples, call types without scenarios."""
    problems = []
    counts = {k: len(v) for k, v in load_training_data([nlu_dir]).by_intent().items()}
    for flow in world.flows.call_types():
        for intent in flow.intents:
            if counts.get(intent, 0) < 20:
                problems.append(f"{flow.flow}: intent '{intent}' has {counts.get(intent, 0)} "
                                "examples (at least 20 needed)")
    covered = {s.flow for _, s in load_scenarios([scenarios_dir])} if scenarios_dir.exists() \
        else set()
    problems += [f"{flow.flow}: no scenario in {scenarios_dir}" for flow in
                 world.flows.call_types() if flow.flow not in covered]
    return problems
