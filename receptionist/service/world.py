"""Load and check the practice's bundle into a World: profile, matrix, flows, conversation.

It lives in the service because a flow's `action` steps are checked against the executor's
registry of named actions.
"""

from __future__ import annotations

from pathlib import Path

from receptionist.config.bundle import settings_file
from receptionist.config.compliance import load_compliance
from receptionist.config.conversation import load_conversation
from receptionist.config.flows import load_flows
from receptionist.config.matrix import load_matrix
from receptionist.config.nlu_data import load_training_data
from receptionist.config.profile import load_profile
from receptionist.core.errors import ConfigError
from receptionist.core.world import CALLBACK_FLOW, World
from receptionist.service import executor


def load_world(flows_dir: Path, nlu_data_dir: Path | None = None) -> World:
    """Load everything a call is decided by; any problem stops start-up with file, flow, step."""
    profile = load_profile(settings_file(flows_dir, "practice.yaml"))
    matrix = load_matrix(settings_file(flows_dir, "escalation.yaml"), profile)
    intents = None
    if nlu_data_dir is not None and nlu_data_dir.exists():
        intents = load_training_data([nlu_data_dir]).intents
        for name, category in matrix.categories.items():
            missing = [i for i in category.intents if i not in intents]
            if missing:
                raise ConfigError(str(settings_file(flows_dir, "escalation.yaml")),
                                  f"category '{name}' uses intents {missing} that the NLU "
                                  "data does not have")
    flows = load_flows(flows_dir, actions=executor.names(), handoffs=matrix.categories,
                       intents=intents)
    if CALLBACK_FLOW not in flows.flows:
        raise ConfigError(str(flows_dir), f"the '{CALLBACK_FLOW}' sub-flow is missing; "
                                          "after-hours escalations need it")
    compliance = load_compliance(settings_file(flows_dir, "compliance.yaml"))
    return World(flows=flows, matrix=matrix, profile=profile,
                 conversation=load_conversation(flows_dir),
                 disclosure=compliance.recording_disclosure.strip(), compliance=compliance)
