"""Recognising, in English and Arabic, a customer who asks for a person or complains.

These are high-precision patterns: a message that matches goes to a person whatever the
knowledge base could answer. Messages that only mention support ("how do I contact
customer service?") do not match, since the knowledge base answers those.
"""

from __future__ import annotations

import re

_PERSON = r"(?:human|humans|person|people|agent|agents|representative|rep|operator|someone|somebody|staff|employee|manager|supervisor|advisor|adviser|consultant)"
_EN_REQUEST = [
    # "talk to a real agent", "chat with someone"
    re.compile(rf"\b(?:talk|talking|speak|speaking|chat|chatting)\s+(?:to|with)\b[^.?!]{{0,30}}?\b{_PERSON}\b", re.I),
    # "transfer me to a manager", "get me a human"; a bare "transfer ... to someone" is
    # about gift cards and parcels, not about the customer.
    re.compile(rf"\b(?:connect|transfer|put|pass|get|escalate|forward)\s+me\b[^.?!]{{0,30}}?\b{_PERSON}\b", re.I),
    # "contact an agent", "reach someone"
    re.compile(
        rf"\b(?:contact|contacting|reach|reaching)\s+(?:(?:a|an|the|some|real|live|actual)\s+)?(?:\w+\s+)?{_PERSON}\b",
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
    r"\b(?:complain|complained|complains|complaint|complaints|complaining|grievance|grievances|reclamation|claim against|lawyer|attorney|sue (?:you|your|the company)|lawsuit|legal action|regulator|ombudsman)\b",
    re.I,
)
_AR_COMPLAINT = re.compile(r"(?:شكوى|شكوي|أشتكي|اشتكي|أتقدم\s+بشكوى|محامي|محامٍ|قضية|المحكمة|دعوى|جهة\s+رقابية)")


def asks_for_person(text: str) -> bool:
    return any(pattern.search(text) for pattern in _EN_REQUEST + _AR_REQUEST)


def is_complaint(text: str) -> bool:
    return bool(_EN_COMPLAINT.search(text) or _AR_COMPLAINT.search(text))
