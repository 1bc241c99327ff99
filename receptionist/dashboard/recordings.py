"""Recordings in the dashboard: a player beside the transcript, served only to reviewers.

The audio URL carries a token bound to the viewer's own server-side session and the call, so
it is never guessable and dies with the login. Range requests let the browser seek; the first
request of a playback (from byte 0) is audited with the staff member's name.
"""

from __future__ import annotations

import hmac
import re
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, g, request, send_from_directory

from receptionist.dashboard.auth import needs
from receptionist.dashboard.playback import token_for
from receptionist.dashboard.views import bp
from receptionist.service import recordings as policy
from receptionist.storage import recordings

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@bp.get("/calls/<sid>/recording/<token>.wav")
@needs("reviewer")
def recording(sid: str, token: str) -> Any:
    """The call's recording as WAV, with HTTP range requests (the player seeks)."""
    if not hmac.compare_digest(token, token_for(sid)):
        abort(404)
    rec = current_app.extensions["receptionist"]
    wanted = request.headers.get("Range", "")
    match = RANGE.match(wanted.strip()) if wanted else None
    first_request = match is None or match.group(1) in ("", "0")
    try:
        audio, _ = policy.open_for(rec.engine, rec.service.crypt, sid, g.user["name"],
                                   "playback", audited=first_request)
    except recordings.NoRecording:
        abort(404)
    body = recordings.wav_bytes(audio)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store, private"}
    if match is None:
        return Response(body, 200, mimetype="audio/wav", headers=headers)
    start_s, end_s = match.groups()
    if start_s == "":  # the last N bytes
        start, end = max(0, len(body) - int(end_s or 0)), len(body) - 1
    else:
        start, end = int(start_s), min(int(end_s) if end_s else len(body) - 1, len(body) - 1)
    if start >= len(body) or start > end:
        return Response(status=416, headers={"Content-Range": f"bytes */{len(body)}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
    return Response(body[start:end + 1], 206, mimetype="audio/wav", headers=headers)


@bp.get("/player.js")
def player_js() -> Any:
    """The player's script (no login needed: it holds no data)."""
    return send_from_directory(Path(__file__).parent / "static", "player.js",
                               mimetype="text/javascript")
