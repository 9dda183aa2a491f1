"""Facts that two articles can disagree on: amounts, durations, percentages, counts and yes/no.

Extraction is by patterns over English and Arabic text, so it finds facts written as digits
(Western or Arabic-Indic) or as common English number words before a unit. A fact written
any other way ("a fortnight", Arabic number words) is not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫", "01234567890123456789.")

# Unit words after a number, each mapped to (kind, unit). Longer phrases come first so
# "business days" wins over "days".
_UNITS_AFTER: list[tuple[str, tuple[str, str]]] = [
    (r"(?:business|working)\s+days?|أيام\s+عمل|يوم\s+عمل", ("duration", "business day")),
    (r"days?|أيام|ايام|يومًا|يوما|يوم", ("duration", "day")),
    (r"hours?|hrs?|ساعات|ساعة", ("duration", "hour")),
    (r"minutes?|mins?|دقائق|دقيقة", ("duration", "minute")),
    (r"weeks?|أسابيع|اسابيع|أسبوع|اسبوع", ("duration", "week")),
    (r"months?|أشهر|شهور|شهر", ("duration", "month")),
    (r"years?|سنوات|سنة|أعوام|عام", ("duration", "year")),
    (r"%|٪|percent|per\s+cent|بالمئة|في\s+المئة", ("percent", "%")),
    (r"€|eur|euros?|يورو", ("amount", "EUR")),
    (r"\$|usd|dollars?|دولار", ("amount", "USD")),
    (r"£|gbp|pounds?|جنيه", ("amount", "GBP")),
    (r"sar|riyals?|ريال", ("amount", "SAR")),
    (r"aed|dirhams?|درهم", ("amount", "AED")),
]
_UNITS_BEFORE: list[tuple[str, tuple[str, str]]] = [
    (r"€|eur", ("amount", "EUR")),
    (r"\$|usd", ("amount", "USD")),
    (r"£|gbp", ("amount", "GBP")),
    (r"sar", ("amount", "SAR")),
    (r"aed", ("amount", "AED")),
]
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fourteen": "14",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "forty-five": "45",
    "sixty": "60",
    "ninety": "90",
}
_NUMBER = r"(?P<number>\d+(?:[.,]\d+)*|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_AFTER = "|".join(f"(?P<after{index}>{pattern})" for index, (pattern, _unit) in enumerate(_UNITS_AFTER))
_BEFORE = "|".join(f"(?P<before{index}>{pattern})" for index, (pattern, _unit) in enumerate(_UNITS_BEFORE))
_FACT = re.compile(
    rf"(?<![\w.,])(?:(?:{_BEFORE})\s?)?{_NUMBER}(?![\w])(?:\s?(?:{_AFTER})(?!\w))?(?:\s+(?P<word>[^\W\d_]+))?",
    re.IGNORECASE,
)
# Numbers that only count steps or list items, and say nothing two articles could disagree on.
_ORDINAL_CONTEXT = re.compile(r"(?:step|stage|option|item|section|part|#)\s*$", re.IGNORECASE)

_NEGATION = re.compile(
    r"\b(?:no|not|never|cannot|can't|won't|don't|doesn't|isn't|aren't|wasn't|weren't|didn't|"
    r"shouldn't|mustn't|couldn't|without|non-refundable|nonrefundable|unable|neither|nor)\b"
    r"|(?:^|\s)(?:لا|لن|ليس|ليست|لم|غير|بدون|دون)(?=\s|$)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")


@dataclass(frozen=True)
class Fact:
    # "amount", "duration", "percent" or "number"
    kind: str
    # "EUR", "day", "%" ... or, for a plain number, the word after it ("items"), or "".
    unit: str
    value: Decimal
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.unit)


def normalise_digits(text: str) -> str:
    return text.translate(_ARABIC_DIGITS)


def parse_number(raw: str) -> Decimal | None:
    word = _NUMBER_WORDS.get(raw.lower())
    if word is not None:
        return Decimal(word)
    # A comma followed by exactly three digits groups thousands; any other comma is a
    # decimal comma, as in "4,95 €".
    text = re.sub(r",(?=\d{3}(?!\d))", "", raw).replace(",", ".")
    if text.count(".") > 1:
        text = text.replace(".", "", text.count(".") - 1)
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def matched_unit(match: re.Match[str]) -> tuple[tuple[str, str], int] | None:
    """Return the unit the match found and the end of its text, or None for a plain number."""
    for index, (_pattern, unit) in enumerate(_UNITS_AFTER):
        if match.group(f"after{index}"):
            return unit, match.end(f"after{index}")
    for index, (_pattern, unit) in enumerate(_UNITS_BEFORE):
        if match.group(f"before{index}"):
            return unit, match.end("number")
    return None


def extract_facts(sentence: str) -> list[Fact]:
    """Return the amounts, durations, percentages and counted things the sentence states."""
    text = normalise_digits(sentence)
    facts: list[Fact] = []
    for match in _FACT.finditer(text):
        raw = match.group("number")
        found = matched_unit(match)
        is_word = not raw[0].isdigit()
        if is_word and found is None:
            continue
        if found is None and _ORDINAL_CONTEXT.search(text[: match.start()]):
            continue
        value = parse_number(raw)
        if value is None:
            continue
        if found is None:
            # A plain number is identified by the word it counts: "3 items", "2 parcels".
            unit, end = ("number", (match.group("word") or "").lower()), match.end()
        else:
            unit, end = found
        facts.append(Fact(unit[0], unit[1], value, text[match.start() : end].strip()))
    return facts


def is_negated(sentence: str) -> bool:
    return _NEGATION.search(sentence) is not None


def split_sentences(text: str) -> list[str]:
    """Split text into sentences and list items; Markdown heading marks are dropped."""
    sentences = []
    for part in _SENTENCE_END.split(text):
        cleaned = part.strip().lstrip("#-* ").strip()
        if len(cleaned) >= 3:
            sentences.append(cleaned)
    return sentences


def conflicting_facts(left: str, right: str) -> list[tuple[list[Fact], list[Fact]]]:
    """Return, per kind and unit stated in both sentences, the facts whose values differ."""
    left_facts = extract_facts(left)
    right_facts = extract_facts(right)
    conflicts = []
    for key in sorted({fact.key for fact in left_facts} & {fact.key for fact in right_facts}):
        left_of_kind = [fact for fact in left_facts if fact.key == key]
        right_of_kind = [fact for fact in right_facts if fact.key == key]
        if {fact.value for fact in left_of_kind} != {fact.value for fact in right_of_kind}:
            conflicts.append((left_of_kind, right_of_kind))
    return conflicts
