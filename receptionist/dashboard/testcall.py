"""A test call from the browser: press "Call" and talk to the receptionist through the mic.

The page streams the microphone as 8 kHz µ-law in Twilio's Media Streams format over a
WebSocket and plays the receptionist's audio with Twilio's mark and clear semantics: the local
equivalent of calling a test number. Only logged-in reviewers and admins can place one.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import current_app, request, send_from_directory, session

from receptionist.core.events import CallStarted
from receptionist.dashboard.auth import ROLES, needs
from receptionist.dashboard.views import bp, page
from receptionist.telephony import media
from receptionist.telephony.protocol import decode
from receptionist.telephony.stream import RECEIVE_TIMEOUT, sock

log = logging.getLogger("receptionist.testcall")
TEST_CALLER = "test-call"


@bp.get("/testcall")
@needs("reviewer")
def testcall() -> Any:
    """The test call page."""
    rec = current_app.extensions["receptionist"]
    return page("testcall.html", "Test call", local=rec.speech is not None)


@bp.get("/testcall.js")
def testcall_js() -> Any:
    """The page's script (no login needed: it holds no data)."""
    return send_from_directory(Path(__file__).parent / "static", "testcall.js",
                               mimetype="text/javascript")


@sock.route("/testcall/stream", bp=bp)
def testcall_stream(ws: Any) -> None:
    """One browser test call: the same MediaSession a Twilio stream gets."""
    user = session.get("user")
    origin = urlparse(request.headers.get("Origin", ""))
    if not user or ROLES.index(user["role"]) < ROLES.index("reviewer") \
            or origin.netloc != request.host:
        ws.send(json.dumps({"event": "error", "message": "log in as a reviewer first"}))
        return
    rec = current_app.extensions["receptionist"]
    if rec.speech is None:
        ws.send(json.dumps({"event": "error", "message": "local speech is off: start the "
                            "server with SPEECH_MODE=local"}))
        return
    sid = "CAtest" + secrets.token_hex(13)

    def transcript(heard: str | None, said: list[str]) -> None:
        session_.send({"event": "transcript", "heard": heard, "said": said})

    session_ = media.MediaSession(rec, rec.speech, ws.send, on_turn=transcript)
    first: dict[str, Any] = {}

    def render(outcome: Any) -> str:
        first.update(media.plan(outcome, rec.urls(outcome.state.seq)))
        return ""

    rec.service.handle(sid, CallStarted(at=rec.clock(), call_sid=sid, caller=TEST_CALLER),
                       render)
    log.info("test call %s placed from the browser by %s", sid, user["name"])
    transcript(None, list(first.get("speak") or []))
    session_.begin(sid, "MZ" + sid[2:], first)
    try:
        while not session_.closed:
            raw = ws.receive(timeout=RECEIVE_TIMEOUT)
            if raw is None:
                break
            message, why = decode(raw)
            if message is None:
                log.warning("test call %s: a malformed message was ignored (%s)", sid, why)
            elif not session_.receive(message):
                break
        if session_.leaving:
            session_.send({"event": "ended", "twiml": session_.leaving})
    finally:
        session_.close()


