"""Sentiment, sarcasm and churn signals in English and Arabic, on messages that are not among
the classifiers' training examples."""

from __future__ import annotations

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from copilot import sentiment_examples
from copilot.sentiment import Signal, analyse_text, sentiment_trend

SARCASTIC = [
    "great, third time I ask, love waiting",
    "Oh splendid, the courier lost it once more",
    "Nice, another charge I never made",
    "رائع، للمرة الثالثة أسأل وما زلت أنتظر",
    "ممتاز جدا، شهر كامل ولا أحد يرد",
]


def test_messages_are_not_training_examples() -> None:
    written = {
        *sentiment_examples.NEGATIVE,
        *sentiment_examples.NEUTRAL,
        *sentiment_examples.POSITIVE,
        *sentiment_examples.SARCASTIC,
        *sentiment_examples.THREATS_TO_LEAVE,
    }
    assert not written & set(SARCASTIC)


@pytest.mark.parametrize(
    ("text", "language", "label"),
    [
        ("This is terrible, I'm furious with you", "en", "negative"),
        ("Thank you, that fixed it!", "en", "positive"),
        ("How do I reset my password?", "en", "neutral"),
        ("الخدمة سيئة جدا وأنا غاضب", "ar", "negative"),
        ("لم يعجبني المنتج إطلاقا", "ar", "negative"),
        ("خدمتكم ممتازة جدا، أنا ممتن لكم", "ar", "positive"),
        ("ما هي رسوم الشحن إلى عمّان؟", "ar", "neutral"),
    ],
)
def test_polarity_english_and_arabic(text: str, language: str, label: str) -> None:
    analysis = analyse_text(text)
    assert analysis.language == language
    assert analysis.label == label
    assert (Signal.NEGATIVE in analysis.signals) == (label == "negative")


def test_lexicon_alone_misreads_sarcasm() -> None:
    # Why the lexicon is not enough: VADER scores a sarcastic complaint as praise.
    assert SentimentIntensityAnalyzer().polarity_scores(SARCASTIC[0])["compound"] > 0.5


@pytest.mark.parametrize("text", SARCASTIC)
def test_sarcasm_scored_negative(text: str) -> None:
    analysis = analyse_text(text)
    assert analysis.sarcasm
    assert Signal.SARCASM in analysis.signals
    assert analysis.label == "negative"
    assert analysis.sentiment <= -0.5
    assert analysis.evidence[Signal.SARCASM]


@pytest.mark.parametrize(
    "text",
    ["Wonderful, thanks for the help", "I love this shop", "شكرا لكم، الخدمة ممتازة", "أحسنتم، وصل الطلب قبل موعده"],
)
def test_sincere_praise_not_sarcasm(text: str) -> None:
    analysis = analyse_text(text)
    assert not analysis.sarcasm
    assert analysis.label == "positive"
    assert analysis.churn_risk == 0


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I'm cancelling my subscription, you are useless", "cancelling my subscription"),
        ("Fix it today or I'm switching to another provider", "switching to another provider"),
        ("سأنتقل إلى بنك آخر", "سأنتقل"),
        ("سألغي حسابي إذا لم تردوا اليوم", "سألغي"),
        ("الخدمة سيئة، أريد إلغاء اشتراكي", "إلغاء اشتراكي"),
    ],
)
def test_threat_to_leave(text: str, evidence: str) -> None:
    analysis = analyse_text(text)
    assert Signal.THREAT_TO_LEAVE in analysis.signals
    assert analysis.evidence[Signal.THREAT_TO_LEAVE] == evidence
    assert analysis.churn_risk >= 0.8


@pytest.mark.parametrize(
    "text",
    [
        "Can I cancel my order before it ships?",
        "how can I cancel my subscription to the newsletter?",
        "I want to use another account",
        "كيف ألغي طلبي قبل الشحن؟",
    ],
)
def test_ordinary_cancel_not_churn(text: str) -> None:
    analysis = analyse_text(text)
    assert Signal.THREAT_TO_LEAVE not in analysis.signals
    assert analysis.churn_risk < 0.3


@pytest.mark.parametrize(
    ("text", "evidence"),
    [
        ("I will take this to my lawyer", "lawyer"),
        ("I am reporting you to the financial ombudsman", "ombudsman"),
        ("سأقدم شكوى إلى حماية المستهلك", "حماية المستهلك"),
        ("سأرفع دعوى ضد شركتكم", "دعوى"),
    ],
)
def test_legal_complaint(text: str, evidence: str) -> None:
    analysis = analyse_text(text)
    assert Signal.LEGAL in analysis.signals
    assert analysis.evidence[Signal.LEGAL] == evidence
    assert analysis.churn_risk >= 0.7


def test_repeated_question_english() -> None:
    earlier = ["Where is my refund for order 5521?", "Thanks"]
    analysis = analyse_text("where is the refund for my order 5521", earlier_customer_texts=earlier)
    assert Signal.REPEATED in analysis.signals
    assert analysis.evidence[Signal.REPEATED] == earlier[0]
    assert analysis.churn_risk > 0


def test_repeated_question_arabic() -> None:
    earlier = ["متى يصل طلبي رقم 7781؟"]
    analysis = analyse_text("متى سيصل طلبي رقم 7781", earlier_customer_texts=earlier)
    assert Signal.REPEATED in analysis.signals


def test_new_question_not_repeated() -> None:
    earlier = ["Where is my refund for order 5521?"]
    analysis = analyse_text("Do you sell gift cards?", earlier_customer_texts=earlier)
    assert Signal.REPEATED not in analysis.signals


def test_churn_risk_orders_messages() -> None:
    calm = analyse_text("What are your opening hours?").churn_risk
    annoyed = analyse_text("This is terrible, I'm furious with you").churn_risk
    leaving = analyse_text("This is terrible, I'm closing my account today").churn_risk
    assert calm < annoyed < leaving


@pytest.mark.parametrize(
    ("scores", "trend"),
    [
        ([], "steady"),
        ([0.5], "steady"),
        ([0.4, 0.3, -0.4, -0.6], "worsening"),
        ([-0.7, -0.5, 0.2, 0.6], "improving"),
        ([0.1, -0.05, 0.0], "steady"),
    ],
)
def test_sentiment_trend(scores: list[float], trend: str) -> None:
    assert sentiment_trend(scores) == trend
