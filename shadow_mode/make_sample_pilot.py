"""Write shadow_mode/sample_pilot.jsonl: 50 human-handled calls for the demo and the tests.

The calls are written for this project (below), each with what the front desk did; a seeded
random generator only spreads them over two weeks and office hours and picks caller IDs.

    .venv/bin/python shadow_mode/make_sample_pilot.py
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

S, C = "staff", "caller"
# (caller number or None for a random one, human outcome, [(speaker, text), ...])
CALLS = [
    ("+14135550123", ("book_appointment", None, True), [
        (S, "Bright Smile Dental, this is Karen."), (C, "hi Karen, I need to book a cleaning"),
        (S, "Sure, date of birth?"), (C, "March 3rd 1985"), (S, "What day works?"),
        (C, "Tuesday, no sorry, Wednesday at 9 am"), (C, "yes that's fine")]),
    (None, ("book_appointment", None, True), [
        (C, "hello, how are you doing today"), (S, "Good thanks, how can I help?"),
        (C, "I'm a new patient and I'd like to schedule an exam"), (C, "Sam Rivera"),
        (C, "May 12 1990"), (C, "yes"), (C, "checkup"), (C, "tomorrow at 3"), (C, "yes")]),
    (None, ("book_appointment", None, True), [
        (C, "I need to make an appointment for my six month checkup"), (C, "Priya Shah"),
        (C, "August 14 1992"), (C, "this number is fine"), (C, "checkup"),
        (C, "next Monday morning"), (C, "sure")]),
    (None, ("book_appointment", None, True), [
        (C, "um yeah I was hoping to get in to see Dr. Lee about a filling"), (C, "Tom Becker"),
        (C, "January 2nd 1975"), (C, "yes"), (C, "Thursday afternoon"), (C, "yes please")]),
    (None, ("book_appointment", None, False), [
        (C, "can I book a cleaning"), (C, "Ana Lopez"), (C, "June 30 1988"), (C, "yes"),
        (C, "actually I need to check my work schedule first, I'll call back")]),
    ("+14135550177", ("book_appointment", None, True), [
        (C, "I'd like to book a cleaning for my husband"), (C, "David Chen"),
        (C, "December 1st 1978"), (C, "Friday at 10 am"), (C, "yes")]),
    (None, ("book_appointment", None, True), [
        (C, "do you have any openings next week for a cleaning"), (C, "Beth Morgan"),
        (C, "October 9 1969"), (C, "yes"), (C, "Tuesday at 11"), (C, "no, later"),
        (C, "Tuesday at 2 pm"), (C, "yes")]),
    ("+14135550123", ("reschedule_cancel", None, True), [
        (C, "I need to reschedule my appointment"), (C, "March 3rd 1985"),
        (C, "Friday at 11 am"), (C, "yes")]),
    ("+14135550123", ("reschedule_cancel", None, True), [
        (C, "hi, I have to cancel my appointment, something came up"), (C, "March 3rd 1985"),
        (C, "yes please cancel it")]),
    ("+14135550123", ("reschedule_cancel", None, True), [
        (C, "I want to cancel, wait no, can I move it instead"), (C, "March 3rd 1985"),
        (C, "reschedule"), (C, "next Thursday at 10 am"), (C, "yes")]),
    (None, ("reschedule_cancel", "staff_assist", False), [
        (C, "I need to move my appointment"), (C, "Jane Doe"), (C, "January 1st 1970"),
        (S, "Let me look that up for you.")]),
    (None, ("practice_info", None, True), [(C, "what are your hours"), (C, "no that's all")]),
    (None, ("practice_info", None, True), [
        (C, "hey quick question, are you open on Saturday"), (C, "ok thanks bye")]),
    (None, ("practice_info", None, True), [
        (C, "where are you located"), (S, "120 Harbor Street."), (C, "great thanks")]),
    (None, ("practice_info", None, True), [(C, "is there parking"), (C, "no")]),
    (None, ("practice_info", None, True), [
        (C, "how do I get to your office from the highway"), (C, "perfect, thank you")]),
    (None, ("practice_info", None, True), [
        (C, "what time do you close on Friday"), (C, "that's all")]),
    (None, ("insurance_billing", None, True), [
        (C, "do you take Delta Dental"), (C, "great, no that's it")]),
    (None, ("insurance_billing", None, True), [(C, "do you accept Medicaid"), (C, "ok")]),
    (None, ("insurance_billing", None, True), [
        (C, "I have Cigna, is that in network"), (C, "thanks")]),
    ("+14135550123", ("insurance_billing", None, True), [
        (C, "what's my balance"), (C, "March 3rd 1985"), (C, "no thanks")]),
    (None, ("insurance_billing", None, True), [
        (C, "what payment options do you have"), (C, "payment"), (C, "no")]),
    (None, ("insurance_billing", "staff_assist", True), [
        (C, "I have a question about a charge on my bill"), (C, "something else"),
        (S, "Let me get our billing coordinator.")]),
    (None, ("take_message", None, True), [
        (C, "can I leave a message for Dr. Patel"), (C, "Linda Park"), (C, "this number"),
        (C, "please call me about my crown"), (C, "no")]),
    (None, ("take_message", None, True), [
        (C, "I'd like Karen to call me back"), (C, "Mike Russo"), (C, "413 555 0166"),
        (C, "it's about the invoice she sent"), (C, "no thanks")]),
    (None, ("take_message", None, True), [
        (C, "I'm returning a call from Dr. Lee"), (C, "Grace Kim"), (C, "this number"),
        (C, "just returning his call"), (C, "no")]),
    (None, (None, "safety", False), [
        (C, "my face is really swollen and I can't breathe well"),
        (S, "Please hang up and call 911, I'm getting the dentist.")]),
    (None, (None, "safety", False), [
        (C, "I had a tooth pulled yesterday and the bleeding won't stop"),
        (S, "Let me put you through to Dr. Patel right away.")]),
    (None, (None, "human_request", False), [(C, "can I talk to a real person")]),
    (None, ("book_appointment", "human_request", True), [
        (C, "I'd like to book a checkup"), (C, "ugh, let me speak to the receptionist")]),
    (None, (None, "legal_complaint", False), [
        (C, "I want a refund for the crown, it fell out after a week"),
        (S, "I'm sorry, I'll get our office manager.")]),
    (None, (None, "mental_health", False), [
        (C, "honestly I've been feeling hopeless and I don't know who to call"),
        (S, "I'm so sorry, let me stay with you and get someone.")]),
    (None, (None, "minors_vulnerable", False), [
        (C, "I'm calling about my daughter's appointment, her dad has custody this week"),
        (S, "Let me get our office manager.")]),
    (None, ("out_of_scope", "out_of_scope", True), [
        (C, "do you sell teeth whitening kits online"), (S, "Let me check with the team.")]),
    (None, ("out_of_scope", "out_of_scope", True), [
        (C, "I need my x-rays sent to another dentist"), (S, "I can help with that.")]),
    (None, ("out_of_scope", "out_of_scope", True), [
        (C, "are you hiring hygienists"), (S, "I'll transfer you to Karen.")]),
]
REPEAT = [0, 1, 2, 3, 11, 12, 13, 14, 17, 18, 19, 23, 24, 28]  # common calls happen again


def build(seed: int = 7) -> list[dict]:
    """The 50 calls with caller IDs and start times."""
    rng = random.Random(seed)
    tz = ZoneInfo("America/New_York")
    start = datetime(2026, 11, 2, 8, 30, tzinfo=tz)
    scripts = CALLS + [CALLS[i] for i in REPEAT]
    out = []
    for n, (number, (call_type, reason, resolved), turns) in enumerate(scripts[:50]):
        day = start + timedelta(days=rng.randrange(0, 12), minutes=rng.randrange(0, 480))
        while day.weekday() >= 5:
            day += timedelta(days=1)
        t, lines = 0.0, []
        for speaker, text in turns:
            lines.append({"speaker": speaker, "text": text, "t": round(t, 1)})
            t += rng.uniform(3.0, 9.0)
        out.append({"call_id": f"pilot-{n + 1:03d}",
                    "from": number or f"+1413555{rng.randrange(2000, 9999):04d}",
                    "started_at": day.isoformat(), "turns": lines,
                    "human": {"call_type": call_type, "escalated": reason is not None,
                              "escalation_reason": reason, "resolved": resolved}})
    return out


if __name__ == "__main__":
    path = Path(__file__).with_name("sample_pilot.jsonl")
    path.write_text("".join(json.dumps(call) + "\n" for call in build()))
    print(f"wrote {path}")
