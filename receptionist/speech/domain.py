"""What callers of this practice say: the text a domain language model is built from.

Built from the NLU training data (every example, annotations removed), the flows' vocabulary
hints and choices, the practice profile's names, and generated answers for each slot type
(dates, times, years, digits, yes and no). Numbers are written as words, as people say them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from receptionist.config.nlu_data import ANNOTATION, load_training_data
from receptionist.speech.numbers import MONTHS, ORDINALS, TENS, UNITS

NUMBER_NAMES = {v: k for k, v in UNITS.items() if k != "oh"} | {v: k for k, v in TENS.items()}
ORDINAL_NAMES = {v: k for k, v in ORDINALS.items()}
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
YES = ["yes", "yeah", "yes please", "that's right", "correct", "sure", "yes that works",
       "that works", "sounds good", "perfect", "okay", "yep", "that's fine", "absolutely"]
NO = ["no", "nope", "no thanks", "no thank you", "that's all", "that's it", "not really",
      "no that's wrong", "that's not right", "no that's all thank you", "nothing else"]
HUMAN = ["can i talk to a person", "i want to speak to a real person", "operator",
         "representative", "let me talk to someone", "agent please", "a human please"]


# the recording disclosure tells callers to say "no recording": the recogniser must know it
REFUSE = ["no recording", "no recording please", "please don't record this call",
          "don't record me", "do not record", "stop recording", "no recording thank you"]


def say_number(n: int) -> str:
    """0..99 in words."""
    if n < 20:
        return NUMBER_NAMES[n]
    tens, unit = divmod(n, 10)
    return NUMBER_NAMES[tens * 10] + ("" if unit == 0 else " " + NUMBER_NAMES[unit])


def say_ordinal(n: int) -> str:
    """1st..31st in words."""
    if n in ORDINAL_NAMES:
        return ORDINAL_NAMES[n]
    tens, unit = divmod(n, 10)
    return NUMBER_NAMES[tens * 10] + " " + ORDINAL_NAMES[unit]


def say_year(y: int) -> str:
    """1985 -> nineteen eighty five; 2010 -> twenty ten."""
    hi, lo = divmod(y, 100)
    if lo == 0:
        return say_number(hi) + " hundred"
    return say_number(hi) + " " + ("oh " + say_number(lo) if lo < 10 else say_number(lo))


def verbalise(text: str) -> str:
    """Write digits as words: '10:30' -> 'ten thirty', '1985' -> 'nineteen eighty five'."""

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if ":" in token:
            h, mm = token.split(":")
            return say_number(int(h)) + ("" if mm == "00" else " " + (
                "oh " + say_number(int(mm)) if int(mm) < 10 else say_number(int(mm))))
        ordinal = re.fullmatch(r"(\d+)(st|nd|rd|th)", token)
        if ordinal and 0 < int(ordinal.group(1)) < 32:
            return say_ordinal(int(ordinal.group(1)))
        n = int(re.sub(r"\D", "", token) or 0)
        if 1900 <= n <= 2099 and len(token) == 4:
            return say_year(n)
        if n < 100:
            return say_number(n)
        return " ".join(NUMBER_NAMES[int(d)] for d in re.sub(r"\D", "", token))

    return re.sub(r"\d+:\d\d|\d+(?:st|nd|rd|th)\b|\d+", one, text)


def clean(text: str) -> str:
    """Lower case words only, as a recogniser writes them."""
    text = verbalise(ANNOTATION.sub(lambda m: m.group("text"), text))
    text = text.lower().replace("dr.", "doctor").replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z' ]+", " ", text)).strip()


def ages() -> list[str]:
    """How a child says how old they are (the minors escalation listens for it)."""
    return [f"{lead} {say_number(n)}{tail}" for n in range(5, 18)
            for lead in ("i'm", "i'm only", "he's", "she's") for tail in ("", " years old")]


def slot_answers(kind: str) -> list[str]:
    """Typical answers to a question for one slot type."""
    if kind == "yes_no":
        return YES + NO
    if kind in ("date", "dob", "datetime"):
        days = [f"{m} {say_ordinal(d)}" for m in MONTHS for d in (1, 3, 5, 12, 15, 21, 28, 30)]
        years = [f"{m} {say_ordinal(d)} {say_year(y)}" for m, d, y in zip(
            MONTHS * 5, range(1, 31), range(1950, 2020, 1), strict=False)]
        rel = [f"{p} {w}" for p in ("next", "this", "on") for w in WEEKDAYS]
        return days + years + rel + ["tomorrow", "the day after tomorrow", "next week"] + (
            slot_answers("time") if kind == "datetime" else [])
    if kind == "time":
        hours = [say_number(h) for h in range(1, 13)]
        return ([f"{h} am" for h in hours] + [f"{h} pm" for h in hours]
                + [f"{h} thirty" for h in hours] + [f"at {h} o'clock" for h in hours]
                + [f"{w} at {h}" for w in WEEKDAYS[:5] for h in hours[7:12] + hours[:4]]
                + ["in the morning", "in the afternoon", "first thing", "after lunch"])
    if kind in ("phone", "digits"):
        return [" ".join(say_number(int(d)) for d in s) for s in (
            "4135550123", "6175550199", "5551234", "0123", "2468", "13579")]
    return []


def corpus(nlu_data_dir: Path, world: Any = None) -> list[str]:
    """Every sentence the domain language model learns from (unique, cleaned)."""
    data = load_training_data([nlu_data_dir])
    lines = [e.text for e in data.examples]
    for values in data.lookups.values():
        lines += values
    lines += list(data.synonyms)
    lines += YES + NO + HUMAN + REFUSE * 3 + ages()
    for kind in ("yes_no", "date", "time", "phone", "datetime"):
        lines += slot_answers(kind)
    if world is not None:
        lines += _world_words(world)
    return list(dict.fromkeys(c for c in (clean(line) for line in lines) if c))


def expand(pattern: str, limit: int = 24, top: bool = True) -> list[str]:
    """The phrases a simple regex matches: alternatives, optional parts, `'?`.

    Crude, but enough to put the escalation matrix's phrases into the language model.
    """
    pattern = re.sub(r"\\b|\\s\+?|\^|\$", " ", pattern).replace("[- ]", " ")
    if re.search(r"[\[\]{}*+\\]", pattern):
        return []
    results = [""]
    i = 0
    while i < len(pattern) and len(results) <= limit:
        ch = pattern[i]
        if ch == "(":
            depth, j = 1, i + 1
            while j < len(pattern) and depth:
                depth += {"(": 1, ")": -1}.get(pattern[j], 0)
                j += 1
            options = [o for alt in _split(pattern[i + 1:j - 1]) for o in expand(alt, limit, False)]
            optional = j < len(pattern) and pattern[j] == "?"
            options += [""] if optional else []
            results = [r + o for r in results for o in options][:limit * 2]
            i = j + (1 if optional else 0)
        elif ch == "|":
            return results + expand(pattern[i + 1:], limit, top)
        elif i + 1 < len(pattern) and pattern[i + 1] == "?":
            results = [r + o for r in results for o in (ch, "")]
            i += 2
        else:
            results = [r + ch for r in results]
            i += 1
    if not top:
        return results[:limit]
    return [re.sub(r"\s+", " ", r).strip() for r in results][:limit]


def _split(body: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(body):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            parts.append(body[start:k])
            start = k + 1
    return parts + [body[start:]]


def _world_words(world: Any) -> list[str]:
    profile = world.profile
    lines = [profile.name]
    for group in ("providers", "staff"):
        for person in getattr(profile, group, []) or []:
            name = getattr(person, "name", None) or str(person)
            lines += [name, f"with {name}"]
    lines += [f"{i} insurance" for i in profile.insurers_accepted]
    for category in world.matrix.categories.values():
        for pattern in getattr(category, "patterns", ()) or ():
            lines += expand(getattr(pattern, "pattern", pattern))
    for flow in world.flows.flows.values():
        for step in flow.steps:
            lines += list(getattr(step, "hints", ()) or ())
            lines += [o.replace("_", " ") for o in getattr(step, "options", ()) or ()]
    return lines
