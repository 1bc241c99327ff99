"""Spoken numbers in recognised text -> digits, so the NLU reads 'three thirty' as '3:30'.

Recognisers write what they hear in words; dates, times, phone numbers and dates of birth are
parsed from digits. This is the inverse of what a TTS front end does (inverse text
normalisation), limited to the forms a receptionist's callers use: "oh" and "double five" in
numbers, "nineteen eighty-five" and "two thousand and ten", "the third of March", "three
thirty". Both paths use it: the local recogniser's words and Twilio's `SpeechResult`. Words
that are not numbers keep their case and punctuation.
"""

from __future__ import annotations

import re

UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
UNITS["oh"] = 0
TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if w != "_"}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
SUFFIX = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}
MONTHS = ("january february march april may june july august september october november "
          "december").split()
NUMBER_WORDS = set(UNITS) | set(TENS) | set(ORDINALS) | {"hundred", "thousand", "o'clock"}


def _ordinal(n: int) -> str:
    return f"{n}{SUFFIX.get(n, 'th')}"


def _number(words: list[str], i: int) -> tuple[int | None, int]:
    """Read a cardinal below 100 at words[i]; return (value, words used)."""
    w = words[i]
    if w in TENS:
        if i + 1 < len(words) and words[i + 1] in UNITS and 0 < UNITS[words[i + 1]] < 10:
            return TENS[w] + UNITS[words[i + 1]], 2
        return TENS[w], 1
    if w in UNITS:
        return UNITS[w], 1
    return None, 0


def _ordinal_at(words: list[str], i: int) -> tuple[int | None, int]:
    w = words[i]
    if w in ORDINALS:
        return ORDINALS[w], 1
    if w in TENS and i + 1 < len(words) and words[i + 1] in ORDINALS \
            and ORDINALS[words[i + 1]] < 10:
        return TENS[w] + ORDINALS[words[i + 1]], 2
    return None, 0


def _year(words: list[str], i: int) -> tuple[int | None, int]:
    """'nineteen eighty five', 'two thousand ten', 'twenty ten'."""
    if words[i] == "two" and i + 1 < len(words) and words[i + 1] == "thousand":
        skip = 1 if i + 2 < len(words) and words[i + 2] == "and" else 0
        rest, used = (_number(words, i + 2 + skip) if i + 2 + skip < len(words) else (None, 0))
        return 2000 + (rest or 0), 2 + (skip + used if rest is not None else 0)
    century, used = _number(words, i)
    if century in (19, 20) and i + used < len(words):
        rest, more = _number(words, i + used)
        if rest is not None and rest >= 10:
            return century * 100 + rest, used + more
        if words[i + used] == "oh" and i + used + 1 < len(words):
            digit, more = _number(words, i + used + 1)
            if digit is not None and digit < 10:
                return century * 100 + digit, used + 1 + more
    return None, 0


TOKEN = re.compile(r"[A-Za-z\d']+(?:[:.]\d+)*|[^\sA-Za-z\d']")
REPEAT = {"double": 2, "triple": 3}


def normalise(text: str) -> str:
    """Rewrite spoken dates, times, years and digit strings as digits."""
    tokens = TOKEN.findall(re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text, flags=re.I))
    words = [t.lower() for t in tokens]
    if not any(w in NUMBER_WORDS or w in REPEAT for w in words):
        return text  # nothing said in words: the text stays exactly as it was
    out: list[str] = []
    i = 0
    while i < len(words):
        before = len(out)
        nxt = _step(words, i, out)
        if nxt == i + 1 and out[before:] == [words[i]]:
            out[before] = tokens[i]  # not a number: the word as it was said
        i = nxt
    joined = " ".join(out)
    joined = re.sub(r"\s+([,.!?;:])", r"\1", joined)
    return re.sub(r"(?<=\d) (?=\d)", "", joined) if _digits_only_run(joined) else \
        re.sub(r"\s+", " ", joined).strip()


def _digits_only_run(text: str) -> bool:
    """A phone number said in groups ('413 555 0123') reads as one number."""
    return bool(re.fullmatch(r"[\d ]{7,}", text.strip()))


def _step(words: list[str], i: int, out: list[str]) -> int:
    w = words[i]
    if w == "oh" and not (i + 1 < len(words) and (words[i + 1] in UNITS or words[i + 1] in REPEAT)):
        out.append(w)  # "oh, I see": an interjection, not a zero
        return i + 1
    if w in REPEAT and i + 1 < len(words) and words[i + 1] in UNITS \
            and UNITS[words[i + 1]] < 10:
        return _cardinal_run(words, i, out)
    if w in MONTHS and i + 1 < len(words) and _year(words, i + 1)[1] >= 2:
        out.append(w)
        return i + 1
    if w in MONTHS and i + 1 < len(words):
        day, used = _ordinal_at(words, i + 1)
        if day is None:
            day, used = _number(words, i + 1)
        if day is not None and 1 <= day <= 31:
            out.append(f"{w} {_ordinal(day)}")
            j = i + 1 + used
            year, more = _year(words, j) if j < len(words) else (None, 0)
            if year:
                out.append(str(year))
            return j + more
    year, used = _year(words, i)
    if year and used >= 2:
        out.append(str(year))
        return i + used
    day, used = _ordinal_at(words, i)
    if day is not None:
        out.append(_ordinal(day))
        return i + used
    if w in UNITS or w in TENS:
        return _cardinal_run(words, i, out)
    out.append(w)
    return i + 1


def _cardinal_run(words: list[str], i: int, out: list[str]) -> int:
    """A time ('three thirty pm', 'nine o'clock') or a run of digits ('four one three')."""
    if words[i] in REPEAT:
        return _digit_run(words, i, out)
    first, used = _number(words, i)
    j = i + used
    nxt = words[j] if j < len(words) else ""
    if first is not None and 1 <= first <= 12 and nxt in ("am", "pm", "a.m.", "p.m.",
                                                          "o'clock", "oclock"):
        out.append(f"{first} {nxt.replace('.', '')}" if "clock" not in nxt else f"{first}:00")
        return j + 1
    if first is not None and 1 <= first <= 12 and nxt in TENS | {"oh": 0}:
        minutes, more = (_number(words, j + 1) if nxt == "oh" else _number(words, j))
        if minutes is not None and (nxt != "oh" or minutes < 10):
            used_m = more + (1 if nxt == "oh" else 0)
            out.append(f"{first}:{minutes:02d}")
            return j + used_m
    if first is not None and first < 10:
        return _digit_run(words, i, out)
    out.append(str(first))
    return j


def _digit_run(words: list[str], i: int, out: list[str]) -> int:
    """Digits said one by one, with 'oh' for zero and 'double'/'triple' repeats."""
    digits, j = "", i
    while j < len(words):
        times = REPEAT.get(words[j], 1)
        k = j + (times > 1)
        if k < len(words) and words[k] in UNITS and UNITS[words[k]] < 10:
            digits += str(UNITS[words[k]]) * times
            j = k + 1
        else:
            break
    out.append(digits if j - i > 1 or words[i] != "one" else "one")  # "the blue one"
    return j
