"""Telling Arabic from English text, the two languages the desk serves."""

from __future__ import annotations

import re

_ARABIC_LETTER = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def detect_language(text: str, default: str = "en") -> str:
    """Return "ar" when Arabic letters outnumber Latin ones, "en" when Latin ones do."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic == 0 and latin == 0:
        return default
    return "ar" if arabic >= latin else "en"
