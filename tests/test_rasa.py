"""Rasa as a service: a real `rasa run --enable-api` trained on nlu_data/, and its fallback."""

import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from receptionist.app import create_app
from receptionist.config.settings import ROOT, Settings
from receptionist.nlu import rasa_env
from receptionist.nlu.rasa_engine import RasaNlu
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.storage.tables import turns
from tests.conftest import TOKEN, rows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_rasa():
    model = Settings().rasa_model_dir / "nlu.tar.gz"
    if rasa_env.find_python310() is None:
        pytest.skip("no Python 3.10 on this machine, so Rasa 3.6 cannot run (documented limit)")
    if not model.exists() or not rasa_env.rasa_bin().exists():
        pytest.fail(f"no trained Rasa model at {model}: run scripts/setup.sh "
                    "(it runs 'receptionist nlu train --engine rasa')")
    port = free_port()
    proc = subprocess.Popen(rasa_env.serve_command(model, port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/status", timeout=1):
                return proc, url
        except OSError:
            if proc.poll() is not None:
                pytest.fail("rasa run exited while starting")
            time.sleep(0.5)
    proc.kill()
    pytest.fail("rasa run did not answer within 120 s")


@pytest.fixture(scope="module")
def rasa_url():
    proc, url = start_rasa()
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture
def rasa_app(settings, spacy_nlu, clock, rasa_url):
    rasa = RasaNlu(rasa_url, spacy_nlu, timeout=5)
    return create_app(replace(settings, nlu_engine="rasa"), nlu=rasa, clock=clock), rasa


def test_rasa_classifies_and_entities_are_merged(spacy_nlu, rasa_url):
    result = RasaNlu(rasa_url, spacy_nlu, timeout=5).parse(
        "I'd like to book a cleaning appointment with Dr. Patel next Tuesday at 3")
    assert result.engine == "rasa" and result.fallback is None
    assert result.intent == "book_appointment"
    found = {e.entity: (e.value, e.extractor) for e in result.entities}
    assert found["appointment_type"] == ("cleaning", "rasa")
    assert found["person"] == ("patel", "rasa")  # synonym-normalised like the embedded engine
    assert found["datetime"][1] == "date_resolver" and found["datetime"][0]["time"] == "15:00"


def test_a_call_runs_on_rasa_and_the_turns_say_so(rasa_app):
    app, _ = rasa_app
    result = Caller(flask_transport(app), TOKEN).call(
        ["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am", "yes", "no"],
        caller="+14135550123")
    assert result.outcome["disposition"] == "booked"
    engine = app.extensions["receptionist"].engine
    parsed = [r.nlu for r in rows(engine, turns) if r.nlu]
    assert parsed and all(n["engine"] == "rasa" for n in parsed)
    health = app.test_client().get("/health").get_json()
    assert health["nlu"] == "rasa" and health["rasa"]["up"] is True


def test_when_rasa_is_stopped_mid_call_the_turn_falls_back(settings, spacy_nlu, clock):
    proc, url = start_rasa()
    rasa = RasaNlu(url, spacy_nlu, timeout=2)
    app = create_app(replace(settings, nlu_engine="rasa"), nlu=rasa, clock=clock)
    client, caller = app.test_client(), Caller(flask_transport(app), TOKEN)
    sid_form = {"CallSid": "CA" + "7" * 32, "From": "+14135550142", "To": "+14135550100"}
    doc = caller.post("/twilio/voice", sid_form)
    doc = caller.post(gather_url(doc), sid_form | {"SpeechResult": "I want to leave a message"})
    proc.terminate()
    proc.wait(timeout=30)
    doc = caller.post(gather_url(doc), sid_form | {"SpeechResult": "Dr. Lee please"})
    assert "first and last name" in doc
    engine = app.extensions["receptionist"].engine
    last = [r.nlu for r in rows(engine, turns) if r.nlu][-1]
    assert last["engine"] == "spacy" and last["fallback"].startswith("rasa:")
    assert client.get("/health").get_json()["rasa"]["up"] is False


def gather_url(doc):
    """Where the TwiML says the caller's answer goes (as Twilio follows it)."""
    return ET.fromstring(doc).find("Gather").get("action")


class SlowRasa(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        time.sleep(2)
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(json.dumps({"intent": {"name": "greet", "confidence": 1}}).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # the receptionist stopped waiting, as it should

    def log_message(self, *args):
        pass


def test_a_slow_rasa_times_out_and_the_embedded_engine_answers(spacy_nlu):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowRasa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rasa = RasaNlu(f"http://127.0.0.1:{server.server_port}", spacy_nlu, timeout=0.3)
        started = time.perf_counter()
        result = rasa.parse("what are your hours")
        assert time.perf_counter() - started < 1.5
        assert result.intent == "office_hours" and result.engine == "spacy"
        assert "timed out" in result.fallback
    finally:
        server.shutdown()
        server.server_close()


def test_docker_compose_file_validates():
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (scripts/setup.sh installs it as root)")
    done = subprocess.run([compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TWILIO_AUTH_TOKEN": "x",
                               "PUBLIC_BASE_URL": "https://rx.example.org"})
    assert done.returncode == 0, done.stderr
    assert "rasa/rasa:3.6" in done.stdout and "alphacep/kaldi-en" in done.stdout
