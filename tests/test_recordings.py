"""Call recordings: both voices, sealed at rest, refused on request, played only to reviewers."""

import io
import os
import re
import shutil
import subprocess
import sys
import wave
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from receptionist.compliance import retention
from receptionist.compliance.audit import audit_log
from receptionist.config.settings import ROOT
from receptionist.dashboard.auth import add_user
from receptionist.speech.audio import silence
from receptionist.speech.recorder import Recorder
from receptionist.storage import calls as store
from receptionist.storage import recordings, tables
from receptionist.storage.crypto import SEAL, Keyring
from tests.conftest import KEYRING
from tests.test_dashboard import PASSWORD, login

MARIA = "+14135550123"
MESSAGE = ["I'd like to leave a message for Doctor Patel", "Maria Lopez",
           "four one three five five five zero one two three",
           "please call me about my crown", "no"]


def tone(ms, freq=440, amp=8000):
    t = np.arange(8 * ms) / 8000
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


# ---- the recorder: both sides on the caller's clock ------------------------------------------

def test_the_receptionist_is_recorded_when_the_caller_hears_it():
    rec = Recorder()
    for _ in range(10):  # 200 ms of caller audio
        rec.inbound(tone(20, 300))
    rec.outbound(tone(500, 800), line="Hello")  # sent at 200 ms: plays 200-700 ms
    rec.outbound(tone(500, 800))  # queued behind it: 700-1200 ms
    for _ in range(75):
        rec.inbound(silence(20))
    done = rec.finish()
    assert done.duration_ms == 1700
    right = np.abs(done.audio[:, 1]).reshape(-1, 80).max(axis=1)  # per 10 ms
    assert right[:20].max() == 0 and right[20:120].min() > 0 and right[120:].max() == 0
    assert done.events == [{"at_ms": 200, "who": "receptionist", "text": "Hello"}]


def test_a_barge_in_cuts_what_the_caller_never_heard():
    rec = Recorder()
    rec.outbound(tone(2000, 800), line="A long prompt")
    for _ in range(25):  # the caller interrupts at 500 ms
        rec.inbound(tone(20, 300))
    rec.clear()
    rec.outbound(tone(300, 800), line="Sorry, go ahead")
    for _ in range(25):
        rec.inbound(silence(20))
    done = rec.finish()
    right = np.abs(done.audio[:, 1]).reshape(-1, 80).max(axis=1)
    assert right[:50].min() > 0 and right[80:].max() == 0  # 500 ms, then 300 ms, then nothing
    assert [e["text"] for e in done.events] == ["A long prompt", "Sorry, go ahead"]


def test_a_refusal_forgets_everything_and_records_nothing_more():
    rec = Recorder()
    rec.inbound(tone(20))
    rec.outbound(tone(100), line="Hello")
    rec.discard()
    rec.inbound(tone(20))
    rec.outbound(tone(100), line="Goodbye")
    assert rec.finish() is None


def test_sealed_audio_names_its_key_and_rotates():
    old = Keyring({"k1": b"\x03" * 32}, "k1")
    blob = old.seal(b"RIFF....WAVE")
    assert blob.startswith(SEAL) and b"RIFF" not in blob
    both = Keyring({"k1": b"\x03" * 32, "k2": b"\x04" * 32}, "k2")
    again = both.seal(both.unseal(blob))
    assert both.unseal(again) == b"RIFF....WAVE" and b"k2" in again[:16]
    with pytest.raises(Exception, match="not configured"):
        Keyring({"k9": b"\x05" * 32}, "k9").unseal(blob)


# ---- a real call over a Media Stream ------------------------------------------------------------

def _cli(settings, *args):
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "receptionist.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_an_audio_call_is_recorded_with_both_voices_and_exported(audio_caller, stream_app,
                                                                  settings, tmp_path):
    result = audio_caller().call(MESSAGE, caller=MARIA)
    assert result.outcome["disposition"], result.turns
    out = tmp_path / "export" / "call.wav"
    out.parent.mkdir()
    done = _cli(settings, "recordings", "export", result.call_sid, str(out))
    assert done.returncode == 0, done.stderr
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        audio = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    assert abs(len(audio) / 8 - result.call_ms) < 1500, (len(audio) / 8, result.call_ms)
    heard = np.concatenate(result.received).astype(np.int32)
    recorded = audio[:, 1].astype(np.int32)
    # the receptionist's channel holds what the caller heard (µ-law rounding aside)
    assert abs(np.abs(recorded).sum() / np.abs(heard).sum() - 1) < 0.1
    assert np.abs(audio[:, 0]).max() > 3000  # the caller's voice
    # nothing under the data directory is a clear WAV; the database holds only sealed audio
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != out:
            data = path.read_bytes()
            assert not data.startswith(b"RIFF") and b"WAVEfmt " not in data, path
    rec = stream_app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        row = conn.execute(sa.select(tables.recordings)).one()
        kinds = conn.execute(sa.select(audit_log.c.kind, audit_log.c.detail)).all()
    assert row.audio.startswith(SEAL) and row.status == "kept"
    assert any(k == "recording_export" and result.call_sid in str(d) for k, d in kinds)
    timeline = KEYRING.decrypt_json(row.timeline)
    callers = [e["text"] for e in timeline if e["who"] == "caller"]
    assert callers[0].startswith("i'd like to leave a message")
    assert timeline[0]["who"] == "receptionist" and "recorded" in timeline[0]["text"]
    assert [e["at_ms"] for e in timeline] == sorted(e["at_ms"] for e in timeline)


def test_no_recording_leaves_no_audio(audio_caller, stream_app, settings, tmp_path):
    result = audio_caller().call(["no recording please", "what are your hours", "no"],
                                 caller=MARIA)
    rec = stream_app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        state = store.load_state(conn, result.call_sid, lock=False, crypt=KEYRING)
        assert state.consent == "refused" and state.transcript == []
        held = conn.execute(sa.select(tables.recordings).where(
            tables.recordings.c.audio.is_not(None))).all()
        deleted = conn.execute(sa.select(audit_log.c.detail).where(
            audit_log.c.kind == "recording_deleted")).all()
    assert held == [] and len(deleted) == 1
    done = _cli(settings, "recordings", "export", result.call_sid, str(tmp_path / "x.wav"))
    assert done.returncode == 1 and "no recording" in done.stderr
    assert not (tmp_path / "x.wav").exists()


def test_a_refusal_later_in_the_call_destroys_the_earlier_parts(stream_app):
    """A call with an earlier part kept, then "stop recording": every part is destroyed."""
    rec = stream_app.extensions["receptionist"]
    from receptionist.service import recordings as policy

    with rec.engine.begin() as conn:
        recordings.save(conn, KEYRING, "CAearlier", "local", rec.clock(),
                        np.zeros((800, 2), np.int16), [])
    assert policy.destroy(rec.engine, "CAearlier", "caller refused recording", rec.clock(),
                          "caller") == 1
    with rec.engine.connect() as conn:
        row = conn.execute(sa.select(tables.recordings)).one()
    assert row.audio is None and row.status == "deleted"


# ---- retention, rotation, the export's authorisation ------------------------------------------

def _stored(engine, sid="CAold", days_ago=0, clock=None):
    with engine.begin() as conn:
        recordings.save(conn, KEYRING, sid, "local", clock() - timedelta(days=days_ago),
                        np.stack([tone(1000, 300), tone(1000, 600)], axis=1), [
                            {"at_ms": 0, "who": "receptionist", "text": "Hello"}])


def test_retention_destroys_old_recordings_and_audits_it(stream_app, clock):
    rec = stream_app.extensions["receptionist"]
    _stored(rec.engine, "CAold", 200, clock)
    _stored(rec.engine, "CAnew", 1, clock)
    with rec.engine.begin() as conn:
        counts = retention.run(conn, rec.world.compliance.retention, clock(), KEYRING)
        left = dict(conn.execute(sa.select(tables.recordings.c.call_sid,
                                           tables.recordings.c.status)).all())
        entry = conn.execute(sa.select(audit_log.c.detail).where(
            audit_log.c.kind == "retention")).scalar_one()
    assert counts["recordings"] == 1 and left == {"CAold": "deleted", "CAnew": "kept"}
    assert '"recordings": 1' in entry or "'recordings': 1" in str(entry)


def test_key_rotation_reseals_recordings(stream_app, clock):
    rec = stream_app.extensions["receptionist"]
    _stored(rec.engine, "CAx", 0, clock)
    new = Keyring({**KEYRING.keys, "test3": b"\x07" * 32}, "test3")
    with rec.engine.begin() as conn:
        assert retention.rotate_keys(conn, new)["recordings"] == 1
        audio, events = recordings.load(conn, Keyring({"test3": b"\x07" * 32}, "test3"), "CAx")
    assert audio.shape == (8000, 2) and events[0]["text"] == "Hello"


def test_a_viewer_account_cannot_export(stream_app, settings, clock, tmp_path):
    rec = stream_app.extensions["receptionist"]
    _stored(rec.engine, "CAx", 0, clock)
    with rec.engine.begin() as conn:
        add_user(conn, "vera", PASSWORD, "viewer")
        add_user(conn, "rita", PASSWORD, "reviewer")
    denied = _cli(settings, "recordings", "export", "CAx", str(tmp_path / "a.wav"),
                  "--staff", "vera")
    assert denied.returncode == 2 and "reviewer role" in denied.stderr
    allowed = _cli(settings, "recordings", "export", "CAx", str(tmp_path / "b.wav"),
                   "--staff", "rita", "--mono")
    assert allowed.returncode == 0, allowed.stderr
    with wave.open(str(tmp_path / "b.wav")) as w:
        assert w.getnchannels() == 1 and w.getnframes() == 8000


# ---- the dashboard: private URLs, roles, range requests, audited playback ----------------------

@pytest.fixture
def dash_app(stream_app, clock):
    stream_app.secret_key = "test-secret"
    rec = stream_app.extensions["receptionist"]
    with rec.engine.begin() as conn:
        add_user(conn, "vera", PASSWORD, "viewer")
        add_user(conn, "rita", PASSWORD, "reviewer")
    return stream_app


def _audio_url(client, sid):
    page = client.get(f"/dashboard/calls/{sid}").get_data(True)
    return re.search(r'<audio[^>]*\ssrc="([^"]+)"', page).group(1), page


def test_the_call_page_plays_the_recording_to_a_reviewer(dash_app, audio_caller):
    result = audio_caller().call(MESSAGE, caller=MARIA)
    rita = dash_app.test_client()
    login(rita, "rita")
    url, page = _audio_url(rita, result.call_sid)
    assert result.call_sid not in url.split("/recording/")[1]  # a private token, not the sid
    assert 'data-seek="' in page and 'class="caller"' in page and 'class="receptionist"' in page
    whole = rita.get(url)
    assert whole.status_code == 200 and whole.data[:4] == b"RIFF"
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = rita.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.data == whole.data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole.data)}"
    assert rita.get(url, headers={"Range": f"bytes={len(whole.data) + 5}-"}).status_code == 416
    with wave.open(io.BytesIO(whole.data)) as w:
        assert w.getnchannels() == 2
    rec = dash_app.extensions["receptionist"]
    with rec.engine.connect() as conn:
        plays = conn.execute(sa.select(audit_log.c.actor).where(
            audit_log.c.kind == "recording_playback")).scalars().all()
    assert plays == ["rita"]  # one playback (the seek is part of it), named

    vera = dash_app.test_client()
    login(vera, "vera")
    assert vera.get(url).status_code == 403  # a viewer cannot fetch a recording
    assert vera.get(f"/dashboard/calls/{result.call_sid}").status_code == 403
    other = dash_app.test_client()
    login(other, "rita")  # the same reviewer in another session: the URL is not theirs
    assert other.get(url).status_code == 404
    nobody = dash_app.test_client()
    response = nobody.get(url)
    assert response.status_code == 302 and b"RIFF" not in response.data


def test_chromium_plays_and_seeks_a_recording(dash_app, audio_caller, audio_server, tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it as root)")
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    result = audio_caller().call(MESSAGE, caller=MARIA)
    url = audio_server.url
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                 "--mute-audio", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(
        executable_path=shutil.which("chromedriver")))
    try:
        browser.get(url + f"/dashboard/calls/{result.call_sid}")
        assert "Log in" in browser.title  # no data without a login
        assert "leave a message" not in browser.page_source
        browser.find_element(By.NAME, "username").send_keys("rita")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 20).until(lambda b: "Call" in b.title)
        WebDriverWait(browser, 20).until(lambda b: b.execute_script(
            "return document.querySelector('audio').readyState") >= 1)
        duration = browser.execute_script("return document.querySelector('audio').duration")
        assert abs(duration - result.call_ms / 1000) < 1.5
        line = browser.find_elements(By.CSS_SELECTOR, "ol.lines li.caller a[data-seek]")[1]
        target = float(line.get_attribute("data-seek"))
        line.click()
        WebDriverWait(browser, 10).until(lambda b: b.execute_script(
            "return document.querySelector('audio').currentTime") >= target - 0.05)
        WebDriverWait(browser, 10).until(lambda b: b.execute_script(
            "return document.querySelector('audio').played.length") >= 1)
        browser.save_screenshot(str(tmp_path / "call.png"))
        src = browser.execute_script("return document.querySelector('audio').currentSrc")
        browser.delete_all_cookies()
        browser.get(src)  # the same URL without the session: the login page, no audio
        assert "Log in" in browser.title
    finally:
        browser.quit()


# ---- webhook mode: Twilio records, the callback is signed, the audio is fetched and sealed -----

def _signed(client, path, form):
    from twilio.request_validator import RequestValidator

    from tests.conftest import TOKEN
    signature = RequestValidator(TOKEN).compute_signature("http://localhost" + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


class FakeTwilioApi:
    """Twilio's Recordings resource on a local port: serves one WAV, records what it was sent."""

    def __init__(self, wav):
        import http.server
        import threading

        self.requests = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _log(self):
                api.requests.append((self.command, self.path, self.headers.get("Authorization")))

            def do_GET(self):  # noqa: N802 - http.server's names
                self._log()
                self.send_response(200)
                self.send_header("Content-Type", "audio/x-wav")
                self.end_headers()
                self.wfile.write(wav)

            def do_DELETE(self):  # noqa: N802
                self._log()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _webhook_app(settings, nlu, clock, **overrides):
    from dataclasses import replace

    from receptionist.app import create_app
    return create_app(replace(settings, **overrides), nlu=nlu, clock=clock, keyring=KEYRING)


def _greet(client, sid):
    form = {"CallSid": sid, "From": MARIA, "To": "+14135550100", "CallStatus": "ringing"}
    return _signed(client, "/twilio/voice", form).get_data(True)


def test_webhook_mode_records_with_twilio_and_seals_the_fetched_audio(settings, nlu, clock):
    wav = recordings.wav_bytes(np.stack([tone(2000, 300), tone(2000, 700)], axis=1))
    api = FakeTwilioApi(wav)
    try:
        app = _webhook_app(settings, nlu, clock, twilio_account_sid="AC" + "5" * 32,
                           twilio_api_base=api.base)
        client = app.test_client()
        sid = "CA" + "7" * 32
        assert '<Start><Recording channels="dual"' in _greet(client, sid)
        url = f"{api.base}/2010-04-01/Accounts/AC{'5' * 32}/Recordings/RE{'1' * 32}"
        form = {"CallSid": sid, "RecordingSid": "RE" + "1" * 32, "RecordingUrl": url,
                "RecordingStatus": "completed", "RecordingDuration": "2"}
        assert app.test_client().post("/twilio/recording", data=form).status_code == 403
        assert _signed(client, "/twilio/recording", form).status_code == 200
    finally:
        api.close()
    methods = [(m, p.rsplit(".", 1)[-1]) for m, p, _ in api.requests]
    assert methods == [("GET", "wav"), ("DELETE", "json")]  # fetched, then deleted at Twilio
    assert all(auth and auth.startswith("Basic ") for _, _, auth in api.requests)
    with app.extensions["receptionist"].engine.connect() as conn:
        audio, _ = recordings.load(conn, KEYRING, sid)
        row = conn.execute(sa.select(tables.recordings)).one()
    assert audio.shape == (16000, 2) and row.source == "twilio" and row.audio.startswith(SEAL)


def test_webhook_mode_without_credentials_keeps_the_recording_address(settings, nlu, clock):
    app = _webhook_app(settings, nlu, clock)
    client = app.test_client()
    sid = "CA" + "8" * 32
    _greet(client, sid)
    form = {"CallSid": sid, "RecordingSid": "RE" + "2" * 32,
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2",
            "RecordingStatus": "completed", "RecordingDuration": "31"}
    assert _signed(client, "/twilio/recording", form).status_code == 200
    with app.extensions["receptionist"].engine.connect() as conn:
        row = conn.execute(sa.select(tables.recordings)).one()
    assert (row.status, row.twilio_sid, row.duration_ms, row.audio) == (
        "remote", "RE" + "2" * 32, 31000, None)


def test_webhook_mode_stops_twilio_recording_at_a_refusal_and_keeps_nothing(settings, nlu,
                                                                             clock):
    app = _webhook_app(settings, nlu, clock)
    client = app.test_client()
    sid = "CA" + "9" * 32
    _greet(client, sid)
    form = {"CallSid": sid, "SpeechResult": "no recording please", "Confidence": "0.9"}
    doc = _signed(client, "/twilio/gather?turn=0", form).get_data(True)
    assert '<Stop><Recording name="call" /></Stop>' in doc
    done = {"CallSid": sid, "RecordingSid": "RE" + "3" * 32,
            "RecordingUrl": "https://api.twilio.com/x", "RecordingStatus": "completed"}
    assert _signed(client, "/twilio/recording", done).status_code == 200
    with app.extensions["receptionist"].engine.connect() as conn:
        held = conn.execute(sa.select(tables.recordings).where(
            tables.recordings.c.status != "deleted")).all()
    assert held == []
