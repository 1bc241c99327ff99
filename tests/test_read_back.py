"""Slots that check what they take: an answer the recogniser was not sure of is said back to
the caller and stored only after a yes (issue #17). Pure engine, through the harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from receptionist.core.harness import FakeActions, pressed, run_call, said
from receptionist.service.world import load_world

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = said("I'd like to leave a message", "leave_message")
PATEL = said("Dr. Patel")
NAME_ASKED = "What's your first and last name?"
NUMBER_ASKED = "best number to call you back"


@pytest.fixture(scope="module")
def world():
    return load_world(ROOT / "flows", ROOT / "nlu_data")


def test_an_unsure_name_is_read_back_and_stored_only_after_yes(world):
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.31)])
    assert record.replies()[-1] == "I heard Maria Lopez. Is that right?"
    assert "full_name" not in record.state.slots
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.31), said("yes")])
    assert record.state.slots["full_name"] == "Maria Lopez"
    assert NUMBER_ASKED in record.replies()[-1]


def test_a_sure_answer_and_a_typed_one_are_not_read_back(world):
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.92)])
    assert record.state.slots["full_name"] == "Maria Lopez"
    assert NUMBER_ASKED in record.replies()[-1]
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez"), pressed("4135550188")])
    assert record.state.slots["callback_number"] == "+14135550188"
    assert not any("Is that right" in r for r in record.replies())


def test_each_recogniser_has_its_own_threshold(world):
    local = said("Maria Lopez", heard=0.7).model_copy(update={"recogniser": "local"})
    twilio = said("Maria Lopez", heard=0.7).model_copy(update={"recogniser": "twilio"})
    assert run_call(world, [MESSAGE, PATEL, local]).replies()[-1] \
        == "I heard Maria Lopez. Is that right?"  # under the local stack's 0.8
    assert NUMBER_ASKED in run_call(world, [MESSAGE, PATEL, twilio]).replies()[-1]  # over 0.5


def test_a_number_is_read_back_digit_by_digit_and_a_correction_is_taken(world):
    unsure = said("413 555 0123", heard=0.2)
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez"), unsure])
    assert record.replies()[-1] == "I heard 4 1 3, 5 5 5, 0 1 2 3. Is that right?"
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez"), unsure,
                              said("no, it's 413 555 0199", heard=0.9)])
    assert record.state.slots["callback_number"] == "+14135550199"
    assert "pass on to Dr. Anna Patel" in record.replies()[-1]


def test_a_plain_no_asks_again_once_without_thanks(world):
    record = run_call(world, [MESSAGE, PATEL, said("are you Lopez", heard=0.2),
                              said("Mario Lopez", heard=0.2), said("no")])
    assert "full_name" not in record.state.slots
    reply = record.replies()[-1]
    assert reply == "Sorry about that. What's your first and last name?", reply


def test_a_question_after_a_read_back_gets_the_read_back_again(world):
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.3), said("sorry?")])
    assert record.replies()[-1] == "Sorry, was that Maria Lopez? Please say yes or no."
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.3), said("sorry?"),
                              pressed("1")])
    assert record.state.slots["full_name"] == "Maria Lopez"


def test_a_caller_who_carries_on_keeps_the_value_and_answers_the_next_question(world):
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.3),
                              said("413 555 0123")])
    assert record.state.slots["full_name"] == "Maria Lopez"
    assert record.state.slots["callback_number"] == "+14135550123"
    assert "pass on to Dr. Anna Patel" in record.replies()[-1]
    assert not any(NUMBER_ASKED in r for r in record.replies())  # never asked: already said
    assert ("system", "full_name kept: read back, not denied") in record.state.transcript


def test_carrying_on_past_a_checked_date_of_birth_answers_the_question_after_the_check(world):
    known = FakeActions({"lookup_caller": {"count": 1},
                         "verify_identity": {"verified": True, "first_name": "Maria", "id": 1}})
    record = run_call(world, [said("I'd like to book an appointment", "book_appointment"),
                              said("March 3rd 1985", heard=0.2), said("a cleaning")],
                      actions=known)
    assert record.replies()[-2] == "I heard March 3, 1985. Is that right?"
    assert record.state.slots["dob"] == "1985-03-03"
    assert record.state.slots["appointment_type"]["id"] == "cleaning"
    assert "What is the visit for" not in " ".join(record.replies()[-1:])
    assert "What day and time" in record.replies()[-1]


def test_denying_every_read_back_ends_at_the_steps_limit(world):
    turns = [MESSAGE, PATEL]
    for _ in range(6):
        turns += [said("Mario Lopes", heard=0.2), said("no")]
    record = run_call(world, turns, actions=FakeActions())
    read_backs = [r for r in record.replies() if "Is that right?" in r]
    assert len(read_backs) <= 3
    assert record.state.phase in {"handoff", "voicemail", "ended"}, record.state.phase
    assert "full_name" not in record.state.slots


def test_a_date_of_birth_over_120_years_ago_is_refused(world):
    record = run_call(world, [said("I'd like to book a cleaning", "book_appointment"),
                              said("March 3rd 1902")],
                      actions=FakeActions({"lookup_caller": {"count": 1}}))
    assert "date of birth" in record.replies()[-1]
    assert "dob" not in record.state.slots


def test_over_twilio_a_low_confidence_answer_is_read_back_before_it_is_kept(app):
    import xml.etree.ElementTree as ET

    from tests.test_webhooks import FORM, signed_post

    client = app.test_client()
    signed_post(client, "/twilio/voice", FORM)
    turns = [("I'd like to leave a message", "0.92"), ("Doctor Patel", "0.9"),
             ("Maria Lopez", "0.34"), ("yes", "0.88")]
    said_back = []
    for n, (words, confidence) in enumerate(turns):
        response = signed_post(client, f"/twilio/gather?turn={n}",
                               {"CallSid": FORM["CallSid"], "SpeechResult": words,
                                "Confidence": confidence})
        assert response.status_code == 200
        said_back.append(" ".join(s.text or "" for s in ET.fromstring(response.data).iter("Say")))
    assert said_back[2] == "I heard Maria Lopez. Is that right?"
    assert "best number to call you back" in said_back[3]


def test_a_no_to_a_read_back_waits_for_the_correction_a_yes_ends_at_once(world):
    from receptionist.core.actions import Gather
    from receptionist.speech.turns import completes

    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez", heard=0.3)])
    asked = [a for a in record.actions if isinstance(a, Gather)][-1]
    assert asked.expect == "read_back"
    assert completes("read_back", "yes") and completes("read_back", "yes that's right")
    assert not completes("read_back", "no")  # "no, it's Maria Lopes" must not be cut at "no"


def test_the_simulated_caller_says_yes_only_to_what_it_said():
    from receptionist.simulation.scenarios_audio import same_answer

    assert same_answer("1985-03-03", "March 3rd 1985")
    assert not same_answer("1985-03-04", "March 3rd 1985")
    assert same_answer("+14135550123", "four one three five five five zero one two three")
    assert same_answer("Maria Lopez", "my name is Maria Lopez")
    assert not same_answer("Mario Lopes", "Maria Lopez")


def test_a_seven_digit_number_is_not_a_callback_number(world):
    record = run_call(world, [MESSAGE, PATEL, said("Maria Lopez"), said("555 0187")])
    assert "callback_number" not in record.state.slots  # it was once stored as +15550187
    assert record.replies()[-1] == "I have 5 5 5, 0 1 8, 7. And the rest?"
