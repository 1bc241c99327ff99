"""Resolve spoken dates and times ("next Tuesday at 3") to concrete values in a timezone.

Conventions, as a receptionist would hear them: a bare weekday or "this <weekday>" is the next
such day (today counts only for "today"); "next <weekday>" is that day in next calendar week
(weeks start on Monday); an hour from 1 to 6 without a.m./p.m. is afternoon (office hours).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import dateparser

MONTHS = {m: i + 1 for i, m in enumerate(
    ("january february march april may june july august september october november december")
    .split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9})
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_ALIASES = {d[:3]: i for i, d in enumerate(DAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
DAY_ALIASES.update({d: i for i, d in enumerate(DAYS)})
NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
ORDINALS = {w: i + 1 for i, w in enumerate(
    ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
     "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth")
    .split())}
ORDINALS.update({f"twenty {w}": 20 + n for w, n in list(ORDINALS.items()) if n < 10})
ORDINALS.update({"twenty-" + w: 20 + n for w, n in list(ORDINALS.items()) if n < 10})
ORDINALS.update({"thirtieth": 30, "thirty first": 31, "thirty-first": 31})
PARTS = {"morning": "09:00", "afternoon": "13:00", "evening": "16:00", "noon": "12:00",
         "midday": "12:00", "lunchtime": "12:00", "first thing": "08:00", "end of the day": "16:00"}

_DAY_RE = "|".join(sorted(DAY_ALIASES, key=len, reverse=True))
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORD_RE = "|".join(sorted((re.escape(k) for k in ORDINALS), key=len, reverse=True))
_NUM_RE = "|".join(NUMBERS)


MAX_DAYS_AWAY = 3 * 366  # a day further than this from today is not a booking date

def resolve(text: str, now: datetime) -> dict[str, str] | None:
    """Return {"date", "time"?, "text"} for the first date or time mentioned, or None."""
    lowered = " " + re.sub(r"[,.!?]", " ", text.lower()) + " "
    lowered = re.sub(r"\s+", " ", lowered)
    day = _resolve_day(lowered, now.date())
    clock = resolve_time(lowered)
    if day is None and clock is None:
        return None
    out = {"text": text.strip()}
    if day is not None:
        out["date"] = day.isoformat()
    if clock is not None:
        out["time"] = clock.strftime("%H:%M")
    return out


def _resolve_day(s: str, today: date) -> date | None:
    """The first day found; absurd ones ("in 99999999999 days") are no day at all."""
    for finder in (_relative, _weekday, _month_day, _numeric, _ordinal_only):
        try:
            found = finder(s, today)
        except (OverflowError, ValueError):
            return None
        if found is not None:
            return found if abs((found - today).days) <= MAX_DAYS_AWAY else None
    return None


def _relative(s: str, today: date) -> date | None:
    if " day after tomorrow " in s:
        return today + timedelta(days=2)
    if re.search(r" (tomorrow|tmrw) ", s):
        return today + timedelta(days=1)
    if re.search(r" (today|tonight|this (morning|afternoon|evening)) ", s):
        return today
    m = re.search(rf" in (\d+|{_NUM_RE}|a) (day|week)s? ", s)
    if m:
        n = 1 if m.group(1) == "a" else int(NUMBERS.get(m.group(1), m.group(1)))
        return today + timedelta(days=n * (7 if m.group(2) == "week" else 1))
    if " next week " in s and not re.search(rf" ({_DAY_RE}) ", s):
        return today + timedelta(days=7 - today.weekday())
    return None


def _weekday(s: str, today: date) -> date | None:
    m = re.search(rf" (?:(this|next|coming|on|this coming) )?({_DAY_RE})s? ", s)
    if not m:
        return None
    target = DAY_ALIASES[m.group(2)]
    ahead = (target - today.weekday()) % 7 or 7
    if m.group(1) == "next" or " next week " in s:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=target)
    return today + timedelta(days=ahead)


def _month_day(s: str, today: date) -> date | None:
    day_pat = rf"(\d{{1,2}})(?:st|nd|rd|th)?|({_ORD_RE})"
    m = re.search(rf" ({_MONTH_RE}) (?:the )?(?:{day_pat})(?: (\d{{4}}))? ", s)
    if m:
        month, day_num, year = MONTHS[m.group(1)], m.group(2) or ORDINALS[m.group(3)], m.group(4)
    else:
        m = re.search(rf" (?:the )?(?:{day_pat}) (?:of )?({_MONTH_RE})(?: (\d{{4}}))? ", s)
        if not m:
            return None
        month, day_num, year = MONTHS[m.group(3)], m.group(1) or ORDINALS[m.group(2)], m.group(4)
    return _future_date(today, month, int(day_num), int(year) if year else None)


def _numeric(s: str, today: date) -> date | None:
    m = re.search(r" (\d{1,2})[/-](\d{1,2})(?:[/-](\d{2,4}))? ", s)
    if not m:
        return None
    year = int(m.group(3)) if m.group(3) else None
    if year is not None and year < 100:
        year += 2000
    return _future_date(today, int(m.group(1)), int(m.group(2)), year)


def _ordinal_only(s: str, today: date) -> date | None:
    m = re.search(rf" the (\d{{1,2}})(?:st|nd|rd|th)? | the ({_ORD_RE}) ", s)
    if not m:
        return None
    day_num = int(m.group(1)) if m.group(1) else ORDINALS[m.group(2)]
    for month_offset in (0, 1, 2):
        month = (today.month - 1 + month_offset) % 12 + 1
        year = today.year + (today.month - 1 + month_offset) // 12
        try:
            found = date(year, month, day_num)
        except ValueError:
            continue
        if found >= today:
            return found
    return None


def _future_date(today: date, month: int, day: int, year: int | None) -> date | None:
    try:
        found = date(year or today.year, month, day)
    except ValueError:
        return None
    if year is None and found < today:
        found = found.replace(year=today.year + 1)
    return found


def resolve_time(s: str) -> time | None:
    """Find a clock time in lower-cased text padded with spaces."""
    if re.search(r" (noon|midday) ", s):
        return time(12, 0)
    m = re.search(r" (?:at |around |about |by )?(\d{1,2})(?::(\d{2})| (\d{2}))? ?"
                  r"(a\.?m\.?|p\.?m\.?|o'?clock) ", s)
    if not m:
        m = re.search(r" (?:at|around|about) (\d{1,2})(?::(\d{2}))?()() ", s)
    if m:
        return _clock(int(m.group(1)), int(m.group(2) or m.group(3) or 0), m.group(4) or "")
    m = re.search(rf" (?:at|around|about) ({_NUM_RE})(?: (thirty|fifteen|forty five|o'clock))?"
                  r"(?: (am|pm|a\.m\.|p\.m\.|in the morning|in the afternoon))? ", s)
    if m:
        minutes = {"thirty": 30, "fifteen": 15, "forty five": 45}.get(m.group(2) or "", 0)
        return _clock(NUMBERS[m.group(1)], minutes, m.group(3) or "")
    m = re.search(r" half past (\d{1,2}|" + _NUM_RE + ") ", s)
    if m:
        return _clock(int(NUMBERS.get(m.group(1), m.group(1))), 30, "")
    for phrase, hhmm in PARTS.items():
        if f" {phrase} " in s:
            return time.fromisoformat(hhmm)
    return None


def _clock(hour: int, minute: int, suffix: str) -> time | None:
    if not (0 <= minute < 60) or not (0 <= hour <= 23):
        return None
    suffix = suffix.replace(".", "")
    if suffix.startswith("p") or "afternoon" in suffix:
        hour = hour % 12 + 12
    elif suffix.startswith("a") or "morning" in suffix:
        hour = hour % 12
    elif 1 <= hour <= 6:
        hour += 12  # "at 3" at a dental office means the afternoon
    return time(hour, minute)


def resolve_dob(text: str, today: date) -> date | None:
    """Resolve a date of birth: a real past date with a four-digit year, at most 120 years ago."""
    s = " " + re.sub(r"[,.]", " ", text.lower()) + " "
    s = re.sub(r"\s+", " ", s)
    m = re.search(r" (\d{1,2})[/-](\d{1,2})[/-](\d{4}) ", s) or \
        re.search(r" (\d{1,2}) (\d{1,2}) (\d{4}) ", s)
    found: date | None = None
    if m:
        try:
            found = date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
        except ValueError:
            return None
    elif re.search(r"\d{4}", s) and (named := _month_day(s, today)) and named.year < today.year:
        found = named if re.search(rf" {named.year} ", s) else None
    if found is None and not m and re.search(r"\d{4}", s):
        try:
            parsed = dateparser.parse(text, languages=["en"],
                                      settings={"DATE_ORDER": "MDY", "PREFER_DATES_FROM": "past",
                                                "REQUIRE_PARTS": ["day", "month", "year"]})
        except (OverflowError, ValueError):
            parsed = None
        found = parsed.date() if parsed else None
    if found is None or not (date(today.year - 120, 1, 1) <= found < today):
        return None
    return found
