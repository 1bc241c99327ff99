"""Load and check the practice's configuration: profile, escalation matrix, flows."""

from __future__ import annotations

from pathlib import Path

from receptionist import executor
from receptionist.compliance.settings import load_compliance
from receptionist.engine import CALLBACK_FLOW, World
from receptionist.errors import ConfigError
from receptionist.escalation import load_matrix
from receptionist.flow_loader import load_flows
from receptionist.nlu.data import load_training_data
from receptionist.profile import load_profile


def load_world(flows_dir: Path, nlu_data_dir: Path | None = None) -> World:
    """Load everything a call is decided by; any problem stops start-up with file, flow, step."""
    profile = load_profile(flows_dir / "practice.yaml")
    matrix = load_matrix(flows_dir / "escalation.yaml", profile)
    intents = None
    if nlu_data_dir is not None and nlu_data_dir.exists():
        intents = load_training_data([nlu_data_dir]).intents
        for name, category in matrix.categories.items():
            missing = [i for i in category.intents if i not in intents]
            if missing:
                raise ConfigError(str(flows_dir / "escalation.yaml"),
                                  f"category '{name}' uses intents {missing} that the NLU "
                                  "data does not have")
    flows = load_flows(flows_dir, actions=executor.names(), handoffs=matrix.categories,
                       intents=intents)
    if CALLBACK_FLOW not in flows.flows:
        raise ConfigError(str(flows_dir), f"the '{CALLBACK_FLOW}' sub-flow is missing; "
                                          "after-hours escalations need it")
    compliance = load_compliance(flows_dir / "compliance.yaml")
    return World(flows=flows, matrix=matrix, profile=profile,
                 disclosure=compliance.recording_disclosure.strip(), compliance=compliance)
