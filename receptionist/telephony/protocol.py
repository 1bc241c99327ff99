"""Twilio's Media Streams messages, checked at the edge: a malformed one is named and dropped.

Every message the WebSocket delivers goes through `decode` before a session sees it, so no
fuzzed or broken frame (binary data, JSON that is not an object, bad base64, a non-numeric
sample rate, a `start` that is not an object) can raise inside a call.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

BODIES = ("start", "media", "mark", "dtmf", "stop")
MAX_MESSAGE_BYTES = 64 * 1024  # a media frame is ~250 bytes; Twilio never sends this much


def decode(raw: Any) -> tuple[dict[str, Any] | None, str]:
    """The message as a dict (and ""), or None and why it was refused."""
    if not isinstance(raw, str):
        return None, "binary frame"
    if len(raw) > MAX_MESSAGE_BYTES:
        return None, f"{len(raw)} bytes, over {MAX_MESSAGE_BYTES}"
    try:
        message = json.loads(raw)
    except ValueError:
        return None, "not JSON"
    if not isinstance(message, dict):
        return None, "JSON but not an object"
    event = message.get("event")
    if not isinstance(event, str):
        return None, "no event name"
    body = message.get(event)
    if event in BODIES and body is not None and not isinstance(body, dict):
        return None, f"'{event}' is not an object"
    why = _check(event, body or {})
    return (None, why) if why else (message, "")


def _check(event: str, body: dict[str, Any]) -> str:
    if event == "media":
        payload = body.get("payload", "")
        if not isinstance(payload, str) or not _base64(payload):
            return "media payload is not base64"
        if not isinstance(body.get("track", "inbound"), str):
            return "media track is not a name"
    if event == "start":
        fmt, params = body.get("mediaFormat") or {}, body.get("customParameters") or {}
        if not isinstance(fmt, dict) or not isinstance(params, dict):
            return "start's mediaFormat and customParameters must be objects"
        if not str(fmt.get("sampleRate", 8000)).isdigit():
            return "start's sampleRate is not a number"
        if not all(isinstance(body.get(k, ""), str) for k in ("streamSid", "callSid")):
            return "start's streamSid and callSid must be text"
    if event == "dtmf" and not isinstance(body.get("digit", ""), str):
        return "dtmf digit is not text"
    if event == "mark" and not isinstance(body.get("name", ""), str):
        return "mark name is not text"
    return ""


def _base64(payload: str) -> bool:
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
