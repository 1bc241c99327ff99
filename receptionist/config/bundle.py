"""A practice's bundle: flow files at the top of `flows/`, its configuration in `flows/settings/`.

Flow files (one call type or sub-flow each) are what the rollout versions and promotes; the
settings files (practice profile, escalation matrix, compliance, KPIs, voice, conversation lines)
sit apart so neither is mistaken for the other. Both are stored together as one bundle version.
A bundle in the older flat layout (settings files next to the flows) still loads and restores.
"""

from __future__ import annotations

from pathlib import Path

SETTINGS_DIR = "settings"
SETTINGS_FILES = ("practice.yaml", "escalation.yaml", "compliance.yaml", "kpi.yaml",
                  "voice.yaml", "conversation.yaml")
DEFAULTS = Path(__file__).resolve().parent / "defaults"


def settings_file(flows_dir: Path, name: str) -> Path:
    """Where a settings file of the bundle is: `settings/NAME`, or NAME in a flat old bundle."""
    nested = flows_dir / SETTINGS_DIR / name
    flat = flows_dir / name
    return flat if not nested.exists() and flat.exists() else nested


def flow_files(flows_dir: Path) -> dict[str, Path]:
    """The bundle's flow files by name: the shipped defaults, overridden by the practice's own."""
    files = {p.name: p for p in sorted((DEFAULTS / "flows").glob("*.yaml"))}
    files.update({p.name: p for p in sorted(flows_dir.glob("*.yaml"))
                  if p.name not in SETTINGS_FILES})
    return files


def read_bundle(flows_dir: Path) -> dict[str, str]:
    """The practice's bundle as it is on disk: relative path -> text (defaults not included)."""
    paths = [*flows_dir.glob("*.yaml"), *(flows_dir / SETTINGS_DIR).glob("*.yaml")]
    return {p.relative_to(flows_dir).as_posix(): p.read_text() for p in sorted(paths)}


def write_bundle(flows_dir: Path, files: dict[str, str]) -> None:
    """Make the bundle on disk exactly `files` (a stored version, flat or nested layout)."""
    wanted = {_nested(name): text for name, text in files.items()}
    for name in read_bundle(flows_dir):
        if name not in wanted:
            (flows_dir / name).unlink()
    for name, text in wanted.items():
        path = flows_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _nested(name: str) -> str:
    """A stored name in today's layout: flat settings files move into `settings/`."""
    return f"{SETTINGS_DIR}/{name}" if name in SETTINGS_FILES else name
