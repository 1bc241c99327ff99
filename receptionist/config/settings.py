"""Settings from the environment (DESIGN.md's contract), with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured by. `Settings.from_env()` reads the environment."""

    database_url: str = f"sqlite:///{ROOT / 'instance' / 'receptionist.sqlite3'}"
    twilio_auth_token: str = ""
    public_base_url: str = ""
    allow_unsigned: bool = False
    nlu_engine: str = "minilm"  # chosen by `nlu evaluate` on held-out data (README)
    rasa_url: str = "http://127.0.0.1:5005"
    speech_mode: str = "twilio"
    vosk_model_path: str = ""
    asr_engine: str = ""  # vosk | pocketsphinx; empty: flows/voice.yaml decides
    shadow_mode: str = ""  # "all", or the practice numbers (comma-separated) to shadow
    shadow_pilot: str = "live"
    flows_dir: Path = ROOT / "flows"
    nlu_data_dir: Path = ROOT / "nlu_data"
    nlu_model_dir: Path = ROOT / "models" / "nlu" / "spacy"
    rasa_model_dir: Path = ROOT / "models" / "nlu" / "rasa"
    semantic_model_dir: Path = ROOT / "models" / "nlu" / "minilm"  # the engine and safety net
    rasa_timeout: float = 0.5
    scenarios_dir: Path = ROOT / "scenarios"
    seed_demo_data: bool = False  # demo patients only when asked (tests, scenarios)
    auto_migrate: bool = False  # workers never migrate; ephemeral databases (tests) may
    max_streams: int = 0  # local speech: calls served at once per process (0: no limit)
    record_calls: bool = True  # both sides, sealed with the data key, unless the caller refuses
    twilio_account_sid: str = ""  # with the auth token: fetch Twilio's recordings (webhook mode)
    twilio_api_base: str = "https://api.twilio.com"  # recordings are fetched only from here
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read DATABASE_URL, TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL, NLU_ENGINE and the rest."""
        base = cls()
        values: dict[str, Any] = {
            "database_url": _env("DATABASE_URL", base.database_url),
            "twilio_auth_token": _env("TWILIO_AUTH_TOKEN"),
            "public_base_url": _env("PUBLIC_BASE_URL").rstrip("/"),
            "allow_unsigned": _env("RECEPTIONIST_ALLOW_UNSIGNED_WEBHOOKS") == "1",
            "nlu_engine": _env("NLU_ENGINE", base.nlu_engine),
            "rasa_url": _env("RASA_URL", base.rasa_url),
            "speech_mode": _env("SPEECH_MODE", "twilio"),
            "vosk_model_path": _env("VOSK_MODEL_PATH"),
            "asr_engine": _env("ASR_ENGINE"),
            "shadow_mode": _env("SHADOW_MODE"),
            "shadow_pilot": _env("SHADOW_PILOT", "live"),
            "flows_dir": Path(_env("FLOWS_DIR", str(base.flows_dir))),
            "nlu_data_dir": Path(_env("NLU_DATA_DIR", str(base.nlu_data_dir))),
            "nlu_model_dir": Path(_env("NLU_MODEL_DIR", str(base.nlu_model_dir))),
            "rasa_model_dir": Path(_env("RASA_MODEL_DIR", str(base.rasa_model_dir))),
            "semantic_model_dir": Path(_env("SEMANTIC_MODEL_DIR",
                                            str(base.semantic_model_dir))),
            "rasa_timeout": float(_env("RASA_TIMEOUT", str(base.rasa_timeout))),
            "scenarios_dir": Path(_env("SCENARIOS_DIR", str(base.scenarios_dir))),
            "seed_demo_data": _env("SEED_DEMO_DATA") == "1",
            "auto_migrate": _env("RECEPTIONIST_AUTO_MIGRATE") == "1",
            "record_calls": _env("RECORD_CALLS", "1") != "0",
            "max_streams": int(_env("MAX_STREAMS", "0") or 0),
            "twilio_account_sid": _env("TWILIO_ACCOUNT_SID"),
            "twilio_api_base": _env("TWILIO_API_BASE", base.twilio_api_base).rstrip("/"),
        }
        return replace(cls(**values), **overrides)
