"""The escalation matrix: honoured at every step of every flow, at once, with context."""

import shutil

import pytest

from integrations.sql import tickets
from receptionist.config.matrix import load_matrix
from receptionist.config.profile import load_profile
from receptionist.config.settings import ROOT
from receptionist.core.errors import AlwaysEscalateDisabled, UnknownTarget
from receptionist.core.escalation import Detector
from receptionist.storage.tables import handoffs
from tests.conftest import MONDAY_9PM, rows

# A complete conversation per call type; escalations are injected before each of its lines.
SCRIPTS = {
    "book_appointment": ["I'd like to book a cleaning", "Maria Garcia", "March 3rd 1985",
                         "next Wednesday at 2 pm", "yes"],
    "reschedule_cancel": ["I need to reschedule my appointment", "Maria Garcia",
                          "March 3rd 1985", "next Thursday at 11 am", "yes"],
    "practice_info": ["where can I park"],
    "insurance_billing": ["what's my balance", "balance", "Maria Garcia", "March 3rd 1985"],
    "take_message": ["I'd like to leave a message for Dr. Lee", "John Smith", "this number",
                     "please call me about my crown"],
}
ALWAYS = {
    "safety": "my face is swollen and I can't breathe",
    "minors_vulnerable": "I'm calling for my grandson and there's a custody order",
    "mental_health": "honestly I've been thinking about hurting myself",
    "legal_complaint": "I want a refund or I'm calling my lawyer",
    "human_request": "can I talk to a real person",
}
TARGET = {"safety": "front_desk", "minors_vulnerable": "office_manager",
          "mental_health": "front_desk", "legal_complaint": "office_manager",
          "human_request": "front_desk"}


@pytest.mark.parametrize("flow", sorted(SCRIPTS))
def test_the_scripts_complete_without_escalation(caller, flow):
    result = caller.call(SCRIPTS[flow] + ["no thanks"], caller="+14135550123")
    assert result.outcome["flow"] == flow
    assert result.outcome["escalation"] is None, result.turns


@pytest.mark.parametrize("category", sorted(ALWAYS))
@pytest.mark.parametrize("flow", sorted(SCRIPTS))
def test_always_escalate_is_honoured_at_every_step(caller, flow, category):
    script = SCRIPTS[flow]
    for cut in range(len(script)):
        result = caller.call(script[:cut] + [ALWAYS[category]], caller="+14135550123")
        where = f"{flow} after {cut} lines"
        assert result.outcome["escalation"] == category, (where, result.turns)
        assert result.outcome["transfer_to"] == TARGET[category], where
        assert result.outcome["status"] == "transferred", where
        last = result.turns[-1]["receptionist"]
        assert "?" not in last, f"re-prompted instead of transferring ({where}): {last}"


def test_dtmf_zero_mid_slot_transfers_without_a_reprompt(caller):
    result = caller.call(["I'd like to book a cleaning", "Maria Garcia", "DTMF:0"],
                         caller="+14135550123")
    assert result.outcome["escalation"] == "human_request"
    assert result.outcome["transfer_to"] == "front_desk"


def test_a_safety_phrase_while_giving_a_date_is_honoured_at_once(caller):
    result = caller.call(["book a checkup", "Maria Garcia", "March 3rd 1985",
                          "Tuesday, wait, the bleeding won't stop"], caller="+14135550123")
    assert result.outcome["escalation"] == "safety"


def test_warm_handoff_whispers_a_summary_and_keeps_the_context(caller, db):
    result = caller.call(["I'd like to book a cleaning", "Maria Garcia",
                          "this is ridiculous, let me speak to a human"], caller="+14135550999")
    assert result.whisper is not None
    assert "Caller asked for a person" in result.whisper and "Maria Garcia" in result.whisper
    [h] = rows(db, handoffs)
    assert h.category == "human_request" and h.target == "front_desk"
    assert h.number == "+14135550101" and h.dial_status == "completed"
    assert h.slots["full_name"] == "Maria Garcia"
    assert ["caller", "I'd like to book a cleaning"] in h.transcript
    assert h.sentiment < 0
    assert h.intent is not None


def test_after_hours_safety_goes_to_the_on_call_dentist(caller, clock):
    clock.now = MONDAY_9PM
    result = caller.call(["there's a lot of blood and it won't stop bleeding"])
    assert result.outcome["escalation"] == "safety"
    assert result.outcome["transfer_to"] == "on_call"


def test_nobody_answers_so_the_caller_leaves_voicemail_and_a_callback_ticket(app, db):
    from receptionist.simulation.caller import Caller, flask_transport
    from tests.conftest import TOKEN

    caller = Caller(flask_transport(app), TOKEN, dial_status="no-answer")
    result = caller.call(["I want to talk to a person", "Hi it's John, please call me back"])
    assert result.outcome["status"] == "voicemail"
    assert result.outcome["disposition"] == "callback_ticket"
    [ticket] = rows(db, tickets)
    assert ticket.kind == "callback" and ticket.data["category"] == "human_request"
    assert ticket.recording_url.startswith("https://api.twilio.com/recordings/RE")
    assert "saved" in result.turns[-1]["receptionist"]


def test_out_of_scope_goes_to_a_person_in_hours_and_to_a_callback_after_hours(caller, clock, db):
    in_hours = caller.call(["can you order me a pizza"])
    assert in_hours.outcome["flow"] == "out_of_scope"
    assert in_hours.outcome["transfer_to"] == "front_desk"
    clock.now = MONDAY_9PM
    after = caller.call(["can you order me a pizza", "John Smith", "this number",
                         "just wondering about pizza"])
    assert after.outcome["flow"] == "out_of_scope"
    assert after.outcome["transfer_to"] is None
    assert after.outcome["disposition"] == "callback_ticket"
    [ticket] = rows(db, tickets)
    assert ticket.data["callback_number"] == "+14135550142"


def test_two_misunderstood_turns_hand_over_instead_of_guessing(caller):
    result = caller.call(["blorp fizzle wumpus", "zzzz qqqq xxxx"])
    assert result.outcome["escalation"] == "low_confidence"
    assert "didn't quite get that" in result.turns[1]["receptionist"]


@pytest.mark.parametrize("category", ["safety", "minors_vulnerable", "mental_health",
                                      "legal_complaint", "human_request"])
def test_an_always_escalate_category_cannot_be_disabled(tmp_path, category):
    text = (ROOT / "flows" / "settings" / "escalation.yaml").read_text()
    marker = f"  {category}:\n"
    broken = tmp_path / "escalation.yaml"
    broken.write_text(text.replace(marker, marker + "    enabled: false\n", 1))
    profile = load_profile(ROOT / "flows" / "settings" / "practice.yaml")
    with pytest.raises(AlwaysEscalateDisabled, match=f"'{category}' cannot be disabled"):
        load_matrix(broken, profile)


def test_a_route_to_an_unknown_target_refuses_to_load(tmp_path):
    text = (ROOT / "flows" / "settings" / "escalation.yaml").read_text()
    broken = tmp_path / "escalation.yaml"
    broken.write_text(text.replace("after_hours: on_call}", "after_hours: nobody}", 1))
    with pytest.raises(UnknownTarget, match="'nobody'"):
        load_matrix(broken, load_profile(ROOT / "flows" / "settings" / "practice.yaml"))


def test_a_broken_escalation_file_stops_start_up(tmp_path, settings, nlu, clock):
    from dataclasses import replace

    from receptionist.app import create_app

    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    text = (flows / "settings" / "escalation.yaml").read_text()
    (flows / "settings" / "escalation.yaml").write_text(text.replace("  human_request:\n",
                                                        "  human_request:\n    enabled: false\n"))
    with pytest.raises(AlwaysEscalateDisabled):
        create_app(replace(settings, flows_dir=flows), nlu=nlu, clock=clock)


# Warning signs in the words the public lists use (Red Cross, NHS, BE FAST, 988 and NIMH, elder-
# and child-protection pages, consumer-rights pages), phrased for this test: the matrix's own
# patterns must catch them even when the classifier and the semantic net do not.
WARNING_SIGNS = {
    "safety": ["my grandad's collapsed on the floor", "she's gone grey and she's gasping for air",
               "his face is drooping and his speech is slurred", "he's coughing up blood",
               "my toddler drank half a bottle of mouthwash", "there's a man in reception "
               "with a knife", "I can smell gas in your waiting room", "he won't wake up",
               "he banged his head and now he seems really confused",
               "my wife is diabetic and she's sweating and drowsy",
               "I've been biting on the gauze for an hour and it's still bleeding",
               "my son is jerking all over", "her boyfriend said he'll kill me",
               "a man phoned saying there's a bomb in your building",
               "he said he'd come back and shoot up the office",
               "my dad touched the socket and got an electric shock",
               "she's lying on the kitchen floor not moving",
               "there's a rucksack by your door with wires coming out",
               "I think there's a suspicious package in the car park",
               "my little boy got bleach in his eyes",
               "he's in the room with me so I can't say much, can you send help to my flat",
               "please send the police, he's outside the door"],
    "mental_health": ["I just want to die", "I've been giving all my things away",
                      "I left a note for my sister in case", "I feel empty inside",
                      "my family would be better off without me", "I feel so trapped",
                      "I've been stockpiling my sleeping pills", "I only called to say goodbye "
                      "to everyone there", "I've put all my affairs in order now",
                      "I'm sat on the ledge of the car park roof",
                      "I keep thinking about killing myself",
                      "my husband passed in the spring and I'm ready to join him",
                      "honestly I'd rather be dead", "she sent me a text saying sorry for "
                      "everything", "I took my dad's shotgun down off the wall last night",
                      "lately I just don't want to be around anymore",
                      "honestly I can't do this anymore",
                      "my wife died in March and I'm tempted to follow her",
                      "since the crash I keep thinking I should have died instead of him",
                      "I honestly can't see the point in anything these days",
                      "what's the point of living like this",
                      "my son has been cutting his arms with a razor",
                      "she says she wishes she didn't exist",
                      "since our baby was born my partner keeps saying the baby has been swapped"],
    "minors_vulnerable": ["my kids are home alone and I'm stuck at work", "I'm his conservator",
                          "her carer has been stealing her money",
                          "there are bruises on her arms nobody can explain",
                          "my dad keeps giving out his credit card number to callers",
                          "her employer holds her passport and speaks for her",
                          "I'm 13 so can my mum come with me",
                          "his caregiver has been using his bank card",
                          "my gran let two men in who said her gutters needed doing",
                          "my father got scammed out of his savings by a man on the phone",
                          "my cousin has a learning disability and her fake friends keep "
                          "using her bank card",
                          "they lock him in his room without food when they go out",
                          "the girls at the nail bar sleep in the back room and the owner takes "
                          "their pay", "her boss has kept all of her wages since she arrived",
                          "my neighbour has dementia and her son slapped her yesterday",
                          "her boyfriend does all the talking for her at appointments",
                          "my dad is drunk every day so I get my little sisters ready for school"],
    "legal_complaint": ["you'll be hearing from my solicitor", "I'm taking you to small claims",
                        "I'm reporting your practice to the licensing board",
                        "you shared my records without my consent",
                        "I was served with a summons that names your dentist",
                        "I expect every cent back", "I'll be taking this matter further",
                        "I'm calling on behalf of my client, Mrs Jones",
                        "my attorney will contact you",
                        "we're joining the class action against your clinic",
                        "we'd prefer to go to mediation over this"],
    "human_request": ["are you a robot", "is anybody there", "I don't want an automated system",
                      "is there a receptionist I could talk to",
                      "can you put me through to someone", "is Maria in today?",
                      "customer care please", "zero, zero", "I keep pressing zero",
                      "can I speak with the hygienist directly",
                      "is there somebody there I can talk to"],
}
NEAR_MISSES = ["my name is Sue Miller", "is the filling going to hurt",
               "my filling came out, nothing urgent", "I've neglected my teeth for years",
               "I have a plan with Delta Dental", "can I make a payment plan",
               "the treatment has begun to help", "is someone available Saturday morning",
               "a member of staff told me to ring back about my bill",
               "I can't go on Tuesday, can we move it", "my food gets trapped between two teeth",
               "I'm confused about my bill", "my gums bleed a little when I floss",
               "is the numbing going to hurt me", "my son hit the ball with his head at soccer",
               "how many painkillers can I take after the extraction",
               "I wanted to say goodbye to the team, we're moving to Denver next month",
               "can I collect my medication from reception", "can I save my card for next time",
               "I have a court date on the 5th so I need to move my cleaning",
               "is the office open today", "is parking available today",
               "my kids love to jump off the diving board",
               "can you shoot me an email with my balance", "I'd like to take my whitening further",
               "I'm 15 minutes late", "I'm 16 weeks pregnant", "I'm 2 blocks away", "I'm 5 foot 2",
               "I'm an attorney, do you have early appointments", "I'm a client of yours",
               "my husband works as a lawyer downtown", "my attorney friend recommended you",
               "they're not moving my appointment again, are they",
               "my carer will drive me", "I got a shock when I saw the bill",
               "I'd rather die than have another root canal",
               "my wife's at her mother's this week, I'll come with her next time",
               "my dad is eighty and needs a check up", "I need to talk to my doctor first",
               "the builders are in so I'll be late", "sorry for the late notice",
               "I don't want to be here all afternoon, how long is a crown",
               "my kids don't want to be here at eight in the morning",
               "my mates always make me pay for the drinks", "can I pay with my friend's card",
               "I can't do Tuesdays anymore", "I can't do it any more on Mondays",
               "my dad passed away and I need to follow him up with his insurance",
               "I'm on a diet and I went hungry all day",
               "can I leave the kids in the waiting room",
               "I can't open my mouth wide", "my eyes are watering from hay fever",
               "I'm practicing meditation for my nerves about the dentist",
               "the fern in your waiting room should have died by now",
               "I don't see the point of another x-ray", "what's the point of flossing twice",
               "my boss keeps my schedule so I'll confirm tomorrow",
               "my son hits me up on text when he needs a ride",
               "can the pushchair be kept in the back room while I'm seen",
               "I'd like to speak to the hygienist at my appointment about whitening",
               "can I talk to the dentist during my check up about my jaw",
               "I need to update my emergency contact details",
               "my dad drinks a lot of coffee every day, will that stain his teeth",
               "my mum drinks tea all day, does it stain", "since the baby was born I haven't "
               "had time for a check-up", "my son's been scratching his arms because of his eczema",
               "could you send someone round for a home visit, my mum can't get out",
               "I can't speak right now, I'm on the train, can you text me"]


def _detector() -> Detector:
    settings = ROOT / "flows" / "settings"
    return Detector(load_matrix(settings / "escalation.yaml",
                                load_profile(settings / "practice.yaml")))


@pytest.mark.parametrize(("category", "text"),
                         [(c, t) for c, texts in WARNING_SIGNS.items() for t in texts])
def test_warning_signs_in_other_words_are_caught_by_the_patterns_alone(category, text):
    hit = _detector().detect(text, None)
    assert hit is not None and hit[0] == category, (text, hit)


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_ordinary_words_near_the_warning_signs_do_not_escalate(text):
    assert _detector().detect(text, None) is None, text


@pytest.mark.parametrize("answer", ["my tooth hurts", "I have a toothache",
                                    "a tooth that hurts", "I broke a tooth"])
def test_tooth_pain_is_a_visit_to_book_not_an_emergency(caller, answer):
    # the receptionist's own question offers "a tooth that hurts"; it once sent that answer to
    # the 911 line, and "I have a toothache" to the office manager
    result = caller.call(["I'd like to book an appointment", "Maria Garcia", "March 3rd 1985",
                          answer, "next Wednesday at 2 pm", "yes", "no thanks"],
                         caller="+14135550123")
    assert result.outcome["escalation"] is None, result.turns
    assert result.outcome["disposition"] == "booked", result.turns


def test_a_toothache_as_the_first_words_starts_a_booking(caller):
    result = caller.call(["I have a toothache, can I come in this week"], caller="+14135550123")
    assert result.outcome["escalation"] is None, result.turns
    assert result.outcome["flow"] == "book_appointment", result.turns
