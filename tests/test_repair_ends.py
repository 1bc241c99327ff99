"""Repair always ends: a caller who never gives a usable answer reaches a person, a voicemail or
a goodbye within 20 turns, in and after hours, in every call type (property-based, on the pure
engine through the harness: thousands of calls in seconds).
"""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from receptionist.core.harness import FakeActions, pressed, run_call, said, silence
from receptionist.service.world import load_world

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")
IN_HOURS = datetime(2026, 11, 23, 10, 0, tzinfo=NY)
AFTER_HOURS = datetime(2026, 11, 23, 21, 0, tzinfo=NY)
STARTS = {"book_appointment": said("I need an appointment", "book_appointment"),
          "reschedule_cancel": said("I need to move my appointment", "reschedule_appointment"),
          "practice_info": said("when are you open", "office_hours"),
          "insurance_billing": said("question about my bill", "billing_question"),
          "take_message": said("can I leave a message", "leave_message")}
NOISE = ["purple", "banana bread", "um", "what", "the the the", "asdf qwer", "I don't know",
         "maybe", "hmm", "blue car", "next", "March", "at", "my name is", "two", "please",
         "what do you mean", "huh?", "no idea", "whatever"]
BAD_TURN = st.one_of(
    st.just(silence()),
    st.sampled_from([said(w) for w in NOISE]),  # noise words, no usable intent
    st.sampled_from([said(w, "affirm", 0.9) for w in ("yes", "sure")]),  # the wrong kind
    st.sampled_from([said(w, "deny", 0.9) for w in ("no", "nope")]),
    st.sampled_from([said(w, None) for w in ("Tuesday", "at 3", "1985")]),  # partial answers
    st.sampled_from([pressed(d) for d in ("9", "*", "#", "77", "5", "123")]),  # stray keys
)
# Answers the recogniser was not sure of: read back, then denied or ignored by the next turn
UNSURE = [said(w, heard=0.2) for w in ("Mario Lopes", "413 555 012",
                                       "March 3rd 1985", "Maria Lopez")]
DENYING_TURN = st.one_of(
    st.just(silence()),
    st.sampled_from([said(w) for w in NOISE]),
    st.sampled_from([said(w, "deny", 0.9) for w in ("no", "nope", "no that's wrong")]),
    st.sampled_from(UNSURE),
    st.sampled_from([pressed(d) for d in ("2", "9", "#", "123")]),
)
TERMINAL = {"handoff", "voicemail", "ended"}
LOOKUPS = {"known": {"lookup_caller": {"count": 1},
                     "verify_identity": {"verified": True, "first_name": "Maria", "id": 1}},
           "unknown": {"lookup_caller": {"count": 0},
                       "verify_identity": {"verified": False}},
           "crm down": {"lookup_caller": RuntimeError("CRM down")}}


@pytest.fixture(scope="module")
def world():
    return load_world(ROOT / "flows", ROOT / "nlu_data")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(call_type=st.sampled_from(sorted(STARTS)), evening=st.booleans(),
       crm=st.sampled_from(sorted(LOOKUPS)), turns=st.lists(BAD_TURN, min_size=20,
                                                            max_size=20))
def test_unusable_answers_always_end_the_call_within_20_turns(world, call_type, evening, crm,
                                                               turns):
    record = run_call(world, [STARTS[call_type], *turns[:19]],
                      start=AFTER_HOURS if evening else IN_HOURS,
                      actions=FakeActions(LOOKUPS[crm]))
    state = record.state
    assert state.phase in TERMINAL, (state.phase, state.flow, state.step, record.replies()[-3:])
    assert state.status in {"transferred", "voicemail", "completed", "ended"}, state.status
    for reply in record.replies():
        assert "Sorry, I need" not in reply or "Thank you." not in reply, reply
        assert reply.count("Sorry, I need") <= 1, reply


@settings(max_examples=200, deadline=None, derandomize=True)
@given(call_type=st.sampled_from(sorted(STARTS)), evening=st.booleans(),
       crm=st.sampled_from(sorted(LOOKUPS)), turns=st.lists(DENYING_TURN, min_size=20,
                                                            max_size=20))
def test_read_backs_that_are_never_confirmed_still_end_the_call_within_20_turns(
        world, call_type, evening, crm, turns):
    record = run_call(world, [STARTS[call_type], *turns[:19]],
                      start=AFTER_HOURS if evening else IN_HOURS,
                      actions=FakeActions(LOOKUPS[crm]))
    state = record.state
    assert state.phase in TERMINAL, (state.phase, state.flow, state.step, record.replies()[-3:])
    replies = record.replies()
    assert sum("Is that right?" in r for r in replies) <= 12, replies


def test_failing_inside_the_after_hours_message_takes_a_voicemail_not_the_same_questions(world):
    record = run_call(world, [said("mumble"), said("mumble"), *[said("purple")] * 6],
                      start=AFTER_HOURS)
    flows_started = [r for r in record.replies() if "What's your first and last name?" in r]
    assert len(flows_started) <= 2  # the question and one re-ask, never the sub-flow again
    assert record.state.phase == "voicemail"
    assert "take a voicemail" in " ".join(record.replies())
    assert record.performed.names()[-1] == "create_ticket"
