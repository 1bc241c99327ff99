"""One exception hierarchy for the receptionist, translated at each boundary."""

from __future__ import annotations


class ReceptionistError(Exception):
    """Base of every error the receptionist raises on purpose."""


class ConfigError(ReceptionistError):
    """A configuration file (flows, escalation matrix, practice profile) cannot be used."""

    def __init__(self, file: str, message: str, *, flow: str | None = None,
                 step: str | None = None, line: int | None = None) -> None:
        self.file, self.flow, self.step, self.line, self.message = file, flow, step, line, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        parts = [where]
        if self.flow:
            parts.append(f"flow '{self.flow}'")
        if self.step:
            parts.append(f"step '{self.step}'")
        return ", ".join(parts) + f": {self.message}"


class FlowSchemaError(ConfigError):
    """A flow file does not match the flow schema."""


class UnknownStepTarget(ConfigError):
    """A step names a next step that does not exist in its flow."""


class UnreachableStep(ConfigError):
    """A step can never be reached from the flow's first step."""


class NoPathToEnd(ConfigError):
    """A step cannot reach an end, a handoff or a return."""


class UnknownAction(ConfigError):
    """A step names an action that is not in the action registry."""


class UnknownFlow(ConfigError):
    """A step calls a flow that does not exist."""


class DuplicateStep(ConfigError):
    """Two steps of one flow share an id, or two flows share a name or an intent."""


class UnknownTemplateName(ConfigError):
    """A prompt uses a {placeholder} that no slot, action result or built-in provides."""


class UnknownIntent(ConfigError):
    """A flow or the escalation matrix names an intent the NLU training data does not have."""


class EscalationConfigError(ConfigError):
    """The escalation matrix is invalid."""


class AlwaysEscalateDisabled(EscalationConfigError):
    """The configuration tries to disable or remove an always-escalate category."""


class UnknownTarget(ConfigError):
    """A route names a handoff target that the practice profile does not define."""


class NluModelMissing(ReceptionistError):
    """The embedded NLU model has not been trained yet."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"no trained NLU model at {path}: run 'receptionist nlu train' first"
        )


class MalformedWebhook(ReceptionistError):
    """A webhook request lacks a field Twilio always sends, or has one in the wrong form."""


class IntegrationError(ReceptionistError):
    """A CRM, scheduling or ticketing call failed."""
