"""The brand-voice pages: the audit queue with recordings, and how the receptionist says names.

The front-office lead listens to the first 50 recorded pilot calls (then a weekly sample) and
answers "would this come from our front office?" with tone, pacing, vocabulary and
pronunciation marks. The voice page plays the practice's names, its people, its insurers and
the patients' most common names in the receptionist's voice; an admin edits the lexicon and
voice settings there, hears them before saving, and every save is a new flow-bundle version
and an audit entry.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    send_from_directory,
    url_for,
)

from receptionist.compliance import audit
from receptionist.config.bundle import settings_file
from receptionist.core.errors import ConfigError
from receptionist.dashboard.auth import ROLES, needs
from receptionist.dashboard.playback import player
from receptionist.dashboard.views import bp, page
from receptionist.rollout import brand
from receptionist.rollout import stages as rollout
from receptionist.speech.config import (
    BUNDLED_VOICES,
    GREETINGS,
    load_voice_settings,
    reload_voice,
    save_voice,
    voice_from,
)
from receptionist.storage import recordings

log = logging.getLogger("receptionist.brand")
MAX_PREVIEW_CHARS = 400
MAX_LEXICON = 200
SAMPLE = "Thank you for calling {name}. Dr. Patel can see you on Wednesday at nine a.m."


def _rec() -> Any:
    return current_app.extensions["receptionist"]


@bp.get("/brand")
@needs("reviewer")
def brand_queue() -> Any:
    """The audit queue: play each call, answer the question, mark what is off."""
    rec = _rec()
    today = datetime.now(UTC).date()
    with rec.engine.connect() as conn:
        found = brand.queue(conn, today)
        players = {c["sid"]: player(conn, rec.service.crypt, c["sid"]) for c in found["calls"]}
        weeks = brand.weekly(conn)
        gate = brand.gate(conn)
    return page("brand.html", "Brand voice", q=found, players=players, weeks=weeks, gate=gate,
                marks=brand.MARKS, first=brand.FIRST_CALLS)


@bp.post("/brand/<sid>")
@needs("reviewer")
def brand_review(sid: str) -> Any:
    """Save one brand-voice review."""
    rec = _rec()
    answer = request.form.get("sounds_like_us", "")
    if answer not in ("yes", "no"):
        abort(400, "answer 'would this come from our front office?' with yes or no")
    marks = {m: request.form.get(m, "") for m in brand.MARKS}
    try:
        with rec.engine.begin() as conn:
            brand.review(conn, sid, g.user["name"], sounds_like_us=answer == "yes", marks=marks,
                         note=request.form.get("note", ""), crypt=rec.service.crypt)
            audit.append(conn, "brand_review", g.user["name"], call_sid=sid,
                         sounds_like_us=answer == "yes",
                         off=[m for m, v in marks.items() if v == "off"])
    except ValueError as exc:
        abort(400, str(exc))
    except LookupError as exc:
        abort(404, str(exc))
    flash(f"Brand-voice review saved for {sid}.")
    return redirect(url_for("dashboard.brand_queue"))


def _voice_file() -> Path:
    return settings_file(_rec().settings.flows_dir, "voice.yaml")


def _current_voice() -> dict[str, Any]:
    return load_voice_settings(_voice_file()).voice


def _voice_key(voice: dict[str, Any]) -> str:
    if voice.get("engine") == "espeak-ng":
        return f"espeak-ng:{voice.get('espeak_voice', 'en-us')}"
    return "piper"


def _greeting_style() -> tuple[str, str]:
    greeting = _rec().world.conversation.greeting
    style = next((k for k, v in GREETINGS.items() if v.split()[:3] == greeting.split()[:3]),
                 "custom")
    return style, greeting


@bp.get("/brand/voice")
@needs("reviewer")
def brand_voice() -> Any:
    """Names in the receptionist's voice; the lexicon and voice settings (admins edit)."""
    rec = _rec()
    with rec.engine.connect() as conn:
        names = brand.names(conn, rec.world.profile)
    voice = _current_voice()
    style, greeting = _greeting_style()
    return page("brand_voice.html", "Voice and names", names=names, voice=voice,
                voice_key=_voice_key(voice), voices=list(BUNDLED_VOICES), greetings=GREETINGS,
                style=style, greeting=greeting, sample=SAMPLE.format(name=rec.world.profile.name),
                lexicon=sorted((voice.get("lexicon") or {}).items()),
                can_edit=ROLES.index(g.user["role"]) >= ROLES.index("admin"))


def _form_voice() -> dict[str, Any]:
    """Voice settings from the form (preview or save), checked: a 400 says what is wrong."""
    key = request.form.get("voice", "piper")
    if key not in BUNDLED_VOICES:
        abort(400, f"voice must be one of {', '.join(BUNDLED_VOICES)}")
    try:
        rate = float(request.form.get("rate", "1.0"))
        pause = int(request.form.get("sentence_pause_ms", "200"))
        lexicon = json.loads(request.form.get("lexicon", "{}") or "{}")
    except ValueError as exc:
        abort(400, f"rate, pause or lexicon is not valid: {exc}")
    if not 0.7 <= rate <= 1.4:
        abort(400, "rate must be between 0.7 and 1.4")
    if not 0 <= pause <= 1500:
        abort(400, "sentence pause must be between 0 and 1500 ms")
    if not isinstance(lexicon, dict) or len(lexicon) > MAX_LEXICON or not all(
            isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
            and len(k) <= 80 and len(v) <= 80 for k, v in lexicon.items()):
        abort(400, f"the lexicon is up to {MAX_LEXICON} pairs of written and spoken words")
    return {**BUNDLED_VOICES[key], "rate": rate, "sentence_pause_ms": pause,
            "lexicon": {k.strip(): v.strip() for k, v in lexicon.items()}}


@bp.post("/brand/say")
@needs("reviewer")
def brand_say() -> Any:
    """Say a text in the receptionist's voice (the saved settings, or the form's unsaved ones)."""
    text = request.form.get("text", "").strip()
    if not text or len(text) > MAX_PREVIEW_CHARS:
        abort(400, f"text must be 1 to {MAX_PREVIEW_CHARS} characters")
    voice = _form_voice() if request.form.get("preview") == "1" else _current_voice()
    tts = voice_from(voice)
    audio = np.concatenate(list(tts.speak(text)))
    return Response(recordings.wav_bytes(audio), mimetype="audio/wav",
                    headers={"Cache-Control": "no-store, private"})


@bp.post("/brand/voice")
@needs("admin")
def brand_voice_save() -> Any:
    """Save the voice settings, lexicon and greeting: a new bundle version, audited."""
    rec = _rec()
    voice = _form_voice()
    style = request.form.get("greeting_style", "")
    if style not in GREETINGS and style != "keep":
        abort(400, f"greeting style must be one of {', '.join(GREETINGS)}")
    before = _current_voice()
    try:
        save_voice(_voice_file(), voice)
    except ConfigError as exc:
        abort(400, str(exc))
    if style in GREETINGS:
        _set_greeting(GREETINGS[style])
    with rec.engine.begin() as conn:
        version = rollout.snapshot(conn, rec.settings.flows_dir, g.user["name"],
                                   note="brand voice settings")
        audit.append(conn, "brand_voice_changed", g.user["name"], version=version,
                     greeting=style, rate=voice["rate"],
                     pause=voice["sentence_pause_ms"], engine=voice["engine"],
                     lexicon_added=sorted(set(voice["lexicon"]) - set(before.get("lexicon")
                                                                     or {})),
                     lexicon_removed=sorted(set(before.get("lexicon") or {})
                                            - set(voice["lexicon"])))
    rec.checked_at = 0.0  # the next webhook reloads the bundle (the greeting)
    if rec.speech is not None:
        reload_voice(rec.speech, rec.settings.flows_dir)
    flash(f"Voice settings saved as flow bundle version {version}; the next call uses them.")
    return redirect(url_for("dashboard.brand_voice"))


def _set_greeting(text: str) -> None:
    path = settings_file(_rec().settings.flows_dir, "conversation.yaml")
    raw = (yaml.safe_load(path.read_text()) or {}) if path.exists() else {"version": "1"}
    raw["greeting"] = text
    path.write_text("# The practice's own lines (overrides of the defaults).\n"
                    + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))


@bp.get("/brand.js")
def brand_js() -> Any:
    """The voice page's script (no login needed: it holds no data)."""
    return send_from_directory(Path(__file__).parent / "static", "brand.js",
                               mimetype="text/javascript")
