"""Numbers said as words are understood on every path: Twilio's SpeechResult as well as the
local recogniser (one normaliser for both)."""

import pytest

from receptionist.speech.numbers import normalise
from receptionist.storage.tables import tickets
from tests.conftest import rows

MARIA = "+14135550123"


@pytest.mark.parametrize(("said", "read"), [
    ("March third nineteen eighty five", "march 3rd 1985"),
    ("March third, nineteen eighty-five.", "march 3rd, 1985."),
    ("the third of March", "the 3rd of March"),
    ("two thousand and ten", "2010"),
    ("five five five two zero one three three four four", "5552013344"),
    ("four one three double five five oh one nine nine", "4135550199"),
    ("next Tuesday at three thirty", "next Tuesday at 3:30"),
    ("oh I see, I want to book", "oh I see, I want to book"),
    ("I'd like to see Maria Lopez", "I'd like to see Maria Lopez"),
    ("march 3rd 1985", "march 3rd 1985"),
    ("the blue one with the thing from before", "the blue one with the thing from before"),
    ("I have one question", "I have one question"),
])
def test_spoken_forms_become_digits_and_other_words_stay_as_said(said, read):
    assert normalise(said) == read
    assert normalise(normalise(said)) == read  # the local path may normalise twice


def test_a_twilio_caller_who_says_the_date_of_birth_in_words_books(caller):
    result = caller.call(["I'd like to book a cleaning", "March third nineteen eighty five",
                          "next Wednesday at nine am", "yes", "no"], caller=MARIA)
    assert result.outcome["disposition"] == "booked", result.turns


def test_a_callback_number_said_in_words_is_taken_down(caller, db):
    result = caller.call(["I'd like to leave a message for Dr. Lee", "John Smith",
                          "four one three double five five oh one nine nine",
                          "my crown feels loose", "no"], caller="+14135550142")
    assert result.outcome["disposition"] is not None, result.turns
    [ticket] = rows(db, tickets)
    assert "+14135550199" in str(ticket.data), result.turns


def test_a_caller_who_pauses_mid_number_is_asked_for_the_rest(caller, db):
    result = caller.call(["I'd like to leave a message for Dr. Lee", "John Smith",
                          "six one seven two zero", "nine three three four six",
                          "my crown feels loose", "no"], caller="+14135550142")
    assert result.turns[3]["receptionist"] == "I have 6 1 7, 2 0. And the rest?", result.turns
    [ticket] = rows(db, tickets)
    assert "+16172093346" in str(ticket.data), result.turns


def test_a_caller_who_starts_the_number_again_is_not_glued_to_the_first_try(caller, db):
    result = caller.call(["I'd like to leave a message for Dr. Lee", "John Smith",
                          "six one seven", "six one seven two zero nine three three four six",
                          "my crown feels loose", "no"], caller="+14135550142")
    [ticket] = rows(db, tickets)
    assert "+16172093346" in str(ticket.data), result.turns
