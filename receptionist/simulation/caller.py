"""Play Twilio against the receptionist: signed webhooks, TwiML followed, one call per script.

In-process it drives the Flask app directly (signing with a token of its own); with a URL it
speaks HTTP to a running `receptionist serve`, signing with TWILIO_AUTH_TOKEN.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from twilio.request_validator import RequestValidator

from receptionist.config.settings import Settings

Transport = Callable[[str, str, dict[str, str], dict[str, str]], tuple[int, str]]


def signed_settings(settings: Settings | None = None, **changes: Any) -> tuple[Settings, str]:
    """Settings for an in-process receptionist that trusts a signing token of its own."""
    token = secrets.token_hex(16)
    return replace(settings or Settings.from_env(), twilio_auth_token=token,
                   public_base_url="", **changes), token
PRACTICE_NUMBER = "+14135550100"


def flask_transport(app: Any) -> Transport:
    """Send requests to a Flask app in this process."""
    client = app.test_client()

    def send(method: str, url: str, form: dict[str, str],
             headers: dict[str, str]) -> tuple[int, str]:
        path = url.split("://", 1)[1].split("/", 1)[1] if "://" in url else url.lstrip("/")
        response = client.open("/" + path, method=method, data=form or None, headers=headers,
                               base_url="http://localhost")
        return response.status_code, response.get_data(as_text=True)

    return send


def http_transport(timeout: float = 30) -> Transport:
    """Send requests over HTTP to a running server."""

    def send(method: str, url: str, form: dict[str, str],
             headers: dict[str, str]) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if method == "POST" else None
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - our server
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    return send


@dataclass
class CallResult:
    """One finished call as the caller saw it."""

    call_sid: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
    whisper: str | None = None
    details: list[dict[str, Any]] = field(default_factory=list)  # per turn: TwiML verbs, ms

    def as_json(self) -> dict[str, Any]:
        """The `receptionist call --json` object."""
        return {"call_sid": self.call_sid, "turns": self.turns, "outcome": self.outcome}


class Caller:
    """A simulated Twilio: posts signed webhooks and follows the TwiML it gets back."""

    def __init__(self, transport: Transport, token: str, base_url: str = "http://localhost",
                 dial_status: str = "completed") -> None:
        self.send, self.token, self.base = transport, token, base_url.rstrip("/")
        self.dial_status = dial_status

    def post(self, path: str, form: dict[str, str]) -> str:
        """POST a signed form and return the TwiML; a non-200 answer is an error."""
        url = self.base + path
        signature = RequestValidator(self.token).compute_signature(url, form)
        status, body = self.send("POST", url, form, {"X-Twilio-Signature": signature})
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:200]}")
        return body

    def outcome(self, sid: str) -> dict[str, Any]:
        """Ask the server for the call's recorded outcome."""
        url = f"{self.base}/twilio/outcome?CallSid={sid}"
        signature = RequestValidator(self.token).compute_signature(url, {})
        status, body = self.send("GET", url, {}, {"X-Twilio-Signature": signature})
        return json.loads(body) if status == 200 else {"status": f"unknown ({status})"}

    def call(self, lines: list[Any], caller: str = "+14135550142") -> CallResult:
        """Place one call and say each line in turn; hang up when the lines run out.

        A line may be a function returning the line: it runs just before it is said (a test's
        barrier, so many callers answer at the same moment).
        """
        sid = "CA" + uuid.uuid4().hex
        base = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                "To": PRACTICE_NUMBER, "Direction": "inbound"}
        result = CallResult(call_sid=sid)
        started = time.perf_counter()
        doc = self.post("/twilio/voice", base | {"CallStatus": "ringing"})
        result.turns.append({"caller": None, "receptionist": _spoken(doc)})
        result.details.append(_detail(doc, started))
        pending = list(lines)
        while True:
            root = ET.fromstring(doc)
            gather, dial, record = root.find("Gather"), root.find("Dial"), root.find("Record")
            if gather is not None and pending:
                line = pending.pop(0)
                line = line() if callable(line) else line  # a test may pause the caller here
                started = time.perf_counter()
                doc = self.post(gather.get("action", ""), base | _answer(line))
                result.turns.append({"caller": line, "receptionist": _spoken(doc)})
                result.details.append(_detail(doc, started))
            elif dial is not None:
                doc = self._dial(dial, base, result)
                if root.find("Dial") is not None and ET.fromstring(doc).find("Record") is None:
                    break
            elif record is not None and pending:
                line = pending.pop(0)
                doc = self.post(record.get("action", ""), base | {
                    "RecordingUrl": "https://api.twilio.com/recordings/RE" + uuid.uuid4().hex,
                    "RecordingDuration": str(max(1, len(line.split()) // 2))})
                result.turns.append({"caller": line, "receptionist": _spoken(doc)})
            else:
                break
        self.post("/twilio/status", base | {"CallStatus": "completed", "CallDuration": "60"})
        result.outcome = self.outcome(sid)
        return result

    def _dial(self, dial: ET.Element, base: dict[str, str], result: CallResult) -> str:
        number = dial.find("Number")
        if number is not None and number.get("url") and self.dial_status == "completed":
            result.whisper = _spoken(self.post(number.get("url", ""), base | {
                "CallSid": "CA" + uuid.uuid4().hex, "ParentCallSid": base["CallSid"]}))
        doc = self.post(dial.get("action", ""), base | {"DialCallStatus": self.dial_status})
        if _spoken(doc):
            result.turns.append({"caller": None, "receptionist": _spoken(doc)})
        return doc


def _detail(doc: str, started: float) -> dict[str, Any]:
    verbs = [el.tag.lower() for el in ET.fromstring(doc)]
    return {"verbs": verbs, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _answer(line: str) -> dict[str, str]:
    if line.upper().startswith("DTMF:"):
        return {"Digits": line[5:].strip()}
    if line.strip() in ("", "<silence>"):
        return {}
    return {"SpeechResult": line, "Confidence": "0.92"}


def _spoken(doc: str) -> str:
    root = ET.fromstring(doc)
    return " ".join((el.text or "").strip() for el in root.iter("Say")).strip()
