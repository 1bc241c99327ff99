"""An AI receptionist sandbox: Twilio webhooks, flows as data, an escalation matrix, local NLU."""

__version__ = "0.1.0"
