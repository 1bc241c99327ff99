"""Compliance controls: audit log, encryption at rest, redaction, retention, consent, TCPA."""
