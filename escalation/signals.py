"""Recognising, in English and Arabic, a customer who asks for a person or complains.

These are high-precision patterns: a message that matches goes to a person whatever the
knowledge base could answer. Messages that only mention support ("how do I contact
customer service?") do not match, since the knowledge base answers those.
"""

from __future__ import annotations

import re

_PERSON = r"(?:human|humans|person|people|agent|agents|representative|rep|operator|someone|somebody|staff|employee|manager|supervisor|advisor|adviser|consultant|assistant who is real)"
_EN_REQUEST = [
    re.compile(
        rf"\b(?:talk|talking|speak|speaking|chat|chatting|connect|contact|contacting|transfer|put|get|reach|escalate)\b[^.?!]{{0,40}}?\b(?:(?:a|an|the|some|real|live|actual)\s+(?:\w+\s+)?)?{_PERSON}\b",
        re.I,
    ),
    re.compile(r"\b(?:real|live|actual)\s+(?:human|person|agent|representative|people)\b", re.I),
    re.compile(r"\bhuman\s+(?:agent|being|support|help|assistance|representative)\b", re.I),
    re.compile(r"\b(?:not|no)\s+(?:a\s+)?(?:bot|robot|machine|ai)\b", re.I),
    re.compile(rf"^\W*(?:an?\s+)?{_PERSON}\W*(?:please|pls|now)?\W*$", re.I),
]
_AR_PERSON = r"(?:موظف|الموظف|موظفة|شخص\s+حقيقي|إنسان|انسان|بشري|ممثل|مندوب|مشرف|المشرف|مدير|المدير|أحد\s+الموظفين|احد\s+الموظفين|خدمة\s+العملاء\s+المباشرة)"
_AR_REQUEST = [
    re.compile(rf"{_AR_PERSON}"),
    re.compile(r"(?:لا|مش|ليس)\s+(?:أريد|اريد|ابغى|بدي)?\s*(?:روبوت|آلي|الي|بوت)"),
]
_EN_COMPLAINT = re.compile(
    r"\b(?:complain|complaint|complaining|grievance|reclamation|claim against|lawyer|attorney|sue (?:you|your|the company)|lawsuit|legal action|regulator|ombudsman)\b",
    re.I,
)
_AR_COMPLAINT = re.compile(r"(?:شكوى|شكوي|أشتكي|اشتكي|أتقدم\s+بشكوى|محامي|محامٍ|قضية|المحكمة|دعوى|جهة\s+رقابية)")


def asks_for_person(text: str) -> bool:
    return any(pattern.search(text) for pattern in _EN_REQUEST + _AR_REQUEST)


def is_complaint(text: str) -> bool:
    return bool(_EN_COMPLAINT.search(text) or _AR_COMPLAINT.search(text))
