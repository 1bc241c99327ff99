"""The stream blueprint: `/twilio/stream`, the Media Streams WebSocket (flask-sock).

Twilio signs the WebSocket handshake like a webhook (X-Twilio-Signature over the wss:// URL);
an unsigned or forged handshake is refused with 403 before the socket opens.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask_sock import Sock
from twilio.request_validator import RequestValidator

from receptionist.telephony.media import MediaSession
from receptionist.telephony.protocol import decode
from shadow_mode.live import ShadowSession

bp = Blueprint("stream", __name__, url_prefix="/twilio")
sock = Sock()
log = logging.getLogger("receptionist.stream")
RECEIVE_TIMEOUT = 60  # seconds without any message: Twilio is gone
MAX_EARLY_MESSAGES = 50  # held until `start` arrives (1 s of audio); older ones are dropped


def stream_url(rec: Any, host_url: str) -> str:
    """The wss:// URL Twilio connects to (PUBLIC_BASE_URL behind a proxy)."""
    base = rec.settings.public_base_url or host_url.rstrip("/")
    return base.replace("https://", "wss://", 1).replace("http://", "ws://", 1) + "/twilio/stream"


def check_handshake(rec: Any) -> None:
    """Refuse a handshake Twilio did not sign."""
    token = rec.settings.twilio_auth_token
    if not token:
        if rec.settings.allow_unsigned:
            return
        abort(Response("webhook signing is not configured: set TWILIO_AUTH_TOKEN", 403))
    url = stream_url(rec, request.host_url)
    if request.query_string:
        url += "?" + request.query_string.decode()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(url, {}, signature):
        log.warning("refused unsigned or forged stream handshake to %s", url)
        abort(Response("invalid or missing X-Twilio-Signature", 403))


@bp.before_request
def _signed() -> None:
    check_handshake(current_app.extensions["receptionist"])


@bp.before_request
def _uncompressed() -> None:
    """No permessage-deflate: without the client's offer in the handshake, none is negotiated.

    Base64 audio hardly compresses, and with 20 calls compressing and inflating every 20 ms
    frame took about a third of the server's CPU (py-spy, benchmarks/RESULTS.md).
    """
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@sock.route("/stream", bp=bp)
def stream(ws: Any) -> None:
    """Run one call's Media Stream until Twilio stops it or the receptionist hands over."""
    rec = current_app.extensions["receptionist"]
    if rec.speech is None:
        log.error("a Media Stream arrived but neither SPEECH_MODE=local nor SHADOW_MODE is on")
        return
    session: Any = None
    early: deque[dict[str, Any]] = deque(maxlen=MAX_EARLY_MESSAGES)
    try:
        while True:
            raw = ws.receive(timeout=RECEIVE_TIMEOUT)
            if raw is None:
                break
            message, why = decode(raw)
            if message is None:
                log.warning("stream: a malformed message was ignored (%s)", why)
                continue
            if session is None:
                early.append(message)  # before `start`: only the latest few are kept
                if message["event"] != "start":
                    continue
                session = _session(rec, message, ws.send)
                if not all(session.receive(m) for m in early):
                    break
            elif not session.receive(message):
                break
    finally:
        if session is not None:
            session.close()


def _session(rec: Any, start: dict[str, Any], send: Any) -> Any:
    """A forked call (<Start><Stream>, parameter mode=shadow) is shadowed; others are answered."""
    params = (start.get("start") or {}).get("customParameters") or {}
    if params.get("mode") == "shadow":
        return ShadowSession(rec, rec.speech)
    return MediaSession(rec, rec.speech, send)
