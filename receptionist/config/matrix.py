"""Load the escalation matrix and refuse any configuration that weakens it."""

from __future__ import annotations

from pathlib import Path

from receptionist.config.files import read_model
from receptionist.core import errors as E
from receptionist.core.escalation import ALWAYS, MESSAGE, EscalationMatrix
from receptionist.core.profile import PracticeProfile


def load_matrix(path: Path, profile: PracticeProfile) -> EscalationMatrix:
    """Load the escalation matrix and refuse any configuration that weakens it."""
    matrix = read_model(path, EscalationMatrix, E.EscalationConfigError)
    for name in ALWAYS:
        cat = matrix.categories.get(name)
        if cat is None:
            raise E.AlwaysEscalateDisabled(str(path), f"always-escalate category '{name}' is "
                                                      "missing; it cannot be removed")
        if not cat.enabled:
            raise E.AlwaysEscalateDisabled(str(path), f"always-escalate category '{name}' "
                                                      "cannot be disabled")
        if not (cat.intents or cat.patterns):
            raise E.AlwaysEscalateDisabled(str(path), f"'{name}' has neither intents nor "
                                                      "patterns, so it could never fire")
    for name, cat in matrix.categories.items():
        for target in (cat.route.in_hours, cat.route.after_hours):
            if target != MESSAGE and target not in profile.targets:
                raise E.UnknownTarget(str(path), f"category '{name}' routes to '{target}', which "
                                                 f"the practice profile does not define "
                                                 f"(targets: {', '.join(profile.targets)})")
        if name in ALWAYS and MESSAGE in (cat.route.in_hours, cat.route.after_hours):
            raise E.AlwaysEscalateDisabled(str(path), f"'{name}' must reach a person, not a "
                                                      "message")
    return matrix
