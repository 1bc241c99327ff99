"""The pure engine, driven directly through the harness: no Flask, no database, no models.

Each test scripts a caller (with the NLU result it would get) and the answers of the named
actions, then reads what the engine decided. The whole module runs in well under a second.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from receptionist.core.actions import Gather, Hangup, RunAction, Say, Transfer, Voicemail
from receptionist.core.conversation import Conversation
from receptionist.core.escalation import ALWAYS
from receptionist.core.harness import (
    FakeActions,
    dial_finished,
    hang_up,
    pressed,
    run_call,
    said,
    silence,
    voicemail,
)
from receptionist.service.world import load_world

ROOT = Path(__file__).resolve().parent.parent
EVENING = datetime(2026, 11, 23, 21, 0, tzinfo=ZoneInfo("America/New_York"))
KNOWN = {"lookup_caller": {"count": 1},
         "verify_identity": {"verified": True, "first_name": "Maria", "id": 1},
         "find_slots": {"label": "Wednesday at 2 p.m.", "provider": "Dr. Ruiz"},
         "book_appointment": {"id": 7}}
BOOKING = [said("I'd like to book a cleaning", "book_appointment"), said("March 3rd 1985"),
           said("next Wednesday at 2 pm")]


@pytest.fixture(scope="module")
def world():
    return load_world(ROOT / "flows", ROOT / "nlu_data")


def test_a_booking_runs_its_actions_and_ends_booked(world):
    record = run_call(world, [*BOOKING, said("yes"), said("no"), hang_up()],
                      actions=FakeActions(KNOWN))
    assert record.outcome == {"status": "completed", "flow": "book_appointment",
                              "escalation": None, "transfer_to": None, "disposition": "booked"}
    assert record.performed.names() == ["lookup_caller", "verify_identity", "find_slots",
                                        "book_appointment", "write_back_summary"]
    assert "Would you like me to book it?" in record.replies()[3]
    assert isinstance(record.steps[-2][1][-1], Hangup)


def test_the_greeting_opens_with_the_disclosure_and_offers_the_flows_own_words(world):
    record = run_call(world, [])
    [gather] = record.actions
    assert isinstance(gather, Gather)
    assert gather.prompt.startswith(world.disclosure)
    assert "Bright Smile Dental" in gather.prompt
    assert gather.hints == ("appointment", "reschedule", "cancel", "hours", "directions",
                            "parking", "insurance", "bill", "message", "person")


def test_conversation_lines_come_from_the_world_not_the_code(world):
    mine = replace(world, conversation=Conversation(
        greeting="Hi from {practice.name}!", goodbye="Bye now.", anything_else="More?"))
    record = run_call(mine, [said("what are your hours", "office_hours"), said("no")])
    assert record.replies()[0].endswith("Hi from Bright Smile Dental!")
    assert record.replies()[1].endswith("More?")
    assert record.replies()[2] == "Bye now."


@pytest.mark.parametrize("category", ALWAYS)
def test_every_always_escalate_intent_transfers_at_once_in_any_step(world, category):
    intent = world.matrix.categories[category].intents[0]
    for before in range(len(BOOKING) + 1):
        record = run_call(world, [*BOOKING[:before], said("help", intent)],
                          actions=FakeActions(KNOWN))
        last = record.steps[-1][1]
        assert record.state.escalation == category, (before, record.replies())
        assert any(isinstance(a, Transfer) for a in last)
        assert not any(isinstance(a, Gather) for a in last), "no re-prompt before the handoff"


@pytest.mark.parametrize("category", ALWAYS)
def test_every_always_escalate_pattern_fires_without_an_intent(world, category):
    phrase = {"safety": "my face is swollen shut", "mental_health": "I want to end my life",
              "minors_vulnerable": "I'm 14 and my tooth hurts",
              "legal_complaint": "I'm going to call my lawyer",
              "human_request": "can I talk to a real person"}[category]
    record = run_call(world, [said(phrase)])
    assert record.state.escalation == category
    [transfer] = record.transfers()
    assert transfer.handoff.category == category
    assert phrase in " ".join(t for _, t in transfer.handoff.transcript)


def test_always_escalate_categories_reach_a_person_after_hours_too(world):
    for category in ALWAYS:
        intent = world.matrix.categories[category].intents[0]
        record = run_call(world, [said("help", intent)], start=EVENING)
        assert record.state.transfer_to == "on_call", category


def test_dtmf_zero_asks_for_a_person_mid_slot(world):
    record = run_call(world, [*BOOKING[:2], pressed("0")], actions=FakeActions(KNOWN))
    assert record.state.escalation == "human_request"
    [transfer] = record.transfers()
    assert "They were calling about book appointment." in transfer.handoff.whisper


def test_an_after_hours_route_to_a_message_starts_the_callback_sub_flow(world):
    record = run_call(world, [said("blah", None), said("blah blah", None)], start=EVENING)
    assert record.state.escalation == "low_confidence"
    assert record.state.flow == "callback_request"
    assert not record.transfers()


def test_not_understood_twice_hands_over(world):
    record = run_call(world, [said("mumble"), said("mumble mumble")])
    assert "didn't quite get that" in record.replies()[1]
    assert record.state.escalation == "low_confidence"


def test_silence_reprompts_then_follows_the_matrix(world):
    record = run_call(world, [silence(), silence(), silence()])
    replies = record.replies()
    assert replies[1].startswith("Are you still there?") and replies[2].startswith("Are you")
    assert replies[3] == world.matrix.no_input.goodbye
    assert record.state.status == "ended" and isinstance(record.actions[-1], Hangup)


def test_silence_after_anything_else_says_goodbye(world):
    record = run_call(world, [said("what are your hours", "office_hours"), silence(), silence(),
                              silence()])
    assert record.replies()[-1].startswith("Thank you for calling Bright Smile Dental. Goodbye")


def test_a_confident_other_call_type_mid_flow_switches_to_it(world):
    record = run_call(world, [BOOKING[0], said("actually what are your opening hours",
                                                "office_hours", 0.97)],
                      actions=FakeActions(KNOWN))
    assert record.state.call_types == ["book_appointment", "practice_info"]
    assert "open" in record.replies()[2].lower() or "hours" in record.replies()[2].lower()


def test_a_failed_action_goes_to_its_on_error_step(world):
    actions = FakeActions({**KNOWN, "find_slots": RuntimeError("no openings")})
    record = run_call(world, BOOKING, actions=actions)
    assert "I don't have an opening" in record.replies()[-1]
    assert record.state.step == "ask_other_time"


def test_a_failed_action_without_on_error_hands_over_to_staff(world):
    actions = FakeActions({**KNOWN, "lookup_caller": RuntimeError("CRM down")})
    record = run_call(world, [BOOKING[0]], actions=actions)
    assert record.state.escalation == "staff_assist"
    assert record.transfers()


def test_an_unanswered_transfer_takes_a_voicemail_and_opens_a_ticket(world):
    actions = FakeActions({"create_ticket": {"ticket": 42}})
    record = run_call(world, [pressed("0"), dial_finished("no-answer"), voicemail()],
                      actions=actions)
    assert "create_ticket" in actions.names() and "attach_recording" in actions.names()
    assert any(isinstance(a, Voicemail) for a in record.actions)
    assert record.state.disposition == "callback_ticket"
    assert record.replies()[-1].startswith("Thank you. Your message has been saved")


def test_refusing_recording_clears_the_transcript(world):
    record = run_call(world, [said("please don't record this call")])
    assert record.state.consent == "refused" and record.state.transcript == []
    assert record.replies()[1].startswith("Understood. I won't keep a recording")


def test_the_call_end_keeps_only_the_slots_the_flows_store(world):
    record = run_call(world, [*BOOKING, said("yes"), said("no"), hang_up()],
                      actions=FakeActions(KNOWN))
    assert set(record.state.slots) <= {"start_intent", "patient", "appointment_type",
                                       "booking"}
    assert "dob" not in record.state.slots and "when" not in record.state.slots
    assert isinstance(record.performed.asked[-1], RunAction)
    assert record.performed.asked[-1].name == "write_back_summary"


def test_a_call_type_that_is_not_live_is_out_of_scope(world):
    staged = replace(world, live=frozenset({"practice_info"}))
    record = run_call(staged, [said("book me in", "book_appointment")])
    assert record.state.escalation == "out_of_scope"
    assert record.state.call_type == "out_of_scope"


def test_a_repeated_unusable_answer_ends_with_a_person(world):
    record = run_call(world, [said("book", "book_appointment"), said("purple"), said("purple"),
                              said("purple")], actions=FakeActions(KNOWN))
    assert record.state.escalation == "repeated_failure" or record.state.flow != "book_appointment"
    assert record.replies()[2].startswith("Sorry, I need")


def test_say_actions_and_gathers_are_what_the_caller_hears(world):
    record = run_call(world, [said("where are you located", "location_directions")])
    spoken = [a for a in record.steps[1][1] if isinstance(a, Say | Gather)]
    assert spoken and "Main" in record.replies()[1] or world.profile.address in \
        record.replies()[1]
