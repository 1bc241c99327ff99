"""Rasa Open Source 3.6 in an environment of its own (Python 3.10), cached outside the checkout.

Rasa 3.6 pins old pydantic, spaCy, twilio and TensorFlow, so it never shares the service's
environment. `ensure_env()` creates it once; later runs find it and return at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from receptionist.core.errors import ReceptionistError

RASA_VERSION = "3.6.21"


class RasaUnavailable(ReceptionistError):
    """Rasa cannot be installed or run here; the embedded engine stays in use."""


def env_dir() -> Path:
    """Where the Rasa environment lives (RASA_ENV_DIR, default ~/.cache/receptionist)."""
    default = Path.home() / ".cache" / "receptionist" / f"rasa-{RASA_VERSION}"
    return Path(os.environ.get("RASA_ENV_DIR", str(default)))


def find_python310() -> str | None:
    """A Python 3.10 interpreter: PYTHON310, python3.10 on PATH, or pyenv's."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [os.environ.get("PYTHON310", "")]
    candidates += sorted((str(p / "bin" / "python3.10") for p in pyenv.glob("3.10*")),
                         reverse=True)
    candidates.append(shutil.which("python3.10") or "")  # may be a shim that cannot run
    for candidate in filter(None, candidates):
        if Path(candidate).exists() and _runs_310(candidate):
            return candidate
    return None


def _runs_310(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == "(3, 10)"


def rasa_bin() -> Path:
    """The `rasa` executable inside the environment."""
    return env_dir() / "bin" / "rasa"


def ensure_env(log=print) -> Path:
    """Create the Rasa environment if it is missing; return the `rasa` executable."""
    if rasa_bin().exists():
        return rasa_bin()
    python = find_python310()
    if python is None:
        raise RasaUnavailable("Rasa 3.6 needs Python 3.10 and none was found (set PYTHON310, "
                              "or install it with pyenv); the embedded spaCy engine stays in use")
    target = env_dir()
    log(f"creating the Rasa {RASA_VERSION} environment in {target} (about 2.7 GB, once)")
    subprocess.run([python, "-m", "venv", str(target)], check=True)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    done = subprocess.run(pip + [f"rasa=={RASA_VERSION}"])
    if done.returncode != 0 or not rasa_bin().exists():
        shutil.rmtree(target, ignore_errors=True)
        raise RasaUnavailable(f"installing rasa=={RASA_VERSION} failed (exit {done.returncode})")
    return rasa_bin()


def train(nlu_file: Path, config: Path, out_dir: Path, log=print) -> Path:
    """Train a Rasa NLU model from our data; return the model archive."""
    rasa = ensure_env(log)
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(rasa), "train", "nlu", "--config", str(config), "--nlu", str(nlu_file),
           "--out", str(out_dir), "--fixed-model-name", "nlu"]
    done = subprocess.run(cmd, cwd=out_dir, stdout=sys.stderr, stderr=sys.stderr,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if done.returncode != 0:
        raise RasaUnavailable(f"rasa train nlu failed (exit {done.returncode})")
    return out_dir / "nlu.tar.gz"


def serve_command(model: Path, port: int) -> list[str]:
    """The command that serves a trained model over HTTP with the parse API enabled."""
    return [str(rasa_bin()), "run", "--enable-api", "--model", str(model), "--port", str(port),
            "--interface", "127.0.0.1"]
