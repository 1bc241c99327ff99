"""The receptionist's own lines: the shipped defaults, with the practice's overrides on top."""

from __future__ import annotations

from pathlib import Path

from receptionist.config.bundle import DEFAULTS, settings_file
from receptionist.config.files import read_model, read_yaml
from receptionist.core.conversation import Conversation


def load_conversation(flows_dir: Path) -> Conversation:
    """Defaults from `config/defaults/conversation.yaml`, overridden key by key by the practice."""
    defaults = read_yaml(DEFAULTS / "conversation.yaml") or {}
    path = settings_file(flows_dir, "conversation.yaml")
    overrides = (read_yaml(path) or {}) if path.exists() else {}
    return read_model(path, Conversation, raw={**defaults, **overrides})
