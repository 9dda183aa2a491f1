"""Sentiment and churn signals of customer messages, in English and Arabic.

NOTE: a first version: VADER for English plus small hand-written Arabic and churn word
lists. It scores sarcasm as praise and most Arabic as neutral; the routing work replaces
the internals behind the same interface.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from knowledge.language import detect_language

_analyser: SentimentIntensityAnalyzer | None = None

_AR_NEGATIVE = re.compile(r"(?:سيئ|سيء|زفت|غاضب|محبط|مستاء|أسوأ|اسوأ|فاشل|مشكلة|لم يصل|متأخر|احتيال|نصب)")
_AR_POSITIVE = re.compile(r"(?:شكرا|شكرًا|ممتاز|رائع|جميل|سعيد|ممنون)")
_LEAVE = re.compile(
    r"\b(?:cancel my (?:account|subscription|membership)|close my account|switch(?:ing)? to|never (?:order|buy|shop)\w* (?:from|with|here) again|take my business elsewhere|leaving you)\b",
    re.I,
)
_AR_LEAVE = re.compile(r"(?:سألغي|ساغلق|سأغلق حسابي|لن أشتري|لن اشتري|سأنتقل|سانتقل)")


@dataclass(frozen=True)
class MessageAnalysis:
    # Compound sentiment in [-1, 1]; below -0.05 is negative, above 0.05 positive.
    sentiment: float
    label: str
    # Estimated risk in [0, 1] that the customer leaves.
    churn_risk: float
    language: str
    signals: list[str] = field(default_factory=list)


def get_analyser() -> SentimentIntensityAnalyzer:
    global _analyser
    if _analyser is None:
        _analyser = SentimentIntensityAnalyzer()
    return _analyser


def label_for(score: float) -> str:
    if score <= -0.05:
        return "negative"
    if score >= 0.05:
        return "positive"
    return "neutral"


def analyse_text(text: str, *, earlier_customer_texts: Sequence[str] = ()) -> MessageAnalysis:
    """Score one customer message; earlier messages of the conversation add context."""
    language = detect_language(text)
    signals: list[str] = []
    if language == "ar":
        negative = len(_AR_NEGATIVE.findall(text))
        positive = len(_AR_POSITIVE.findall(text))
        score = max(-1.0, min(1.0, 0.4 * (positive - negative)))
    else:
        score = float(get_analyser().polarity_scores(text)["compound"])
    churn = 0.0
    if _LEAVE.search(text) or _AR_LEAVE.search(text):
        signals.append("threat_to_leave")
        churn = 0.8
    if score <= -0.5:
        signals.append("negative_language")
        churn = max(churn, 0.4)
    return MessageAnalysis(round(score, 4), label_for(score), churn, language, signals)


def sentiment_trend(scores: Sequence[float]) -> str:
    """Return "worsening", "improving" or "steady" from a conversation's message scores."""
    if len(scores) < 2:
        return "steady"
    change = scores[-1] - scores[0]
    if change <= -0.2:
        return "worsening"
    if change >= 0.2:
        return "improving"
    return "steady"
