"""Serve the app on a loopback socket, and play a live-shadowed call (both tracks) against it."""

from __future__ import annotations

import json
import logging
import threading
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
from twilio.request_validator import RequestValidator
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from werkzeug.serving import make_server

from receptionist.simulation.audio_caller import Voice
from receptionist.simulation.caller import PRACTICE_NUMBER, Caller, http_transport
from receptionist.speech.audio import FRAME_MS, b64_ulaw, frames, silence


class LocalServer:
    """Serve an app on 127.0.0.1 in a thread (the in-process audio caller needs real sockets)."""

    def __init__(self, app: Any, port: int = 0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def shadow_call(base_url: str, token: str, turns: list[tuple[str, str]], voices: dict[str, Voice],
                caller: str = "+14135550123", to: str = PRACTICE_NUMBER) -> dict[str, Any]:
    """Play a forked call (`<Start><Stream track="both_tracks">`): caller and staff talking.

    Returns the TwiML the voice webhook answered and the messages the receptionist sent back
    on the stream (there must be none: shadow mode never acts).
    """
    sid = "CA" + uuid.uuid4().hex
    hooks = Caller(http_transport(), token, base_url)
    form = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": to}
    doc = hooks.post("/twilio/voice", form | {"CallStatus": "ringing"})
    stream = ET.fromstring(doc).find("Start/Stream")
    assert stream is not None, doc
    params = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
    url = stream.get("url", "")
    signature = RequestValidator(token).compute_signature(url, {})
    stream_sid, back = "MZ" + uuid.uuid4().hex, []
    with connect(url, additional_headers={"X-Twilio-Signature": signature}) as ws:
        def send(message: dict[str, Any]) -> None:
            ws.send(json.dumps(message | {"streamSid": stream_sid}))

        send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        send({"event": "start", "start": {"streamSid": stream_sid, "callSid": sid,
                                          "tracks": ["inbound", "outbound"],
                                          "customParameters": params, "mediaFormat": {
                                              "encoding": "audio/x-mulaw", "sampleRate": 8000,
                                              "channels": 1}}})
        for speaker, text in turns:
            speech = np.concatenate([voices[speaker](text), silence(900)])
            track = "inbound" if speaker == "caller" else "outbound"
            other = "outbound" if track == "inbound" else "inbound"
            for frame in frames(speech):
                send({"event": "media", "media": {"track": track, "payload": b64_ulaw(frame)}})
                send({"event": "media", "media": {"track": other,
                                                  "payload": b64_ulaw(silence(FRAME_MS))}})
        send({"event": "stop", "stop": {"callSid": sid}})
        try:
            while True:
                back.append(json.loads(ws.recv(timeout=10)))
        except (ConnectionClosed, TimeoutError):
            pass
    hooks.post("/twilio/status", form | {"CallStatus": "completed", "CallDuration": "60"})
    return {"call_sid": sid, "twiml": doc, "sent_back": back}
