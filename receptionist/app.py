"""The Flask application factory: `create_app(settings=None)`."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, Request, jsonify
from sqlalchemy.engine import Engine

from integrations.seed import seed_demo
from receptionist.compliance.redact import install_log_redaction
from receptionist.config.bundle import read_bundle
from receptionist.config.settings import Settings
from receptionist.core.errors import ConfigError, ReceptionistError
from receptionist.core.world import World
from receptionist.dashboard import brand as _brand_pages  # noqa: F401 - and these
from receptionist.dashboard import recordings as _recording_pages  # noqa: F401 - and these
from receptionist.dashboard import shadow as _shadow_pages  # noqa: F401 - routes join the bp
from receptionist.dashboard import testcall as _test_call_page  # noqa: F401 - and these
from receptionist.dashboard.auth import secret_key
from receptionist.dashboard.views import bp as dashboard_bp
from receptionist.nlu import NluEngine
from receptionist.nlu.minilm import shared_encoder
from receptionist.nlu.rasa_engine import RasaNlu
from receptionist.nlu.safety import Guarded, SafetyNet
from receptionist.nlu.semantic_engine import SemanticNlu
from receptionist.nlu.spacy_engine import SpacyNlu
from receptionist.rollout import stages as rollout
from receptionist.service.calls import CallService
from receptionist.service.world import load_world
from receptionist.speech.config import build_speech
from receptionist.storage.crypto import load_keyring
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import require_current, upgrade
from receptionist.telephony import twiml
from receptionist.telephony.stream import bp as stream_bp
from receptionist.telephony.voice import bp as voice_bp
from receptionist.telephony.voice import utc_now

log = logging.getLogger("receptionist")
RESERVATION_S = 10.0  # an admitted call's stream opens within this (Twilio connects in < 1 s)
MAX_REQUEST_BYTES = 64 * 1024  # Twilio's forms and the dashboard's are far smaller: 413 above


@dataclass
class Receptionist:
    """What the blueprints share, kept in `app.extensions["receptionist"]`."""
    settings: Settings
    world: World
    engine: Engine
    service: CallService
    clock: Callable[[], datetime] = utc_now
    fingerprint: str = ""
    checked_at: float = 0.0
    speech: Any = None  # receptionist.speech.config.Speech in SPEECH_MODE=local
    streams: int = 0  # Media Streams being served by this process now
    _reserved: deque[float] = field(default_factory=deque)  # admitted, stream not yet open
    _streams_lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self) -> bool:
        """Reserve a stream for a new call; False when this process is at MAX_STREAMS.

        A reservation lasts until the call's stream opens, or RESERVATION_S if it never does.
        """
        with self._streams_lock:
            now = time.monotonic()
            while self._reserved and now - self._reserved[0] > RESERVATION_S:
                self._reserved.popleft()
            limit = self.settings.max_streams
            if limit and self.streams + len(self._reserved) >= limit:
                return False
            self._reserved.append(now)
            return True

    def stream_opened(self) -> None:
        """A Media Stream started (it takes its call's reservation)."""
        with self._streams_lock:
            if self._reserved:
                self._reserved.popleft()
            self.streams += 1

    def stream_closed(self) -> None:
        """A Media Stream ended."""
        with self._streams_lock:
            self.streams = max(0, self.streams - 1)

    def refresh(self, every: float = 2.0) -> None:
        """Reload the flow bundle when its files changed (a rollback, an edit).

        The old one stays, loudly, if the new one does not load.
        """
        now = time.monotonic()
        if now - self.checked_at < every:
            return
        self.checked_at = now
        fingerprint = rollout.digest(read_bundle(self.settings.flows_dir))
        if fingerprint == self.fingerprint:
            return
        self.fingerprint = fingerprint
        try:
            world = load_world(self.settings.flows_dir, self.settings.nlu_data_dir)
        except ReceptionistError as exc:
            log.error("the flow bundle changed but does not load; keeping the previous one: %s",
                      exc)
            return
        self.world = self.service.world = world
        log.warning("flow bundle reloaded (%s)", fingerprint[:12])

    def public_url(self, request: Request) -> str:
        """The URL Twilio signed: PUBLIC_BASE_URL + path behind a proxy, else the request URL."""
        if self.settings.public_base_url:
            path = request.full_path if request.query_string else request.path
            return self.settings.public_base_url + path
        return request.url

    def urls(self, turn: int) -> twiml.Urls:
        """Callback URLs for the next TwiML document of a call."""
        return twiml.Urls(gather=f"/twilio/gather?turn={turn}",
                          dial="/twilio/dial?handoff={handoff}",
                          whisper="/twilio/whisper?handoff={handoff}",
                          voicemail="/twilio/voicemail",
                          dial_timeout=self.world.matrix.fallback.dial_timeout)

    def front_desk(self) -> str:
        """The number every failure falls back to."""
        return self.world.profile.targets["front_desk"].number


def build_nlu(settings: Settings, world: World) -> NluEngine:
    """The NLU engine the settings ask for, inside the semantic safety net when it is trained."""
    embedded = SpacyNlu(settings.nlu_model_dir, tz=world.profile.tz)
    engine: NluEngine
    if settings.nlu_engine == "spacy":
        engine = embedded
    elif settings.nlu_engine == "rasa":
        engine = RasaNlu(settings.rasa_url, embedded, timeout=settings.rasa_timeout)
    elif settings.nlu_engine == "minilm":
        if (settings.semantic_model_dir / "meta.json").exists():
            engine = SemanticNlu(settings.semantic_model_dir, embedded, shared_encoder())
        else:
            log.warning("NLU: the semantic model is not trained (receptionist nlu train "
                        "--engine minilm); using the embedded spaCy engine")
            engine = embedded
    else:
        raise ConfigError("NLU_ENGINE", f"unknown engine {settings.nlu_engine!r}; use spacy, "
                                        "minilm or rasa")
    if not (settings.semantic_model_dir / "safety.json").exists():
        log.warning("the semantic safety net is OFF: run `receptionist nlu train --engine "
                    "minilm`; always-escalate categories rely on intents and patterns only")
        return engine
    return Guarded(engine, SafetyNet(settings.semantic_model_dir, shared_encoder()))


def create_app(settings: Settings | None = None, *, nlu: NluEngine | None = None,
               integrations: Any = None, crm: Any = None,
               clock: Callable[[], datetime] | None = None, keyring: Any = "env",
               speech: Any = None) -> Flask:
    """Build the app: load and check the flows, open the database, load the NLU model.

    With SPEECH_MODE=local it loads the recogniser and the voice too (or uses `speech`).
    """
    settings = settings or Settings.from_env()
    install_log_redaction()
    if keyring == "env":
        keyring = load_keyring()
    if keyring is None:
        log.warning("encryption at rest is OFF: no data key configured (RECEPTIONIST_KEY_FILE "
                    "or RECEPTIONIST_DATA_KEYS); run 'receptionist keys init'")
    clock = clock or utc_now
    world = load_world(settings.flows_dir, settings.nlu_data_dir)
    engine = make_engine(settings.database_url)
    if settings.auto_migrate:
        upgrade(engine)
    else:
        require_current(engine)
    if settings.seed_demo_data:
        with engine.begin() as conn:
            seed_demo(conn, world.profile, now=clock())
    if not settings.twilio_auth_token:
        if settings.allow_unsigned:
            log.warning("!!! RECEPTIONIST_ALLOW_UNSIGNED_WEBHOOKS=1: webhook signatures are NOT "
                        "checked. Never run like this on a public address. !!!")
        else:
            log.warning("TWILIO_AUTH_TOKEN is not set: every webhook will be refused (403)")
    service = CallService(world, engine, nlu or build_nlu(settings, world),
                          integrations=integrations, crm=crm, crypt=keyring)
    if settings.speech_mode not in ("twilio", "local"):
        raise ConfigError("SPEECH_MODE", f"unknown mode {settings.speech_mode!r}; use twilio "
                                         "or local")
    if (settings.speech_mode == "local" or settings.shadow_mode) and speech is None:
        speech = build_speech(settings, world, settings.asr_engine or None)
    app = Flask(__name__)
    app.extensions["receptionist"] = rec = Receptionist(
        settings, world, engine, service, clock,
        fingerprint=rollout.digest(read_bundle(settings.flows_dir)),
        checked_at=time.monotonic(),
        speech=speech if settings.speech_mode == "local" or settings.shadow_mode else None)
    app.register_blueprint(voice_bp)
    app.register_blueprint(stream_bp)
    app.secret_key = settings.extra.get("secret_key") or secret_key()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),  # behind https
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES)
    app.register_blueprint(dashboard_bp)

    @app.get("/health")
    def health() -> Any:
        nlu_state = getattr(service.nlu, "health", None)
        return jsonify(status="ok", nlu=service.nlu.name, flows=sorted(world.flows.flows),
                       database=engine.dialect.name,
                       rasa=nlu_state() if nlu_state else None,
                       speech=dict(mode=settings.speech_mode, **(
                           speech.describe() if settings.speech_mode == "local" else {}),
                           streams=rec.streams, max_streams=settings.max_streams or None))

    return app
