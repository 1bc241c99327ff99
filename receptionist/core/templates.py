"""Prompt templates: `{slot}` and `{slot.field}` filled from the call's slots and built-ins."""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)((?:\.[a-z_][a-z0-9_]*)*)\}")
# names the engine provides: practice profile, caller ID, the intent that started the flow,
# and why a callback was opened
BUILTINS = frozenset({"practice", "caller", "start_intent", "callback_reason"})


def names(template: str) -> set[str]:
    """Return the root names a template uses."""
    return {m.group(1) for m in PLACEHOLDER.finditer(template)}


def render(template: str, context: dict[str, Any]) -> str:
    """Fill a template; a missing value renders as an empty string, never as a crash."""

    def fill(match: re.Match[str]) -> str:
        return _spoken(lookup(context, match.group(1), match.group(2)))

    text = " ".join(PLACEHOLDER.sub(fill, template).split())
    return text.replace("..", ".").replace(".?", "?")


def lookup(context: dict[str, Any], name: str, path: str = "") -> Any:
    """Resolve `name.field.field` in the context; None where anything is missing."""
    value: Any = context.get(name)
    for part in filter(None, path.split(".")):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value


def _spoken(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, dict) and "label" in value:
        return str(value["label"])
    return str(value)
