"""Redaction of personal data in logs, exports and reports; card numbers never stored at all."""

from __future__ import annotations

import logging
import re
from typing import Any

import phonenumbers

DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
               "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SSN = re.compile(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b")
DIGIT_RUN = re.compile(r"(?<![\d])(?:\d[ -]?){12,18}\d(?![\d])")
SPOKEN_RUN = re.compile(r"\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
                        r"[\s,-]+){12,18}(?:zero|oh|one|two|three|four|five|six|seven|eight|"
                        r"nine)\b", re.I)
MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATES = [re.compile(r"\b\d{1,2}[/-]\d{1,2}[/-]\d{2,4}\b"),
         re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?![ T]\d{2}:\d{2})"),  # not a log timestamp
         re.compile(rf"\b(?:{MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}\b", re.I),
         re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{MONTHS}),? \d{{4}}\b", re.I)]
CARD_REMOVED = "[card number removed]"


def luhn(digits: str) -> bool:
    """The Luhn checksum card numbers carry."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def strip_cards(text: str) -> str:
    """Remove card numbers (digits or spoken digits, Luhn-valid, 13-19 long) from text."""

    def digits_of(match: str) -> str:
        words = re.findall(r"[a-z]+|\d", match.lower())
        return "".join(DIGIT_WORDS.get(w, w) for w in words)

    def replace(match: re.Match[str]) -> str:
        digits = digits_of(match.group(0))
        return CARD_REMOVED if 13 <= len(digits) <= 19 and luhn(digits) else match.group(0)

    return SPOKEN_RUN.sub(replace, DIGIT_RUN.sub(replace, text))


def redact(text: str) -> str:
    """Mask phone numbers, dates (of birth), card numbers, SSNs and emails in text."""
    if not text:
        return text
    out = strip_cards(text)
    out = EMAIL.sub("[email]", out)
    out = SSN.sub("[ssn]", out)
    for pattern in DATES:
        out = pattern.sub("[date]", out)
    for match in reversed(list(phonenumbers.PhoneNumberMatcher(out, "US"))):
        out = out[:match.start] + "[phone]" + out[match.end:]
    return re.sub(r"\+\d{10,15}\b", "[phone]", out)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


LONE_DIGITS = re.compile(r"(?<!\w)\d{6,}(?!\w)")  # keyed dates of birth, account numbers


def redact_log(text: str) -> str:
    """Log text with personal data masked, and any lone run of six or more digits too."""
    return LONE_DIGITS.sub("[digits]", redact(text))


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter: the finished line (traceback included) is redacted."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Format with the wrapped formatter, then mask personal data in the whole text."""
        return redact_log(self.inner.format(record))


def redact_handler(handler: logging.Handler) -> None:
    """Make one handler redact everything it writes (idempotent)."""
    if not isinstance(handler.formatter, RedactingFormatter):
        handler.setFormatter(RedactingFormatter(handler.formatter))


def install_log_redaction() -> None:
    """Redact personal data in everything any logger writes, at the handlers.

    Records from every logger reach the root's handlers (or gunicorn's), so redaction there
    covers child loggers, third-party libraries and traceback text alike. A root logger with no
    handler gets one on stderr, so nothing falls through to Python's unformatted last resort.
    """
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))
    for name in ("", "gunicorn.error", "gunicorn.access", "werkzeug"):
        for handler in logging.getLogger(name).handlers:
            redact_handler(handler)
