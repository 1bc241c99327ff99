"""The voice blueprint: Twilio's webhooks, signature-checked, turned into engine events."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, copy_current_request_context, current_app, request
from twilio.request_validator import RequestValidator

from receptionist.core.errors import MalformedWebhook
from receptionist.core.events import (
    CallEnded,
    CallStarted,
    DialFinished,
    DtmfPressed,
    NoInput,
    SpeechRecognized,
    VoicemailRecorded,
)
from receptionist.service.calls import Outcome
from receptionist.storage import calls as store
from receptionist.telephony import media, remote, twiml
from receptionist.telephony.stream import stream_url

bp = Blueprint("voice", __name__, url_prefix="/twilio")
log = logging.getLogger("receptionist.voice")
SID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
FINAL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
# Bounds on what a webhook may carry: longer values are cut (and logged), never a failed call.
MAX_SPEECH_CHARS = 1000
MAX_DIGITS = 64
MAX_ADDRESS_CHARS = 255  # a SIP From/To
WEBHOOK_DEADLINE_S = 10.0  # well inside Twilio's 15 s, even when the database stalls
_workers = ThreadPoolExecutor(max_workers=64, thread_name_prefix="webhook")


def _app() -> Any:
    return current_app.extensions["receptionist"]


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


@bp.before_request
def check_signature() -> None:
    """Refuse any request Twilio did not sign (403), and any that is not a form post (400)."""
    rec = _app()
    token = rec.settings.twilio_auth_token
    if not token:
        if rec.settings.allow_unsigned:
            return
        abort(Response("webhook signing is not configured: set TWILIO_AUTH_TOKEN", 403))
    url = rec.public_url(request)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not RequestValidator(token).validate(url, request.form, signature):
        log.warning("refused unsigned or forged webhook to %s", request.path)
        abort(Response("invalid or missing X-Twilio-Signature", 403))
    rec.refresh()


def _form(name: str, required: bool = True, limit: int = MAX_ADDRESS_CHARS) -> str:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise MalformedWebhook("expected a form post (application/x-www-form-urlencoded), got "
                               f"{request.mimetype or 'no content type'}")
    value = request.form.get(name, "")
    if required and not value:
        raise MalformedWebhook(f"missing required field {name}")
    if len(value) > limit:
        log.warning("%s on %s was %d characters; kept the first %d", name, request.path,
                    len(value), limit)
        value = value[:limit]
    return value


def _sid() -> str:
    sid = _form("CallSid")
    if not SID.match(sid):
        raise MalformedWebhook("CallSid must be letters and digits (at most 64)")
    return sid


def _now() -> datetime:
    return _app().clock()


def _key() -> str:
    blob = request.full_path + "|" + "&".join(f"{k}={v}" for k, v in sorted(request.form.items()))
    return hashlib.sha256(blob.encode()).hexdigest()


def _handle(sid: str, event: Any, turn: int | None = None) -> Response:
    rec = _app()
    plans: dict[int, dict[str, Any]] = {}

    def render(outcome: Outcome) -> str:
        seq = outcome.state.seq
        if rec.settings.speech_mode == "local" and media.wants_stream(outcome.actions):
            if isinstance(event, CallStarted) and not rec.admit():
                log.warning("call %s: %d streams already served (MAX_STREAMS): this caller goes "
                            "to the front desk", sid, rec.streams)
                return twiml.fallback(rec.front_desk(), say=twiml.BUSY)
            plans[seq] = media.plan(outcome, rec.urls(seq))
            return twiml.connect_stream(stream_url(rec, request.host_url),
                                        f"/twilio/connect?stream={seq}", seq)
        return twiml.render(outcome.actions, outcome.handoff_ids, rec.urls(seq),
                            record=_recording(rec, event, outcome))

    body = rec.service.handle(sid, event, render, key=_key(), turn=turn)
    for seq, plan in plans.items():
        with rec.engine.begin() as conn:
            store.remember_request(conn, media.stream_key(sid, seq), sid, json.dumps(plan),
                                   rec.service.crypt)
    return _xml(body)


def _recording(rec: Any, event: Any, outcome: Outcome) -> str | None:
    """Webhook mode: Twilio records the call from the greeting on, and stops at a refusal."""
    if rec.settings.speech_mode != "twilio" or not rec.settings.record_calls:
        return None
    if outcome.state.decision.startswith("consent refused"):
        return "stop"
    if isinstance(event, CallStarted) and outcome.state.consent != "refused":
        return "/twilio/recording"
    return None


@bp.post("/recording")
def recording() -> Response:
    """Twilio's recording status callback: fetch the audio into the sealed store, or note it.

    With TWILIO_ACCOUNT_SID (and the auth token) the WAV is fetched with the REST API's HTTP
    authentication and sealed; otherwise the recording's SID and URL are kept. A call whose
    caller refused recording keeps nothing (and Twilio's copy is deleted where credentials
    allow).
    """

    def build() -> Response:
        sid = _sid()
        if _form("RecordingStatus", False) not in ("", "completed"):
            return _xml(twiml.empty())
        rsid, url = _form("RecordingSid"), _form("RecordingUrl", limit=1000)
        duration = _form("RecordingDuration", False)
        rec = _app()
        remote.arrived(rec, sid, rsid, url, int(duration) if duration.isdigit() else 0)
        return _xml(twiml.empty())

    return _guarded(build)


def _guarded(build: Any) -> Response:
    """Run a webhook; malformed input is a 400 that says why; any other failure still transfers.

    The work runs on a worker thread with a deadline: if the database stops answering, the
    caller is still put through to the front desk well inside Twilio's timeout.
    """
    sid = request.form.get("CallSid", "?")
    try:
        return _workers.submit(copy_current_request_context(build)).result(
            timeout=WEBHOOK_DEADLINE_S)
    except FutureTimeout:
        log.error("call %s: %s took more than %.0f s; transferring to the front desk", sid,
                  request.path, WEBHOOK_DEADLINE_S)
        return _xml(twiml.fallback(_app().front_desk()))
    except MalformedWebhook as exc:
        log.info("malformed webhook %s: %s", request.path, exc)
        return Response(f"malformed Twilio request: {exc}", status=400, mimetype="text/plain")
    except Exception:  # noqa: BLE001 - the caller must never hear silence or get a 500
        log.exception("call %s: internal error on %s; transferring to the front desk",
                      sid, request.path)
        return _xml(twiml.fallback(_app().front_desk()))


@bp.post("/voice")
def voice() -> Response:
    """A new call: greet the caller (or, in shadow mode, let the front desk take it)."""
    if _shadowed(request.form.get("To", "")):
        return _guarded(_shadow_path)
    return _guarded(lambda: _handle(_sid(), CallStarted(
        at=_now(), call_sid=_sid(), caller=_form("From", required=False) or "anonymous",
        called=_form("To", required=False))))


def _shadow_path() -> Response:
    log.info("call %s is shadowed: the front desk answers, the receptionist listens", _sid())
    return _xml(twiml.shadow(stream_url(_app(), request.host_url),
                             _form("From", required=False) or "anonymous", _app().front_desk()))


def _shadowed(called: str) -> bool:
    """Is this number shadowed (SHADOW_MODE=all, or a list of practice numbers)?"""
    mode = _app().settings.shadow_mode.strip()
    return mode == "all" or (bool(called) and called in {n.strip() for n in mode.split(",")})


@bp.post("/gather")
def gather() -> Response:
    """The caller answered (speech or keys) or stayed silent."""

    def build() -> Response:
        sid = _sid()
        if not request.args.get("turn", "").isdigit():
            raise MalformedWebhook("query parameter turn must be a number")
        speech = _form("SpeechResult", False, MAX_SPEECH_CHARS).strip()
        digits = re.sub(r"[^0-9*#]", "", _form("Digits", False, MAX_DIGITS))
        if digits:
            event: Any = DtmfPressed(at=_now(), digits=digits)
        elif speech:
            confidence = _form("Confidence", False)
            event = SpeechRecognized(at=_now(), text=speech, recogniser="twilio",
                                     asr_confidence=float(confidence) if _is_float(confidence)
                                     else None)
        else:
            event = NoInput(at=_now())
        return _handle(sid, event, turn=int(request.args["turn"]))

    return _guarded(build)


def _is_float(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@bp.post("/status")
def status() -> Response:
    """Twilio's status callback: a final status closes the call record."""

    def build() -> Response:
        sid, call_status = _sid(), _form("CallStatus")
        if call_status not in FINAL_STATUSES:
            return _xml(twiml.empty())
        rec = _app()
        if rec.settings.shadow_mode:
            with rec.engine.connect() as conn:
                if store.load_state(conn, sid, lock=False, crypt=rec.service.crypt) is None:
                    return _xml(twiml.empty())  # a shadowed call: the front desk had it
        return _xml(rec.service.handle(sid, CallEnded(at=_now(), status=call_status),
                                       lambda _o: twiml.empty(), key=_key()))

    return _guarded(build)


def _handoff_id() -> int:
    raw = request.args.get("handoff", "")
    if not raw.isdigit():
        raise MalformedWebhook("query parameter handoff must be a number")
    return int(raw)


@bp.post("/connect")
def connect() -> Response:
    """A Media Stream ended: continue with what the stream decided (transfer, voicemail, bye).

    If the stream died without deciding anything, the caller still reaches a person.
    """

    def build() -> Response:
        sid, turn = _sid(), request.args.get("stream", "")
        if not turn.isdigit():
            raise MalformedWebhook("query parameter stream must be a number")
        with _app().engine.connect() as conn:
            doc = store.seen_request(conn, media.connect_key(sid, turn), _app().service.crypt)
        if doc is None:
            log.error("call %s: stream %s ended without a decision; transferring", sid, turn)
            return _xml(twiml.fallback(_app().front_desk()))
        return _xml(doc)

    return _guarded(build)


@bp.post("/whisper")
def whisper() -> Response:
    """What the staff member hears before the caller is connected."""

    def build() -> Response:
        hid = _handoff_id()
        with _app().engine.connect() as conn:
            text = store.handoff_whisper(conn, hid, _app().service.crypt)
        if text is None:
            raise MalformedWebhook(f"unknown handoff {hid}")
        return _xml(twiml.whisper(text))

    return _guarded(build)


@bp.post("/dial")
def dial() -> Response:
    """The transfer finished; if nobody answered, fall back to voicemail and a callback ticket."""

    def build() -> Response:
        sid, hid = _sid(), _handoff_id()
        dial_status = _form("DialCallStatus")
        with _app().engine.begin() as conn:
            store.set_dial_status(conn, hid, dial_status)
        return _handle(sid, DialFinished(at=_now(), status=dial_status))

    return _guarded(build)


@bp.post("/voicemail")
def voicemail() -> Response:
    """The caller left a voicemail."""

    def build() -> Response:
        duration = _form("RecordingDuration", False)
        return _handle(_sid(), VoicemailRecorded(
            at=_now(), recording_url=_form("RecordingUrl", False),
            duration=int(duration) if duration.isdigit() else 0))

    return _guarded(build)


@bp.get("/outcome")
def outcome() -> Response:
    """A call's outcome as recorded (used by `receptionist call --url`); signed like the rest."""
    sid = request.args.get("CallSid", "")
    with _app().engine.connect() as conn:
        state = store.load_state(conn, sid, lock=False, crypt=_app().service.crypt)
    if state is None:
        return Response(f"unknown CallSid {sid}", status=404, mimetype="text/plain")
    if request.args.get("transcript") == "1":  # the audio caller's report (signed, like the rest)
        return Response(json.dumps({"outcome": state.outcome(), "transcript": state.transcript}),
                        mimetype="application/json")
    return Response(json.dumps(state.outcome()), mimetype="application/json")


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)
