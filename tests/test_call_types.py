"""Each of the top five call types end to end through the webhooks, with real side effects."""

import sqlalchemy as sa

from integrations.sql import appointments, contacts, tickets
from tests.conftest import rows


def test_existing_patient_books_and_the_appointment_is_in_the_scheduler(caller, db):
    result = caller.call(["I'd like to book a cleaning", "March 3rd 1985",
                          "Wednesday at 9 am", "yes", "no thanks"], caller="+14135550123")
    assert result.outcome == {"status": "completed", "flow": "book_appointment",
                              "escalation": None, "transfer_to": None, "disposition": "booked"}
    booked = rows(db, appointments, appointments.c.appointment_type == "cleaning")
    assert len(booked) == 1 and booked[0].status == "booked"
    assert "Wednesday, November 25 at 9 a.m." in result.turns[3]["receptionist"]


def test_a_new_patient_is_created_then_booked(caller, db):
    result = caller.call(["I'm a new patient and I'd like to schedule an exam", "Sam Rivera",
                          "May 12 1990", "yes", "checkup", "tomorrow at 3", "yes", "no"],
                         caller="+14135550777")
    assert result.outcome["disposition"] == "booked", result.turns
    [sam] = rows(db, contacts, contacts.c.last_name == "Rivera")
    assert sam.phone == "+14135550777" and str(sam.dob) == "1990-05-12"


def test_invalid_answers_are_reasked_and_closed_days_explained(caller):
    result = caller.call(["book a checkup", "March 3rd 1985", "Sunday", "Tuesday at 10",
                          "no", "Tuesday at 2 pm", "yes"], caller="+14135550123")
    assert "closed on Sunday" in result.turns[3]["receptionist"]
    assert "What other day or time" in result.turns[5]["receptionist"]
    assert result.outcome["disposition"] == "booked"


def test_several_records_on_one_number_are_told_apart_without_reading_any_out(caller):
    result = caller.call(["what's my balance", "David Chen", "December 1st 1978", "no"],
                         caller="+14135550177")
    spoken = " ".join(t["receptionist"] for t in result.turns)
    assert "$25.00" in spoken
    assert "Li" not in spoken.split() and "Amy" not in spoken.split()


def test_a_balance_needs_verification(caller):
    result = caller.call(["how much do I owe", "Maria Garcia", "January 1st 1990"],
                         caller="+14135550999")
    assert "$45.00" not in " ".join(t["receptionist"] for t in result.turns)
    assert result.outcome["transfer_to"] == "front_desk"


def test_reschedule_moves_the_appointment(caller, db):
    result = caller.call(["I need to reschedule my appointment", "March 3rd 1985",
                          "Friday at 11 am", "yes", "no"], caller="+14135550123")
    assert result.outcome["disposition"] == "rescheduled", result.turns
    statuses = sorted(r.status for r in rows(db, appointments))
    assert statuses == ["booked", "rescheduled"]


def test_cancel_cancels(caller, db):
    result = caller.call(["I need to cancel my appointment", "March 3rd 1985", "yes", "no"],
                         caller="+14135550123")
    assert result.outcome["disposition"] == "cancelled"
    assert [r.status for r in rows(db, appointments)] == ["cancelled"]


def test_hours_location_and_parking_come_from_the_profile(caller):
    hours = caller.call(["what time do you close on friday", "no"])
    assert "Friday 8 a.m. to 2 p.m." in hours.turns[1]["receptionist"]
    where = caller.call(["where are you located", "no"])
    assert "120 Harbor Street" in where.turns[1]["receptionist"]
    park = caller.call(["is there parking", "no"])
    assert "lot behind the building" in park.turns[1]["receptionist"]


def test_insurance_in_and_out_of_network(caller):
    yes = caller.call(["do you take Delta Dental", "no"])
    assert "in network with Delta Dental" in yes.turns[1]["receptionist"]
    no = caller.call(["do you accept medicaid", "no"])
    assert "not in network with Medicaid" in no.turns[1]["receptionist"]
    assert no.outcome["disposition"] == "insurance_not_accepted"



def test_an_insurer_not_on_the_list_is_named_without_the_question_around_it(caller):
    unknown = caller.call(["do you take Blorp Health insurance", "no"])
    reply = unknown.turns[1]["receptionist"]
    assert "I don't have Blorp Health on my list" in reply, reply
    assert unknown.outcome["disposition"] == "insurance_unknown"
    mine = caller.call(["do you take my insurance", "Blorp Health", "no"])
    assert mine.turns[1]["receptionist"].endswith("Which insurance company is your plan with?")
    assert "I don't have Blorp Health on my list" in mine.turns[2]["receptionist"]


def test_a_message_for_a_named_provider_becomes_a_ticket(caller, db):
    result = caller.call(["can I leave a message for Dr. Lee", "John Smith", "this number",
                          "please call me about my crown", "no"])
    assert result.outcome["disposition"] == "message_taken"
    [ticket] = rows(db, tickets)
    assert ticket.kind == "message" and ticket.data["for_person"]["id"] == "lee"
    assert ticket.data["callback_number"] == "+14135550142"
    assert ticket.data["message"] == "please call me about my crown"


def test_the_caller_can_change_their_mind_mid_flow(caller):
    result = caller.call(["I want to leave a message", "actually what are your hours", "no"])
    assert "Our hours are" in result.turns[2]["receptionist"]
    assert result.outcome["disposition"] == "info_hours"


def test_dtmf_only_callers_can_use_the_menu(caller):
    result = caller.call(["DTMF:3", "DTMF:1", "no"])
    assert "Our hours are" in result.turns[2]["receptionist"]


def test_silence_reprompts_then_ends_politely(caller):
    result = caller.call(["<silence>", "<silence>", "<silence>"])
    assert result.turns[1]["receptionist"].startswith("Are you still there?")
    assert result.outcome["status"] == "ended"


def test_two_workers_share_one_call_through_the_database(settings, nlu, clock):
    """Call state lives in the database: alternate turns between two app instances."""
    from receptionist.app import create_app
    from receptionist.simulation.caller import Caller
    from tests.conftest import TOKEN

    apps = [create_app(settings, nlu=nlu, clock=clock) for _ in range(2)]
    clients = [a.test_client() for a in apps]
    counter = {"n": 0}

    def round_robin(method, url, form, headers):
        client = clients[counter["n"] % 2]
        counter["n"] += 1
        path = "/" + url.split("/", 3)[3]
        r = client.open(path, method=method, data=form or None, headers=headers)
        return r.status_code, r.get_data(as_text=True)

    result = Caller(round_robin, TOKEN).call(["I'd like to book a cleaning", "March 3rd 1985",
                                              "Wednesday at 9 am", "yes", "no"],
                                             caller="+14135550123")
    assert result.outcome["disposition"] == "booked"
    engine = apps[0].extensions["receptionist"].engine
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(appointments)).scalar() == 2


def test_caller_id_is_normalised_before_lookup(caller):
    result = caller.call(["what's my balance", "March 3rd 1985", "no"], caller="(413) 555-0123")
    assert "$45.00" in " ".join(t["receptionist"] for t in result.turns)
