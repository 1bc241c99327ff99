"""Read one YAML file into a strict model: the file and the first problem named, or the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from receptionist.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, error: type[ConfigError] = ConfigError) -> Any:
    """Parse a YAML file; an unreadable file or bad YAML is a ConfigError naming it."""
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise error(str(path), f"cannot read: {exc}") from exc


def read_model(path: Path, model: type[M], error: type[ConfigError] = ConfigError,
               raw: Any = None) -> M:
    """Validate a YAML file (or its already parsed `raw` content) against `model`."""
    data = read_yaml(path, error) if raw is None else raw
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        raise error(str(path), readable(exc)) from exc


def readable(exc: ValidationError) -> str:
    """Every problem pydantic found, as `where: what`, joined into one line."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
        for err in exc.errors()
    )
