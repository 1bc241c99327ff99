"""The one strict base model: every event, action, flow step and configuration record uses it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Frozen, and unknown fields are errors: a typo in YAML is reported, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
