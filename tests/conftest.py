import base64
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from receptionist.app import create_app
from receptionist.config.nlu_data import load_training_data
from receptionist.config.settings import ROOT, Settings
from receptionist.nlu import safety, semantic_engine
from receptionist.nlu.minilm import shared_encoder
from receptionist.nlu.safety import Guarded, SafetyNet
from receptionist.nlu.semantic_engine import SemanticNlu
from receptionist.nlu.spacy_engine import SpacyNlu, _digest, train
from receptionist.service.world import load_world
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.simulation.databases import fresh_postgres
from receptionist.storage.crypto import Keyring
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade

TOKEN = "test-auth-token-0123456789abcdef"
NY = ZoneInfo("America/New_York")
MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # office open
MONDAY_9PM = datetime(2026, 11, 23, 21, 0, tzinfo=NY)  # office closed


@pytest.fixture(scope="session")
def nlu_model_dir(tmp_path_factory):
    """The trained model from setup when it matches nlu_data/, else one trained for this run."""
    data = load_training_data([ROOT / "nlu_data"])
    trained = Settings().nlu_model_dir
    meta = trained / "meta.json"
    if meta.exists() and json.loads(meta.read_text()).get("data_sha256") == _digest(data):
        return trained
    out = tmp_path_factory.mktemp("nlu")
    train(data, out)
    return out


@pytest.fixture(scope="session")
def spacy_nlu(nlu_model_dir):
    return SpacyNlu(nlu_model_dir, tz=NY)


@pytest.fixture(scope="session")
def semantic_model_dir(tmp_path_factory):
    """The MiniLM model and safety net from setup when they match nlu_data/, else trained here."""
    data = load_training_data([ROOT / "nlu_data"])
    exemplars = safety.exemplar_sets(ROOT / "nlu_data")
    trained = Settings().semantic_model_dir
    meta, net = trained / "meta.json", trained / "safety.json"
    if meta.exists() and json.loads(meta.read_text()).get("data_sha256") == _digest(data) \
            and json.loads(meta.read_text()).get("encoder", "numpy") == shared_encoder().backend \
            and net.exists() and json.loads(net.read_text()).get("_exemplars_sha256") \
            == safety.exemplar_digest(exemplars):
        return trained
    out = tmp_path_factory.mktemp("minilm")
    semantic_engine.train(data, out, shared_encoder())
    safety.calibrate(shared_encoder(), data, load_world(ROOT / "flows").matrix, out,
                     exemplars=exemplars)
    return out


@pytest.fixture(scope="session")
def nlu(spacy_nlu, semantic_model_dir):
    """The production NLU: MiniLM intents and the semantic safety net (spaCy entities)."""
    engine = SemanticNlu(semantic_model_dir, spacy_nlu, shared_encoder())
    return Guarded(engine, SafetyNet(semantic_model_dir, shared_encoder()))


@pytest.fixture
def clock():
    """A settable practice clock; tests move it to after hours with clock.now = ..."""

    class Clock:
        now = MONDAY_10AM

        def __call__(self):
            return self.now

    return Clock()


@pytest.fixture
def settings(tmp_path, nlu_model_dir):
    """A fresh SQLite database per test, migrated by the app, with the demo practice's patients."""
    return replace(Settings(), database_url=f"sqlite:///{tmp_path / 'test.sqlite3'}",
                   twilio_auth_token=TOKEN, nlu_model_dir=nlu_model_dir, auto_migrate=True,
                   seed_demo_data=True)


KEYRING = Keyring({"test1": b"\x01" * 32, "test2": b"\x02" * 32}, "test2")
# Every app and command the tests start uses the test keyring, never the machine's key file.
_KEY_FILE = Path(tempfile.mkdtemp()) / "test-keys.json"
_KEY_FILE.write_text(json.dumps({"active": "test2", "keys": {
    k: base64.b64encode(v).decode() for k, v in KEYRING.keys.items()}}))
os.environ["RECEPTIONIST_KEY_FILE"] = str(_KEY_FILE)
os.environ.pop("RECEPTIONIST_DATA_KEYS", None)


@pytest.fixture
def app(settings, nlu, clock):
    return create_app(settings, nlu=nlu, clock=clock, keyring=KEYRING)


@pytest.fixture
def caller(app):
    return Caller(flask_transport(app), TOKEN)


@pytest.fixture
def db(app):
    return app.extensions["receptionist"].engine


ENCRYPTED = {"state", "caller_text", "reply", "nlu", "actions", "whisper", "transcript", "slots",
             "data", "digits", "response"}


def rows(engine, table, *where, keyring=KEYRING):
    """Rows as an operator with the data key reads them (encrypted columns decrypted)."""
    with engine.connect() as conn:
        found = list(conn.execute(sa.select(table).where(*where)))
    out = []
    for row in found:
        values = dict(row._mapping)
        for key in ENCRYPTED & set(values):
            if isinstance(values[key], str):
                values[key] = keyring.decrypt(values[key])
            elif values[key] is not None:
                values[key] = keyring.decrypt_json(values[key])
        out.append(SimpleNamespace(**values))
    return out


@pytest.fixture
def pg_url():
    """A database of its own on the PostgreSQL server, migrated; dropped after the test.

    Tests never touch tables of a database they did not create.
    """
    url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with fresh_database(url) as own:
        engine = make_engine(own)
        upgrade(engine)
        engine.dispose()
        yield own


@contextmanager
def fresh_database(url):
    """A database of its own on the server behind `url` (the test fails if it cannot reach it)."""
    try:
        with fresh_postgres(url) as own:
            yield own
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {url} is not reachable: {exc}")


@pytest.fixture(scope="session")
def speech(nlu_model_dir):
    """The local speech engines (pocketsphinx with the domain LM, Piper), loaded once."""
    from receptionist.service.world import load_world
    from receptionist.speech.config import build_speech

    settings = Settings()
    return build_speech(settings, load_world(settings.flows_dir, settings.nlu_data_dir),
                        "pocketsphinx")


@pytest.fixture(scope="session")
def caller_voice():
    """The synthetic caller's voice: Piper's bundled voice, a little slower."""
    from receptionist.simulation.audio_caller import piper_voice

    return piper_voice(0.95)


@pytest.fixture
def stream_app(settings, nlu, clock, speech):
    return create_app(replace(settings, speech_mode="local"), nlu=nlu, clock=clock,
                      keyring=KEYRING, speech=speech)


@pytest.fixture
def audio_server(stream_app):
    """The stream-mode app on a real socket (the WebSocket needs one)."""
    from receptionist.simulation.server import LocalServer

    with LocalServer(stream_app) as server:
        yield server


@pytest.fixture
def audio_caller(audio_server, caller_voice):
    from receptionist.simulation.audio_caller import AudioCaller

    def make(**kwargs):
        return AudioCaller(audio_server.url, TOKEN, voice=kwargs.pop("voice", caller_voice),
                           **kwargs)

    return make
