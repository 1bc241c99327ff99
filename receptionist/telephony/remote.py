"""Twilio's own recordings (webhook mode): fetched into the sealed store, or remembered.

Twilio records both channels from the greeting on (`<Start><Recording>`). When it posts the
finished recording, the WAV is fetched with the account's HTTP authentication (the REST API's
Recordings resource) and sealed with the data keyring like every other recording, then deleted
at Twilio so the practice's sealed copy is the only one. Without account credentials, only the
recording's SID and URL are kept. A refused call keeps nothing.
"""

from __future__ import annotations

import base64
import io
import logging
import urllib.request
import wave
from typing import Any

import numpy as np

from receptionist.compliance import audit
from receptionist.service import recordings as policy
from receptionist.speech.audio import resample
from receptionist.storage import recordings

log = logging.getLogger("receptionist.recordings")
FETCH_TIMEOUT_S = 8.0  # inside the webhook's deadline


def _request(rec: Any, url: str, method: str = "GET") -> Any:
    auth = f"{rec.settings.twilio_account_sid}:{rec.settings.twilio_auth_token}"
    req = urllib.request.Request(url, method=method, headers={
        "Authorization": "Basic " + base64.b64encode(auth.encode()).decode()})
    return urllib.request.urlopen(req, timeout=FETCH_TIMEOUT_S)  # noqa: S310 - base checked


def _fetchable(rec: Any, url: str) -> bool:
    base = rec.settings.twilio_api_base.rstrip("/") + "/"
    return bool(rec.settings.twilio_account_sid and rec.settings.twilio_auth_token
                and url.startswith(base))


def arrived(rec: Any, call_sid: str, recording_sid: str, url: str, duration_s: int) -> str:
    """Handle one finished Twilio recording; returns what was done (kept/remote/refused)."""
    engine, crypt, now = rec.engine, rec.service.crypt, rec.clock()
    if policy.refused(engine, call_sid, crypt):
        if _fetchable(rec, url):
            _delete_at_twilio(rec, url)
        policy.destroy(engine, call_sid, "caller refused recording", now, "caller")
        return "refused"
    if crypt is not None and _fetchable(rec, url):
        try:
            with _request(rec, url + ".wav") as response:
                audio = stereo(response.read())
        except (OSError, ValueError, wave.Error) as exc:
            log.error("call %s: recording %s could not be fetched (%s); keeping its URL",
                      call_sid, recording_sid, exc)
        else:
            policy.keep(engine, crypt, call_sid, "twilio", now, audio, [], check_consent=False)
            with engine.begin() as conn:
                audit.append(conn, "recording_fetched", "twilio", call_sid=call_sid,
                             recording_sid=recording_sid, seconds=len(audio) // 8000)
            _delete_at_twilio(rec, url)
            return "kept"
    with engine.begin() as conn:
        recordings.remember_remote(conn, call_sid, recording_sid, url, duration_s * 1000, now)
    return "remote"


def _delete_at_twilio(rec: Any, url: str) -> None:
    try:
        with _request(rec, url + ".json", method="DELETE"):
            pass
    except OSError as exc:
        log.warning("Twilio's copy of %s was not deleted (%s): delete it in the console", url,
                    exc)


def stereo(data: bytes) -> np.ndarray:
    """A WAV (Twilio's: 8 kHz 16-bit, one or two channels) as 8 kHz two-channel int16."""
    with wave.open(io.BytesIO(data)) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit audio, got {8 * w.getsampwidth()}-bit")
        channels, rate = w.getnchannels(), w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    audio = samples.reshape(-1, channels)
    sides = [audio[:, min(i, channels - 1)] for i in (0, 1)]
    if rate != 8000:
        sides = [resample(side, rate, 8000) for side in sides]
    if channels == 1:
        sides[1] = np.zeros_like(sides[0])
    return np.stack(sides, axis=1).astype(np.int16)
