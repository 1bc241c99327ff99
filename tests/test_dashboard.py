"""The dashboard: logins, roles, CSRF, pages, and a real headless Chromium with screenshots."""

import re
import shutil
import socket
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from receptionist.app import create_app
from receptionist.compliance.audit import audit_log
from receptionist.config.settings import ROOT
from receptionist.dashboard.auth import add_user
from receptionist.rollout.readiness import import_call_log
from tests.conftest import rows

PASSWORD = "correct horse battery"


@pytest.fixture
def dash(settings, nlu, clock):
    app = create_app(replace(settings, extra={"secret_key": "test-secret"}), nlu=nlu,
                     clock=clock)
    engine = app.extensions["receptionist"].engine
    with engine.begin() as conn:
        for name, role in (("vera", "viewer"), ("rita", "reviewer"), ("adam", "admin")):
            add_user(conn, name, PASSWORD, role)
        import_call_log(conn, ROOT / "samples" / "baseline_call_log.csv",
                        profile=app.extensions["receptionist"].world.profile)
    return app


def csrf(client, path):
    page = client.get(path).get_data(True)
    return re.search(r'name="csrf" (?:value|content)="([^"]+)"', page).group(1)


def login(client, name):
    token = csrf(client, "/dashboard/login")
    return client.post("/dashboard/login", data={"username": name, "password": PASSWORD,
                                                 "csrf": token})


def test_nothing_is_visible_without_a_login(dash):
    client = dash.test_client()
    for path in ("/dashboard/", "/dashboard/intents", "/dashboard/calls", "/dashboard/qa"):
        response = client.get(path)
        assert response.status_code == 302 and "/dashboard/login" in response.location


def test_wrong_passwords_are_refused_and_every_login_is_audited(dash):
    client = dash.test_client()
    token = csrf(client, "/dashboard/login")
    bad = client.post("/dashboard/login", data={"username": "vera", "password": "nope",
                                                "csrf": token})
    assert "Wrong user name or password" in bad.get_data(True)
    assert login(client, "vera").status_code == 302
    kinds = [r.kind for r in rows(dash.extensions["receptionist"].engine, audit_log)]
    assert "login_failed" in kinds and "login" in kinds


def test_a_post_without_the_csrf_token_is_refused(dash):
    client = dash.test_client()
    login(client, "adam")
    response = client.post("/dashboard/killswitch", data={"on": "1", "reason": "x"})
    assert response.status_code == 400 and b"CSRF" in response.data


def test_roles_limit_what_staff_can_do(dash):
    viewer = dash.test_client()
    login(viewer, "vera")
    token = csrf(viewer, "/dashboard/")
    assert viewer.post("/dashboard/killswitch", data={"on": "1", "reason": "x",
                                                      "csrf": token}).status_code == 403
    admin = dash.test_client()
    login(admin, "adam")
    token = csrf(admin, "/dashboard/")
    done = admin.post("/dashboard/killswitch", data={"on": "1", "reason": "drill",
                                                     "csrf": token}, follow_redirects=True)
    assert "every call goes to the front desk" in done.get_data(True)


def test_the_overview_shows_kpis_against_the_baseline(dash, caller):
    caller.call(["what are your hours", "no"])
    client = dash.test_client()
    login(client, "vera")
    page = client.get("/dashboard/").get_data(True)
    assert "Day-90 recommendation" in page and "abandonment rate" in page
    assert "data:image/png;base64" in page and "book_appointment" in page


def test_a_reviewer_reviews_from_the_qa_queue(dash, caller):
    caller.call(["what are your hours", "no"])
    client = dash.test_client()
    login(client, "rita")
    queue = client.get("/dashboard/qa?launch=2026-11-01&day=2026-11-23").get_data(True)
    sid = re.search(r'/dashboard/qa/(CA[0-9a-f]+)', queue).group(1)
    token = re.search(r'name="csrf" value="([^"]+)"', queue).group(1)
    done = client.post(f"/dashboard/qa/{sid}", data={
        "csrf": token, "period": "2026-W48", "accuracy": "4", "brand_voice": "4",
        "satisfaction": "5", "escalation_correct": "on", "notes": "good"},
        follow_redirects=True)
    assert "Review saved: pass" in done.get_data(True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(dash):
    server = make_server("127.0.0.1", free_port(), dash, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_in_a_real_browser(served, caller, tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it as root)")
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    caller.call(["can I talk to a real person"])
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--window-size=1100,1400",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    browser = webdriver.Chrome(options=options, service=service)
    try:
        browser.get(served + "/dashboard/")
        assert "Staff log in" in browser.page_source
        browser.find_element(By.NAME, "username").send_keys("adam")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 20).until(lambda b: "Overview" in b.title)
        assert "Day-90 recommendation" in browser.page_source
        shot = Path(tmp_path / "overview.png")
        browser.save_screenshot(str(shot))
        assert shot.stat().st_size > 20_000 and shot.read_bytes()[:4] == b"\x89PNG"
        browser.get(served + "/dashboard/calls")
        WebDriverWait(browser, 20).until(lambda b: "Recent calls" in b.title)
        assert "Caller asked for a person" in browser.page_source
        assert "+14135550142" not in browser.page_source  # redacted
        browser.save_screenshot(str(tmp_path / "calls.png"))
        assert (tmp_path / "calls.png").stat().st_size > 10_000
    finally:
        browser.quit()


def test_the_review_page_shows_transcript_decisions_and_handoff_context(dash, caller):
    result = caller.call(["I'd like to book a cleaning", "can I talk to a real person"],
                         caller="+14135550123")
    client = dash.test_client()
    login(client, "vera")
    assert client.get(f"/dashboard/calls/{result.call_sid}").status_code == 403  # viewers
    reviewer = dash.test_client()
    login(reviewer, "rita")
    page = reviewer.get(f"/dashboard/calls/{result.call_sid}").get_data(True)
    assert "I&#39;d like to book a cleaning" in page and "book_appointment (" in page
    assert "human_request to front_desk" in page and "Whisper" in page
    assert f"scenarios from-call {result.call_sid}" in page
    kinds = [r.detail for r in rows(dash.extensions["receptionist"].engine, audit_log)
             if r.kind == "data_access"]
    assert any("call review" in k for k in kinds)


def test_logins_are_throttled_per_account_even_with_the_right_password(dash):
    client = dash.test_client()
    for _ in range(5):
        token = csrf(client, "/dashboard/login")
        client.post("/dashboard/login", data={"username": "adam", "password": "guess",
                                              "csrf": token})
    refused = login(client, "adam")
    assert refused.status_code == 429 and "too many failed attempts" in refused.get_data(True)
    assert login(dash.test_client(), "vera").status_code == 302  # other accounts still work


def test_an_unknown_user_costs_as_much_time_as_a_wrong_password(dash):
    import time

    from receptionist.dashboard.auth import check_login

    engine = dash.extensions["receptionist"].engine

    def timed(name):
        with dash.test_request_context(), engine.begin() as conn:
            started = time.perf_counter()
            check_login(conn, name, "not the password", address=f"10.0.0.{len(name)}")
            return time.perf_counter() - started

    timed("nobody")  # the dummy hash is made once
    known = sorted(timed("rita") for _ in range(3))[1]
    unknown = sorted(timed("nobody-at-all") for _ in range(3))[1]
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_logout_kills_the_session_on_the_server_and_a_copied_cookie_stops_working(dash):
    client = dash.test_client()
    login(client, "vera")
    kept = client.get_cookie("session").value
    assert client.get("/dashboard/").status_code == 200
    client.get("/dashboard/logout")
    thief = dash.test_client()
    thief.set_cookie("session", kept)
    assert thief.get("/dashboard/").status_code == 302


def test_an_idle_session_expires(dash):
    from datetime import timedelta

    from receptionist.storage.db import utcnow
    from receptionist.storage.tables import staff_sessions

    client = dash.test_client()
    login(client, "vera")
    with dash.extensions["receptionist"].engine.begin() as conn:
        conn.execute(staff_sessions.update().values(
            last_seen_at=utcnow() - timedelta(minutes=31)))
    assert client.get("/dashboard/").status_code == 302


def test_cookies_are_secure_behind_https(settings, nlu, clock):
    app = create_app(replace(settings, public_base_url="https://rx.example.org",
                             extra={"secret_key": "k"}), nlu=nlu, clock=clock)
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("form", [{"accuracy": "abc"}, {"accuracy": "9"}, {"period": "x" * 300},
                                  {"notes": "n" * 5000}, {"period": "'; drop table --"}])
def test_malformed_qa_forms_are_refused_with_a_4xx(dash, form):
    client = dash.test_client()
    login(client, "rita")
    token = csrf(client, "/dashboard/qa")
    data = {"period": "2026-W48", "accuracy": "4", "brand_voice": "4", "satisfaction": "4",
            "csrf": token} | form
    response = client.post("/dashboard/qa/CAnone", data=data)
    assert 400 <= response.status_code < 500, response.status_code
