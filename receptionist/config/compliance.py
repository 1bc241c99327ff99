"""`flows/compliance.yaml`: the compliance settings the controls read, validated at start-up."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from receptionist.config.files import read_model
from receptionist.core.model import Strict


class Baa(Strict):
    """The Business Associate Agreement on record."""

    signed: bool = False
    counterparty: str | None = None
    signed_on: date | None = None


class Retention(Strict):
    """How long things are kept."""

    transcripts_days: int = Field(default=365, ge=1)
    recordings_days: int = Field(default=90, ge=1)
    audit_years: int = Field(default=6, ge=6)


class VoiceBiometrics(Strict):
    """Voice biometrics stay off unless an explicit consent step is configured."""

    enabled: bool = False
    consent_step: str | None = None

    @model_validator(mode="after")
    def _needs_consent(self) -> VoiceBiometrics:
        if self.enabled and not self.consent_step:
            raise ValueError("voice biometrics cannot be enabled without an explicit consent "
                             "step (BIPA, CUBI and Washington's biometric law)")
        return self


class Window(Strict):
    """A calling window in the callee's local time."""

    start: time = time(8, 0)
    end: time = time(21, 0)


class Tcpa(Strict):
    """Rules for outbound callbacks."""

    window: Window = Window()
    state_overlays: dict[str, Window] = Field(default_factory=dict)


class ComplianceSettings(Strict):
    """Everything in compliance.yaml."""

    version: Literal["1"] = "1"
    vertical: str = "dental"
    baa_required: bool = True
    baa: Baa = Baa()
    recording_disclosure: str = ""
    # Live shadow mode records the front desk's call only when the practice's own line tells
    # callers that calls may be recorded (its phone system or greeting): set this when it does.
    recording_notice_on_line: bool = False
    two_party_consent_states: tuple[str, ...] = ()
    retention: Retention = Retention()
    encryption_at_rest: Literal["aes-256-gcm"] = "aes-256-gcm"
    voice_biometrics: VoiceBiometrics = VoiceBiometrics()
    tcpa: Tcpa = Tcpa()


def load_compliance(path: Path) -> ComplianceSettings:
    """Load compliance.yaml (defaults when absent); refuse settings that break a control."""
    return read_model(path, ComplianceSettings) if path.exists() else ComplianceSettings()
