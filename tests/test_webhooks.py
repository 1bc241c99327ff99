"""The Twilio edge: signatures, malformed requests, retries, failures, exact TwiML."""

import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

from receptionist.storage.tables import calls, dispositions, outbox, turns
from tests.conftest import TOKEN, rows

FORM = {"CallSid": "CA" + "1" * 32, "From": "+14135550142", "To": "+14135550100",
        "CallStatus": "ringing"}


def signed_post(client, path, form, token=TOKEN, base="http://localhost"):
    signature = RequestValidator(token).compute_signature(base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def test_greeting_is_exact_twiml_with_speech_and_dtmf_gather(app):
    response = signed_post(app.test_client(), "/twilio/voice", FORM)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert response.get_data(as_text=True) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Start><Recording channels="dual" name="call" recordingStatusCallback='
        '"/twilio/recording" recordingStatusCallbackEvent="completed" /></Start>'
        '<Gather action="/twilio/gather?turn=0" actionOnEmptyResult="true" '
        'hints="appointment, reschedule, cancel, hours, directions, parking, insurance, bill, '
        'message, person" input="speech dtmf" language="en-US" method="POST" '
        'speechTimeout="auto" timeout="6">'
        '<Say language="en-US" voice="Polly.Joanna">This call may be recorded and transcribed '
        'to help us serve you. Say "no recording" at any time if you prefer it isn\'t. '
        'Thank you for calling Bright Smile Dental. '
        "I'm the virtual receptionist. You can ask for a person at any time. "
        "How can I help you today?</Say></Gather></Response>")


def test_forged_and_missing_signatures_are_refused(app):
    client = app.test_client()
    assert signed_post(client, "/twilio/voice", FORM, token="wrong-token").status_code == 403
    assert client.post("/twilio/voice", data=FORM).status_code == 403
    tampered = dict(FORM, From="+19999999999")
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/twilio/voice", FORM)
    response = client.post("/twilio/voice", data=tampered,
                           headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert rows(app.extensions["receptionist"].engine, calls) == []


def test_without_a_token_webhooks_are_refused_unless_the_dev_switch_is_on(settings, nlu, clock):
    from dataclasses import replace

    from receptionist.app import create_app

    locked = create_app(replace(settings, twilio_auth_token=""), nlu=nlu, clock=clock)
    response = locked.test_client().post("/twilio/voice", data=FORM)
    assert response.status_code == 403
    assert b"TWILIO_AUTH_TOKEN" in response.data
    open_app = create_app(replace(settings, twilio_auth_token="", allow_unsigned=True),
                          nlu=nlu, clock=clock)
    assert open_app.test_client().post("/twilio/voice", data=FORM).status_code == 200


def test_public_base_url_is_the_url_that_was_signed(settings, nlu, clock):
    from dataclasses import replace

    from receptionist.app import create_app

    app = create_app(replace(settings, public_base_url="https://rx.example.org"), nlu=nlu,
                     clock=clock)
    client = app.test_client()
    ok = signed_post(client, "/twilio/voice", FORM, base="https://rx.example.org")
    assert ok.status_code == 200
    assert signed_post(client, "/twilio/voice", dict(FORM, CallSid="CA" + "2" * 32)
                       ).status_code == 403


def test_malformed_requests_get_a_4xx_that_names_the_problem(app):
    client = app.test_client()
    missing = signed_post(client, "/twilio/voice", {"From": "+14135550142"})
    assert missing.status_code == 400
    assert b"missing required field CallSid" in missing.data
    signed_post(client, "/twilio/voice", FORM)
    bad_turn = signed_post(client, "/twilio/gather?turn=abc", {"CallSid": FORM["CallSid"]})
    assert bad_turn.status_code == 400 and b"turn" in bad_turn.data
    unknown = signed_post(client, "/twilio/gather?turn=0", {"CallSid": "CA" + "9" * 32,
                                                            "SpeechResult": "hello"})
    assert unknown.status_code == 400 and b"unknown CallSid" in unknown.data
    signature = RequestValidator(TOKEN).compute_signature("http://localhost/twilio/voice", {})
    as_json = client.post("/twilio/voice", json=FORM, headers={"X-Twilio-Signature": signature})
    assert as_json.status_code == 400 and b"form post" in as_json.data


def test_a_retried_webhook_does_not_repeat_the_turn(app, db):
    client = app.test_client()
    signed_post(client, "/twilio/voice", FORM)
    answer = {"CallSid": FORM["CallSid"], "SpeechResult": "what are your hours",
              "Confidence": "0.9"}
    first = signed_post(client, "/twilio/gather?turn=0", answer)
    again = signed_post(client, "/twilio/gather?turn=0", answer)
    assert first.data == again.data
    assert b"Our hours are" in first.data
    assert len(rows(db, turns, turns.c.call_sid == FORM["CallSid"])) == 2  # greeting + one turn


def test_an_internal_error_still_answers_with_an_apology_and_a_transfer(settings, clock):
    from receptionist.app import create_app

    class BrokenNlu:
        name = "broken"

        def parse(self, text, now=None):
            raise RuntimeError("model crashed")

    app = create_app(settings, nlu=BrokenNlu(), clock=clock)
    client = app.test_client()
    signed_post(client, "/twilio/voice", FORM)
    response = signed_post(client, "/twilio/gather?turn=0",
                           {"CallSid": FORM["CallSid"], "SpeechResult": "hello"})
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert "something went wrong" in root.find("Say").text
    assert root.find("Dial").text == "+14135550101"


def test_status_callback_closes_the_call_and_writes_back_to_the_crm(caller, db):
    from integrations.sql import timeline

    result = caller.call(["what are your hours", "no thanks"])
    [call] = rows(db, calls, calls.c.sid == result.call_sid)
    assert call.status == "completed" and call.ended_at is not None
    [disp] = rows(db, dispositions, dispositions.c.call_sid == result.call_sid)
    assert disp.disposition == "info_hours" and disp.call_type == "practice_info"
    assert [r.status for r in rows(db, outbox)] == ["done"]
    [entry] = rows(db, timeline)
    assert entry.phone == "+14135550142" and "practice info" in entry.summary


def test_gather_carries_speech_hints_from_the_current_step(caller, app):
    client = app.test_client()
    signed_post(client, "/twilio/voice", FORM)
    response = signed_post(client, "/twilio/gather?turn=0", {
        "CallSid": FORM["CallSid"], "SpeechResult": "I'd like to leave a message"})
    gather = ET.fromstring(response.data).find("Gather")
    assert "Dr. Patel" in gather.get("hints") and gather.get("input") == "speech dtmf"
