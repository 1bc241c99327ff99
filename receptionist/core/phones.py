"""Phone numbers: one place that normalises them to E.164 (US numbers by default)."""

from __future__ import annotations

import phonenumbers


def e164(raw: str, *, valid_only: bool = False) -> str | None:
    """E.164 for a possible (or, with valid_only, a valid) number; None otherwise."""
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        return None
    # a number only dialable locally (seven digits, no area code) cannot be called back
    ok = phonenumbers.is_valid_number(number) if valid_only else \
        phonenumbers.is_possible_number_with_reason(number) \
        == phonenumbers.ValidationResult.IS_POSSIBLE
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None
