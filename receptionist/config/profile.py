"""Load and validate the practice profile (`practice.yaml`)."""

from __future__ import annotations

from pathlib import Path

from receptionist.config.files import read_model
from receptionist.core.profile import PracticeProfile


def load_profile(path: Path) -> PracticeProfile:
    """Load and validate the practice profile, naming the file in any error."""
    return read_model(path, PracticeProfile)
