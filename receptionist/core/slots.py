"""Turn a caller's answer into a slot value, or say why it is not one (pure: no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from receptionist.core import dates
from receptionist.core.events import NluResult
from receptionist.core.flowspec import CollectStep
from receptionist.core.phones import e164
from receptionist.core.profile import PracticeProfile

YES = re.compile(r"\b(yes|yeah|yep|yup|sure|correct|right|ok|okay|absolutely|definitely|"
                 r"please do|sounds good|that works|perfect|great|fine|uh huh|go ahead|"
                 r"of course|affirmative|that's me|it is)\b", re.I)
NO = re.compile(r"\b(no|nope|nah|not|don't|doesn't|wrong|incorrect|negative|never mind)\b", re.I)
# Words a person's name is not made of: a question or a sentence about something else is not
# taken as the caller's name ("are you open" once became a patient's first and last name).
NOT_NAMES = frozenset("""a about am an and any appointment are at be book booking call can
cancel cleaning could did do does doing for from get going have help hello hi hours how i i'm
in insurance is it just know like me my need no not of on open or please question sorry that
the there this to today tomorrow want was we what when where which who why will with would yes
you your here had has were we're they're you're he she they them our out up all got come coming
back but so if been don't can't won't i'll i've us""".split())
NAME_PREFIX = re.compile(r"^(?:(?:yes|yeah|hi|hello|sure|ok|okay)[, ]+)?(?:my name is|my name's|"
                         r"this is|it's|it is|i'm|i am|name's|the name is|the patient is|"
                         r"the patient's name is)\s+", re.I)
SAME_NUMBER = re.compile(r"\b(this|same|the number i'm calling from|current|my cell|this one)\b",
                         re.I)
MAX_DAYS_AHEAD = 180


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading one answer: a value, or None with a hint for the re-ask."""

    value: Any = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the answer filled the slot."""
        return self.value is not None


def parse(step: CollectStep, text: str, nlu: NluResult | None, *, digits: str | None,
          profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    """Read one answer to a collect step."""
    reader = READERS[step.type]
    return reader(step, text.strip(), nlu, digits, profile, now, caller)


def yes_or_no(text: str, nlu: NluResult | None, digits: str | None) -> bool | None:
    """True for a yes, False for a no (1 and 2 on the keypad), None for neither."""
    if digits:
        return {"1": True, "2": False}.get(digits[0])
    if re.match(r"^\s*(no|nope|nah)\b", text, re.I):
        return False
    if NO.search(text) and not YES.match(text):
        return False
    if YES.search(text):
        return True
    if nlu and nlu.intent in ("affirm", "deny") and nlu.confidence >= 0.6:
        return nlu.intent == "affirm"
    return None


def _yes_no(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
            profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    answer = yes_or_no(text, nlu, digits)
    return Parsed(answer) if answer is not None else Parsed(problem="a yes or a no")


def grouped(digits: str) -> str:
    """Digits as a phone number is said: "4 1 3, 5 5 5, 0 1 2 3"."""
    return ", ".join(" ".join(g) for g in (digits[:3], digits[3:6], digits[6:]) if g)


def spoken(value: Any, kind: str) -> str:
    """A slot value as the receptionist says it back: a phone number digit by digit."""
    if isinstance(value, dict):
        return str(value.get("label") or value)
    text = str(value)
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        return grouped(digits[1:] if len(digits) == 11 and digits.startswith("1") else digits)
    if kind == "dob":
        day = date.fromisoformat(text)
        return f"{day.strftime('%B')} {day.day}, {day.year}"
    return text


def _choice(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
            profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    options = list(step.options.items())
    if digits and digits[0].isdigit() and 1 <= int(digits[0]) <= len(options):
        return Parsed(options[int(digits[0]) - 1][0])
    lowered = text.lower()
    for value, words in options:
        if any(re.search(rf"\b{re.escape(w.lower())}\b", lowered) for w in (value, *words)):
            return Parsed(value)
    return Parsed(problem="one of: " + ", ".join(v.replace("_", " ") for v, _ in options))


def _named(candidates: dict[str, tuple[str, ...]], text: str, nlu: NluResult | None,
           entity: str) -> str | None:
    if nlu:
        found = nlu.entity(entity)
        if found is not None and str(found.value).lower() in candidates:
            return str(found.value).lower()
    lowered = text.lower()
    best = None
    for key, words in candidates.items():
        for word in words:
            if re.search(rf"\b{re.escape(word.lower())}\b", lowered):
                if best is None or len(word) > best[1]:
                    best = (key, len(word))
    return best[0] if best else None


def _person(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
            profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    people = {p.id: (p.name, p.name.split()[-1], *p.aliases) for p in profile.people()}
    found = _named(people, text, nlu, "person")
    if found is None:
        names = ", ".join(p.name for p in profile.people())
        return Parsed(problem=f"one of these names: {names}")
    person = next(p for p in profile.people() if p.id == found)
    return Parsed({"id": person.id, "name": person.name, "role": person.role,
                   "label": person.name})


def _appointment_type(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
                      profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    kinds = {k: (k, *t.synonyms) for k, t in profile.appointment_types.items()}
    found = _named(kinds, text, nlu, "appointment_type")
    if found is None:
        return Parsed(problem="for example a cleaning, a checkup or a toothache")
    kind = profile.appointment_types[found]
    return Parsed({"id": found, "label": kind.label, "minutes": kind.minutes})


# the question around an insurer's name: "do you take heat net" is asking about "heat net"
_INSURER_FRAME = re.compile(
    r"^(hi|hello|yes|yeah|um|uh|so|and|also|ok(ay)?)?[ ,]*"
    r"(do|does|will|would|can|could) (you|your (office|practice)|the (office|practice)) "
    r"(guys )?(take|accept|work with|bill|deal with|handle)|^(are|is) (you|your (office|practice))"
    r" (guys )?(in[- ]network|in|with|part of|covered by|a provider for|providers? for)( with)?"
    r"|^(i have|i've got|i'm (with|on|covered by)|my (insurance|insurer|plan|carrier|provider) "
    r"is( with)?|it'?s|what about|how about)\b"
    r"|\b(insurance|dental (plan|insurance)|plan|please)\s*\??$", re.I)


_NOT_A_NAME = frozenset({"my", "our", "your", "his", "her", "their", "the", "a", "an", "this",
                         "that", "it", "mine", "any", "all", "every", "most", "which"})


def _insurer(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
             profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    known = {i.lower(): (i, *i.split()[:1]) for i in profile.insurers_accepted
             + profile.insurers_not_accepted}
    found = _named(known, text, nlu, "insurer")
    if found is None:
        named = _INSURER_FRAME.sub("", text).strip(" ?.,")
        if nlu and nlu.intent in ("deny", "affirm", "goodbye") or len(named.split()) > 6 \
                or not named or named.lower() in _NOT_A_NAME:  # "do you take my insurance"
            return Parsed(problem="the name of your insurance company")
        return Parsed({"name": named, "accepted": None, "label": named})
    name = next(i for i in profile.insurers_accepted + profile.insurers_not_accepted
                if i.lower() == found)
    return Parsed({"name": name, "accepted": name in profile.insurers_accepted, "label": name})


def _name(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
          profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    if nlu:
        person = nlu.entity("person_name")
        if person is not None and len(str(person.value).split()) >= 2:
            return Parsed(_title(str(person.value)))
    cleaned = spoken_name(text)
    return Parsed(_title(cleaned)) if cleaned else Parsed(problem="your first and last name")


def spoken_name(text: str) -> str | None:
    """The name in an answer ("it's Maria Garcia"), or None if it is not one ("we're here")."""
    cleaned = NAME_PREFIX.sub("", text).strip(" .,!")
    cleaned = re.sub(r"\b(please|thanks|thank you)\b", "", cleaned, flags=re.I).strip(" .,")
    words = cleaned.split()
    if 1 <= len(words) <= 4 and all(re.fullmatch(r"[A-Za-z][A-Za-z'\-.]*", w) for w in words) \
            and not text.strip().endswith("?") and not NOT_NAMES & {w.lower() for w in words} \
            and not YES.fullmatch(cleaned) and not NO.fullmatch(cleaned):
        return cleaned
    return None


def _title(name: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in name.split())


def _phone(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
           profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    raw = digits or text
    if not digits and (SAME_NUMBER.search(text) or YES.match(text)) and caller:
        return Parsed(caller)
    number = e164(re.sub(r"[^\d+]", "", raw))
    return Parsed(number) if number else Parsed(problem="a ten-digit phone number")


def _when(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
          profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    local_now = now.astimezone(profile.tz)
    entity = nlu.entity("datetime") if nlu else None
    found = entity.value if entity else None
    found = found or dates.resolve(text, local_now)
    if not found or (step.type != "time" and "date" not in found):
        return Parsed(problem="a day, like tomorrow or next Tuesday")
    if step.type == "time":
        return Parsed({"time": found["time"]} if "time" in found else None,
                      problem=None if "time" in found else "a time, like 10 a.m.")
    day = date.fromisoformat(found["date"])
    if day < local_now.date():
        return Parsed(problem="a day that hasn't passed yet")
    if day > local_now.date() + timedelta(days=MAX_DAYS_AHEAD):
        return Parsed(problem="a day within the next six months")
    if profile.opening(day) is None:
        return Parsed(problem=f"a day we're open; we're closed on {day.strftime('%A, %B %-d')}")
    label = day.strftime("%A, %B %-d") + (f" at {_clock(found['time'])}" if "time" in found else "")
    return Parsed({"date": found["date"], "time": found.get("time"), "label": label})


def _clock(hhmm: str) -> str:
    t = datetime.strptime(hhmm, "%H:%M")
    return t.strftime("%-I:%M %p").replace(":00", "").replace("AM", "a.m.").replace("PM", "p.m.")


def _dob(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
         profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    source = text
    if digits and len(digits) == 8:
        source = f"{digits[:2]}/{digits[2:4]}/{digits[4:]}"
    found = dates.resolve_dob(source, now.astimezone(profile.tz).date())
    if found is None:
        return Parsed(problem="your date of birth with the year, like March 3rd, 1985")
    return Parsed(found.isoformat())


def _digits(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
            profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    found = digits or re.sub(r"\D", "", text)
    return Parsed(found or None, problem=None if found else "the number, using your keypad")


def _text(step: CollectStep, text: str, nlu: NluResult | None, digits: str | None,
          profile: PracticeProfile, now: datetime, caller: str) -> Parsed:
    return Parsed(text or None, problem=None if text else "your message")


READERS = {
    "yes_no": _yes_no, "choice": _choice, "person": _person, "appointment_type": _appointment_type,
    "insurer": _insurer, "name": _name, "phone": _phone, "date": _when, "datetime": _when,
    "time": _when, "dob": _dob, "digits": _digits, "text": _text,
}
