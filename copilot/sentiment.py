"""Sentiment and churn signals of customer messages, in English and Arabic.

Each message gets a polarity score from two sources: a lexicon (VADER for English, a
hand-written word list with negation for Arabic) and logistic regressions over the
multilingual sentence embeddings, trained on the examples in `copilot.sentiment_examples`.
The embeddings carry meaning across both languages, so Arabic is not scored as neutral for
lack of lexicon words. A message with praise words is sarcastic when it also names a
complaint (waiting, repetition, loss) or when the sarcasm classifier is confident, and its
score is then turned negative. Churn risk combines threats to leave, legal or
regulator complaints, repeated unresolved turns and strong negative sentiment.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_lazy as _
from sklearn.linear_model import LogisticRegression
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from copilot import sentiment_examples as examples
from knowledge.embeddings import embed_texts
from knowledge.language import detect_language

logger = logging.getLogger(__name__)


class Signal:
    """Codes stored with each analysis; the escalation app shows them as translated reasons."""

    NEGATIVE = "negative_language"
    SARCASM = "sarcasm"
    THREAT_TO_LEAVE = "threat_to_leave"
    LEGAL = "legal_complaint"
    REPEATED = "repeated_unresolved"


# Words shown to agents for the codes of an analysis: labels, trends and signals.
DISPLAY_WORDS = {
    "positive": _("positive"),
    "neutral": _("neutral"),
    "negative": _("negative"),
    "steady": _("steady"),
    "improving": _("improving"),
    "worsening": _("worsening"),
    Signal.NEGATIVE: _("negative language"),
    Signal.SARCASM: _("sarcasm"),
    Signal.THREAT_TO_LEAVE: _("threat to leave"),
    Signal.LEGAL: _("legal complaint"),
    Signal.REPEATED: _("repeated unresolved question"),
}


def display_word(code: str) -> str:
    """Return the translated word for a sentiment label, trend or signal code; other codes as given."""
    return str(DISPLAY_WORDS.get(code, code))


# A score at or below -LABEL_MARGIN is negative, at or above it positive. The classifier's
# part of the score (P(positive) - P(negative)) rarely stays at exactly 0 for a plain question.
LABEL_MARGIN = 0.2
# Share of the polarity score given to the embedding classifier; the lexicon gets the rest.
# Arabic relies more on the classifier, since the Arabic word list is small.
CLASSIFIER_WEIGHT = {"en": 0.5, "ar": 0.7}
# Probability above which the churn-threat classifier alone marks a threat to leave, in a
# message scored at or below THREAT_SENTIMENT. Neutral requests such as "use another
# account" reach the probability too.
THREAT_PROBABILITY = 0.75
THREAT_SENTIMENT = -0.4
# Probability above which the sarcasm classifier alone marks sarcasm in a message with praise
# words; at 0.5 it fired on sincere Arabic thanks.
SARCASM_PROBABILITY = 0.65
# Cosine similarity above which a message repeats an earlier one of the same customer.
REPEAT_SIMILARITY = 0.8
# Contribution of each signal to churn risk, combined as 1 - product(1 - weight).
CHURN_WEIGHTS = {
    Signal.THREAT_TO_LEAVE: 0.8,
    Signal.LEGAL: 0.7,
    Signal.REPEATED: 0.35,
    Signal.SARCASM: 0.25,
    Signal.NEGATIVE: 0.3,
}

_LEAVE = re.compile(
    r"\b(?:(?:cancel|cancell?ing|close|closing|delete|deleting|terminate|terminating) my "
    r"(?:account|subscription|membership|plan|contract)(?!\s+(?:to|for|of)\s+(?:the\s+|your\s+)?(?:newsletter|e-?mails?|mailing))|"
    r"switch(?:ing)? to (?:a |another |your )?(?:competitor|provider|bank|company|\w+ instead)|"
    r"never (?:order|buy|shop|use)\w* (?:from|with|here|you) again|take my business elsewhere|"
    r"(?:i am|i'm|im) (?:leaving|done with you|going elsewhere)|last time i (?:shop|order|buy)|"
    r"go(?:ing)? to (?:a|your) competitor)\b",
    re.I,
)
_AR_LEAVE = re.compile(
    r"(?:سألغي|سالغي|سأغلق|ساغلق|لن أشتري|لن اشتري|لن أتعامل|لن اتعامل|سأنتقل|سانتقل|سأترككم|ساترككم|"
    r"آخر مرة أتعامل|اخر مرة اتعامل|"
    r"(?:ألغوا|الغوا|إلغاء|الغاء|ألغي|الغي|أغلق|اغلق|إغلاق|اغلاق|أحذف|احذف|حذف|سكّر|سكر) (?:اشتراكي|عضويتي|حسابي))"
)
_LEGAL = re.compile(
    r"\b(?:lawyer|attorney|solicitor|sue|suing|lawsuit|legal action|court|small claims|regulator|ombudsman|"
    r"consumer protection|trading standards|financial conduct authority|report you to)\b",
    re.I,
)
_AR_LEGAL = re.compile(
    r"(?:محامي|محام|المحكمة|محكمة|دعوى|قضية|جهة رقابية|الجهات الرقابية|حماية المستهلك|البنك المركزي|سأقاضي|ساقاضي)"
)
_REPEAT_CUE = re.compile(
    r"\b(?:again|yet again|once more|(?:second|third|fourth|fifth|tenth|\d+(?:st|nd|rd|th)) time|still|"
    r"already (?:told|asked|explained|wrote|called)|how many times|keep (?:asking|telling|writing))\b",
    re.I,
)
_AR_REPEAT_CUE = re.compile(
    r"(?:مرة أخرى|مرة اخرى|للمرة الثانية|للمرة الثالثة|للمرة الرابعة|ما زلت|مازلت|لا زلت|لازلت|ما زال|مازال|"
    r"كم مرة|سبق أن|سبق ان|قلت لكم|كتبت لكم)"
)
# Words of a complaint's situation; praise next to them reads as sarcasm.
_COMPLAINT_CONTEXT = re.compile(
    r"\b(?:wait|waiting|waited|on hold|hours?|days|weeks?|months?|late|lost|broken|broke|never|nothing|"
    r"no (?:reply|answer|response)|charged|twice|three times|wrong|again|still|third time)\b",
    re.I,
)
_AR_COMPLAINT_CONTEXT = re.compile(
    r"(?:انتظار|الانتظار|أنتظر|انتظر|ساعات|أيام|أسبوع|أسابيع|شهر|متأخر|ضاع|مكسور|تعطل|لا شيء|ولا رد|لا أحد|"
    r"مرة أخرى|مرتين|ثلاث مرات|خطأ)"
)
_AR_NEGATIVE = re.compile(
    r"(?:سيئ|سيء|سيئة|زفت|غاضب|غاضبة|محبط|محبطة|مستاء|مستاءة|أسوأ|اسوأ|فاشل|فاشلة|مشكلة|لم يصل|متأخر|احتيال|نصب|"
    r"رديئ|رديء|رديئة|مزعج|مزعجة|سئمت|غير مقبول|ضاع|تعطل|لست راضي|غير راض)"
)
_AR_POSITIVE = re.compile(r"(?:شكرا|شكرًا|أشكر|اشكر|ممتاز|رائع|رائعة|جميل|سعيد|سعيدة|ممنون|أحسنتم|أحب|برافو|يا سلام)")
_AR_NEGATION = re.compile(r"(?:لا|لم|لن|ليس|ما|غير|مش)\s+$")


@dataclass(frozen=True)
class MessageAnalysis:
    # Polarity in [-1, 1]; at or below -LABEL_MARGIN is negative, at or above it positive.
    sentiment: float
    label: str
    # Estimated risk in [0, 1] that the customer leaves.
    churn_risk: float
    language: str
    signals: list[str] = field(default_factory=list)
    sarcasm: bool = False
    # The words or phrase behind each signal, for the reason shown to agents.
    evidence: dict[str, str] = field(default_factory=dict)


@dataclass
class _Classifiers:
    polarity: LogisticRegression
    sarcasm: LogisticRegression
    threat: LogisticRegression


_analyser: SentimentIntensityAnalyzer | None = None
_classifiers: _Classifiers | None = None
_classifiers_lock = threading.Lock()


def get_analyser() -> SentimentIntensityAnalyzer:
    global _analyser
    if _analyser is None:
        _analyser = SentimentIntensityAnalyzer()
    return _analyser


def get_classifiers() -> _Classifiers:
    """Train the three embedding classifiers once per process (about 150 examples, under 1 s)."""
    global _classifiers
    if _classifiers is None:
        with _classifiers_lock:
            if _classifiers is None:
                _classifiers = train_classifiers()
    return _classifiers


def train_classifiers() -> _Classifiers:
    started = time.perf_counter()
    polarity_texts = [*examples.NEGATIVE, *examples.SARCASTIC, *examples.NEUTRAL, *examples.POSITIVE]
    polarity_labels = (
        ["negative"] * (len(examples.NEGATIVE) + len(examples.SARCASTIC))
        + ["neutral"] * len(examples.NEUTRAL)
        + ["positive"] * len(examples.POSITIVE)
    )
    threat_texts = list(examples.THREATS_TO_LEAVE)
    vectors = embed_texts(polarity_texts + threat_texts)
    polarity_vectors = vectors[: len(polarity_texts)]

    polarity = LogisticRegression(C=4.0, max_iter=2000).fit(polarity_vectors, polarity_labels)
    sarcastic = np.array(
        [0] * len(examples.NEGATIVE)
        + [1] * len(examples.SARCASTIC)
        + [0] * (len(examples.NEUTRAL) + len(examples.POSITIVE))
    )
    sarcasm = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(polarity_vectors, sarcastic)
    threat_labels = np.array([0] * len(polarity_texts) + [1] * len(threat_texts))
    threat = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(vectors, threat_labels)
    logger.info(
        "sentiment classifiers trained examples=%s ms=%.0f", len(vectors), (time.perf_counter() - started) * 1000
    )
    return _Classifiers(polarity, sarcasm, threat)


def label_for(score: float) -> str:
    if score <= -LABEL_MARGIN:
        return "negative"
    if score >= LABEL_MARGIN:
        return "positive"
    return "neutral"


def arabic_lexicon_score(text: str) -> tuple[float, bool]:
    """Return a lexicon polarity in [-1, 1] and whether any praise word occurs.

    A negation just before a word ("لست راضيا" aside, which is listed whole) flips it.
    """
    total = 0.0
    praise = False
    for pattern, weight in ((_AR_NEGATIVE, -1.0), (_AR_POSITIVE, 1.0)):
        for match in pattern.finditer(text):
            negated = bool(_AR_NEGATION.search(text[: match.start()][-6:]))
            total += -weight if negated else weight
            praise = praise or (weight > 0 and not negated)
    return max(-1.0, min(1.0, 0.4 * total)), praise


def lexicon_score(text: str, language: str) -> tuple[float, bool]:
    if language == "ar":
        return arabic_lexicon_score(text)
    scores = get_analyser().polarity_scores(text)
    return float(scores["compound"]), scores["pos"] > 0


def find_repetition(
    text: str, vector: np.ndarray, earlier_customer_texts: Sequence[str], earlier_vectors: np.ndarray
) -> str:
    """Return the evidence that the customer is repeating an unresolved request, or ""."""
    cue = _REPEAT_CUE.search(text) or _AR_REPEAT_CUE.search(text)
    if cue:
        return cue.group(0)
    if len(earlier_customer_texts):
        similarities = earlier_vectors @ vector
        best = int(np.argmax(similarities))
        if similarities[best] >= REPEAT_SIMILARITY:
            return earlier_customer_texts[best][:80]
    return ""


def analyse_text(text: str, *, earlier_customer_texts: Sequence[str] = ()) -> MessageAnalysis:
    """Score one customer message; earlier messages of the conversation add context."""
    language = detect_language(text)
    classifiers = get_classifiers()
    vectors = embed_texts([text, *earlier_customer_texts])
    vector, earlier_vectors = vectors[0], vectors[1:]
    signals: list[str] = []
    evidence: dict[str, str] = {}

    lexical, praise = lexicon_score(text, language)
    probabilities = dict(
        zip(classifiers.polarity.classes_, classifiers.polarity.predict_proba([vector])[0], strict=True)
    )
    learned = float(probabilities["positive"] - probabilities["negative"])
    weight = CLASSIFIER_WEIGHT.get(language, 0.5)
    score = weight * learned + (1 - weight) * lexical

    context = _COMPLAINT_CONTEXT.search(text) or _AR_COMPLAINT_CONTEXT.search(text)
    sarcasm_probability = float(classifiers.sarcasm.predict_proba([vector])[0][1])
    sarcasm = praise and (bool(context) or sarcasm_probability >= SARCASM_PROBABILITY)
    if sarcasm:
        signals.append(Signal.SARCASM)
        evidence[Signal.SARCASM] = context.group(0) if context else text[:80]
        score = -max(0.5, abs(score))
    if score <= -LABEL_MARGIN:
        signals.append(Signal.NEGATIVE)
        evidence[Signal.NEGATIVE] = f"{score:.2f}"

    leave = _LEAVE.search(text) or _AR_LEAVE.search(text)
    threat_probability = float(classifiers.threat.predict_proba([vector])[0][1])
    if leave or (threat_probability >= THREAT_PROBABILITY and score <= THREAT_SENTIMENT):
        signals.append(Signal.THREAT_TO_LEAVE)
        evidence[Signal.THREAT_TO_LEAVE] = leave.group(0) if leave else f"p={threat_probability:.2f}"
    legal = _LEGAL.search(text) or _AR_LEGAL.search(text)
    if legal:
        signals.append(Signal.LEGAL)
        evidence[Signal.LEGAL] = legal.group(0)
    repeated = find_repetition(text, vector, earlier_customer_texts, earlier_vectors)
    if repeated:
        signals.append(Signal.REPEATED)
        evidence[Signal.REPEATED] = repeated

    score = max(-1.0, min(1.0, score))
    return MessageAnalysis(
        sentiment=round(score, 4),
        label=label_for(score),
        churn_risk=round(churn_risk(signals, score), 4),
        language=language,
        signals=signals,
        sarcasm=sarcasm,
        evidence=evidence,
    )


def churn_risk(signals: Sequence[str], score: float) -> float:
    remaining = 1.0
    for signal in signals:
        weight = CHURN_WEIGHTS.get(signal, 0.0)
        if signal == Signal.NEGATIVE:
            # Mild displeasure counts for less than anger.
            weight *= min(1.0, abs(score) / 0.6)
        remaining *= 1 - weight
    return 1 - remaining


def sentiment_trend(scores: Sequence[float]) -> str:
    """Return "worsening", "improving" or "steady" from a conversation's message scores.

    Compares the mean of the last two scores with the mean of the first two, so one odd
    message at either end moves the trend less.
    """
    if len(scores) < 2:
        return "steady"
    window = 2 if len(scores) >= 4 else 1
    change = float(np.mean(scores[-window:]) - np.mean(scores[:window]))
    if change <= -0.2:
        return "worsening"
    if change >= 0.2:
        return "improving"
    return "steady"
