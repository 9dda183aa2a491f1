"""Removing personal data from text before it leaves the process for a model provider."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A phone number has a leading + or separators between its digit groups; an unbroken digit
# run is left alone, because order and tracking numbers look the same.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{7,}\d|\(?\d{2,5}\)?(?:[\s.-]\(?\d{2,5}\)?){2,5})(?!\w)")
_CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")


def passes_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def redact_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card number]" if passes_luhn(digits) else match.group()


def redact_personal_data(text: str) -> str:
    """Replace e-mail addresses, payment card numbers (Luhn-valid), IBANs and phone numbers
    by placeholders. Order numbers and other short digit runs stay, because answers need them."""
    text = _EMAIL.sub("[email]", text)
    text = _CARD_CANDIDATE.sub(redact_card, text)
    text = _IBAN.sub("[iban]", text)
    return _PHONE.sub(lambda match: "[phone]" if len(re.sub(r"\D", "", match.group())) >= 9 else match.group(), text)
