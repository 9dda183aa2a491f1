"""Record names and analysis words that admin and the console show, in English and Arabic."""

from __future__ import annotations

from django.utils import translation

from escalation.models import ConversationRouting, Handoff, MessageAssessment, SLAClock, SLAEvent
from tickets.templatetags.console_format import analysis_word, status_word


def names() -> list[str]:
    return [
        str(Handoff(conversation_id=5, from_tier=0, to_tier=1, reason="customer_request")),
        str(SLAClock(conversation_id=5)),
        str(SLAEvent(clock_id=3, kind="warning", target="first_response")),
        str(MessageAssessment(message_id=9, sentiment_label="negative", churn_risk=0.75)),
        str(ConversationRouting(conversation_id=5)),
    ]


def test_record_names_in_english() -> None:
    with translation.override("en"):
        assert names() == [
            "Conversation 5: tier 0 to 1 (The customer asked for a person)",
            "SLA of conversation 5",
            "Warning: First response, SLA clock 3",
            "Message 9: negative, churn risk 0.75",
            "Routing of conversation 5",
        ]


def test_record_names_in_arabic() -> None:
    with translation.override("ar"):
        translated = names()

    assert translated[1] == "اتفاقية مستوى الخدمة للمحادثة 5"
    assert translated[3] == "الرسالة 9: سلبي، خطر المغادرة 0.75"
    assert translated[4] == "توجيه المحادثة 5"


def test_analysis_words_translated() -> None:
    with translation.override("ar"):
        assert analysis_word("negative") == "سلبي"
        assert analysis_word("worsening") == "يسوء"
        assert analysis_word("threat_to_leave") == "تهديد بالمغادرة"
        assert status_word("resolved") != "resolved"
    assert analysis_word("unknown_code") == "unknown_code"
    assert status_word("unknown_code") == "unknown_code"
