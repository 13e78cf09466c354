"""Phone numbers in the one form every SMS provider and our database agree on: E.164.

People type numbers as "(415) 555-2671", "0034 612 345 678" or "509 3700 1234"; a subscriber stored
twice under two spellings gets every alert twice. Everything that stores or compares a number goes
through `normalise_e164` first, and its errors say what to fix, because the person reading them is
usually a coordinator importing a contact list, not a developer.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

_REASONS = {
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong length",
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
}


def normalise_e164(raw: str, default_region: str | None = None) -> str:
    """Return `raw` as an E.164 string such as "+50937001234", or raise `ValueError` saying why not.

    `default_region` (ISO 3166 alpha-2, e.g. "HT") is how a number written without "+<country code>"
    is read; without it such a number is refused rather than guessed.
    """
    region = _check_region(default_region)
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"not a phone number: {raw!r} is empty")
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise ValueError(_parse_error(text, region, exc)) from None
    if number.extension:
        raise ValueError(f"not a phone number for SMS: {text!r} has an extension ({number.extension})")
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
            number.country_code
        )
        reason = _REASONS.get(phonenumbers.is_possible_number_with_reason(number))
        detail = f" ({reason})" if reason else ""
        raise ValueError(f"invalid number for region {where}: {text!r}{detail}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_region(default_region: str | None) -> str | None:
    if default_region is None:
        return None
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"unknown default region {default_region!r}: use an ISO 3166 two-letter code such as 'HT' or 'US'"
        )
    return region


def _parse_error(text: str, region: str | None, exc: NumberParseException) -> str:
    kind = exc.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        if text.lstrip().startswith("+") or region is not None:
            return f"unknown country code in {text!r}"
        return (
            f"missing country code: write +<country code> before {text!r} "
            "(e.g. +509 for Haiti, +1 for the US), or give a default region"
        )
    if kind == NumberParseException.NOT_A_NUMBER:
        return f"not a phone number: {text!r}"
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return f"not a phone number: {text!r} is too short"
    if kind == NumberParseException.TOO_LONG:
        return f"not a phone number: {text!r} is too long"
    return f"not a phone number: {text!r} ({exc})"


def distinct_numbers(values: list[str], field: str, what: str, prefix: str = "") -> list[str]:
    """A settings list of the account's phone numbers (`field`): at least one `what`, each normalised to
    E.164 (after dropping `prefix`, such as "whatsapp:"), none listed twice."""
    if not values:
        raise ValueError(f"{field} is empty: list at least one {what}")
    numbers = [normalise_e164(raw.removeprefix(prefix)) for raw in values]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"{field} lists the same number twice: {numbers}")
    return numbers
