"""The stream blueprint: `/twilio/stream`, the Media Streams WebSocket (flask-sock).

Twilio signs the WebSocket handshake like a webhook (X-Twilio-Signature over the wss:// URL);
an unsigned or forged handshake is refused with 403 before the socket opens.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask_sock import Sock
from twilio.request_validator import RequestValidator

from receptionist.telephony.media import MediaSession

bp = Blueprint("stream", __name__, url_prefix="/twilio")
sock = Sock()
log = logging.getLogger("receptionist.stream")
RECEIVE_TIMEOUT = 60  # seconds without any message: Twilio is gone


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


@sock.route("/stream", bp=bp)
def stream(ws: Any) -> None:
    """Run one call's Media Stream until Twilio stops it or the receptionist hands over."""
    rec = current_app.extensions["receptionist"]
    if rec.speech is None:
        log.error("a Media Stream arrived but SPEECH_MODE is not local; closing")
        return
    session = MediaSession(rec, rec.speech, ws.send)
    try:
        while True:
            raw = ws.receive(timeout=RECEIVE_TIMEOUT)
            if raw is None or not session.receive(raw):
                break
    finally:
        session.close()
