"""The browser test call, in headless Chromium with a WAV file as the microphone."""

import shutil
from dataclasses import replace

import numpy as np
import pytest

from receptionist.app import create_app
from receptionist.dashboard.auth import add_user
from receptionist.simulation.server import LocalServer
from receptionist.speech import audio
from tests.conftest import KEYRING

PASSWORD = "correct horse battery"


@pytest.fixture
def served(settings, nlu, clock, speech):
    app = create_app(replace(settings, speech_mode="local", extra={"secret_key": "s3cret"}),
                     nlu=nlu, clock=clock, keyring=KEYRING, speech=speech)
    with app.extensions["receptionist"].engine.begin() as conn:
        add_user(conn, "rita", PASSWORD, "reviewer")
        add_user(conn, "vera", PASSWORD, "viewer")
    with LocalServer(app) as server:
        yield app, server.url


def test_the_test_call_page_needs_a_reviewer(served):
    app, _ = served
    client = app.test_client()
    assert client.get("/dashboard/testcall").status_code == 302  # to the login page


def test_a_test_call_from_the_browser(served, caller_voice, tmp_path):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it as root)")
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _, url = served
    speech = caller_voice("what are your hours")
    mic = np.concatenate([audio.silence(1500), speech, audio.silence(6000)])
    wav = tmp_path / "mic.wav"
    audio.write_wav(wav, audio.resample(mic, 8000, 16000), 16000)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
                 f"--use-file-for-fake-audio-capture={wav}%noloop",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=webdriver.ChromeService(
        executable_path=shutil.which("chromedriver")))
    try:
        browser.get(url + "/dashboard/login")
        browser.find_element(By.NAME, "username").send_keys("rita")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 20).until(lambda b: "Overview" in b.title)
        browser.get(url + "/dashboard/testcall")
        browser.find_element(By.ID, "call").click()
        WebDriverWait(browser, 90).until(
            lambda b: "you: what are your hours" in b.find_element(By.ID, "log").text)
        WebDriverWait(browser, 30).until(
            lambda b: "a.m." in b.find_element(By.ID, "log").text.split("you:")[-1])
        log = browser.find_element(By.ID, "log").text
        assert log.startswith("receptionist: This call may be recorded")
        browser.save_screenshot(str(tmp_path / "testcall.png"))
        assert (tmp_path / "testcall.png").stat().st_size > 10_000
    finally:
        browser.quit()
