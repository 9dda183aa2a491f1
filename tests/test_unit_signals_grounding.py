"""Small units that decide or protect an answer: handoff signals, grounding, redaction,
chat tokens, websocket payloads and language detection."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from django.core import signing
from django.test import override_settings
from pydantic import ValidationError

from copilot.grounding import check_grounding
from copilot.redaction import passes_luhn, redact_personal_data
from escalation.signals import asks_for_person, is_complaint
from knowledge.language import detect_language
from tickets.events import (
    AckEvent,
    ClientMessage,
    ClientRequestHuman,
    ErrorEvent,
    HistoryEvent,
    MessageEvent,
    StateEvent,
)
from tickets.tokens import make_chat_token, read_chat_token

# --- Handoff signals --------------------------------------------------------------------------

ASKS_FOR_PERSON = [
    "I want to talk to a human",
    "Can I speak with a real person please?",
    "connect me to an agent",
    "agent please",
    "transfer me to your supervisor",
    "I need a live agent, not a bot",
    "أريد التحدث مع موظف",
    "ممكن أكلم شخص حقيقي؟",
    "حولني إلى مندوب خدمة العملاء",
    "لا أريد روبوت",
    "أبغى أتكلم مع إنسان",
    "أريد المشرف",
]

NOT_ASKING_FOR_PERSON = [
    "how do I contact customer service?",
    "I want to leave a review",
    "Where is my order?",
    "How much is shipping?",
    "Can I change my delivery address?",
    "What are your opening hours?",
    "كيف أتواصل مع خدمة العملاء؟",
    "أين طلبي؟",
    "كم تكلفة الشحن؟",
    "أريد إرجاع منتج",
    "أريد كتابة تقييم للمنتج",
    "هل يمكن إرسال الطلب إلى شخص آخر؟",
]

COMPLAINTS = [
    "I want to file a complaint",
    "I am complaining about the late delivery",
    "My lawyer will contact you",
    "I will take legal action",
    "I'm reporting you to the regulator",
    "This is a formal grievance",
    "أريد تقديم شكوى",
    "سأشتكي عليكم",
    "سأرفع دعوى ضدكم",
    "سأكلم محامي",
    "سأتوجه إلى المحكمة",
    "أتقدم بشكوى رسمية",
]

NOT_COMPLAINTS = [
    "I want to leave a review",
    "how do I contact customer service?",
    "How do I file a warranty claim?",
    "The parcel arrived damaged",
    "Can I return shoes?",
    "Where is my refund?",
    "أريد كتابة تقييم",
    "الطرد وصل تالفًا",
    "أين استرداد المبلغ؟",
    "كيف أتواصل معكم؟",
    "شكرا لكم",
    "ما هي سياسة الإرجاع؟",
]


@pytest.mark.parametrize("text", ASKS_FOR_PERSON)
def test_asks_for_person_positive(text: str) -> None:
    assert asks_for_person(text) is True


@pytest.mark.parametrize("text", NOT_ASKING_FOR_PERSON)
def test_asks_for_person_negative(text: str) -> None:
    assert asks_for_person(text) is False


@pytest.mark.parametrize(
    "text",
    ["Can I transfer my gift card to someone else?", "How do I get my order delivered to another person?"],
)
def test_person_mentioned_in_question(text: str) -> None:
    assert asks_for_person(text) is False


@pytest.mark.parametrize("text", COMPLAINTS)
def test_is_complaint_positive(text: str) -> None:
    assert is_complaint(text) is True


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_is_complaint_negative(text: str) -> None:
    assert is_complaint(text) is False


@pytest.mark.parametrize("text", ["I already complained twice about this order", "I have several complaints about you"])
def test_complaint_inflections(text: str) -> None:
    assert is_complaint(text) is True


# --- Grounding --------------------------------------------------------------------------------

PASSAGES = [
    "Standard delivery costs 4.95 euros and is free for orders over 50 euros.",
    "Refunds reach your card within 5 business days after we receive the parcel.",
]


def test_copied_answer_passes() -> None:
    report = check_grounding(
        "Standard delivery costs 4.95 euros. Refunds reach your card within 5 business days after we receive the parcel.",
        PASSAGES,
    )

    assert report.passed is True
    assert report.unsupported_sentences == []
    assert report.unknown_numbers == []


def test_invented_fee_fails() -> None:
    report = check_grounding("Standard delivery costs 6.95 euros and is free for orders over 50 euros.", PASSAGES)

    assert report.passed is False
    assert report.unknown_numbers == ["6.95"]


def test_invented_duration_fails() -> None:
    report = check_grounding("Refunds reach your card within 10 business days after we receive the parcel.", PASSAGES)

    assert report.passed is False
    assert report.unknown_numbers == ["10"]


def test_invented_policy_sentence_fails() -> None:
    invented = "Every customer also gets a lifetime warranty on electronics bought in our stores."

    report = check_grounding(f"Standard delivery costs 4.95 euros. {invented}", PASSAGES)

    assert report.passed is False
    assert report.unsupported_sentences == [invented]
    assert report.unknown_numbers == []


# --- Redaction --------------------------------------------------------------------------------


def test_email_redacted() -> None:
    assert redact_personal_data("Write to jane.doe+shop@example.co.uk please") == "Write to [email] please"


def test_luhn_card_redacted() -> None:
    assert redact_personal_data("card 4111 1111 1111 1111 expires soon") == "card [card number] expires soon"


def test_phone_redacted() -> None:
    assert redact_personal_data("call me on +44 20 7946 0958 today") == "call me on [phone] today"


def test_iban_redacted() -> None:
    assert redact_personal_data("IBAN DE89 3704 0044 0532 0130 00 thanks") == "IBAN [iban] thanks"


def test_short_order_number_stays() -> None:
    assert redact_personal_data("My order 12345678 is late") == "My order 12345678 is late"


def test_luhn_check_digits() -> None:
    # 113542617735902 happens to pass Luhn, so as written it is redacted as a card number.
    assert passes_luhn("113542617735902") is True
    assert passes_luhn("113542617735903") is False


def test_long_order_number_stays() -> None:
    assert redact_personal_data("My order 113542617735903 is late") == "My order 113542617735903 is late"


# --- Chat tokens ------------------------------------------------------------------------------


def test_token_round_trip() -> None:
    public_id = uuid.uuid4()

    assert read_chat_token(make_chat_token(public_id)) == public_id


def test_tampered_token_rejected() -> None:
    token = make_chat_token(uuid.uuid4())
    last = token[-1]
    tampered = token[:-1] + ("A" if last != "A" else "B")

    assert read_chat_token(tampered) is None


def test_token_other_salt_rejected() -> None:
    forged = signing.dumps({"conversation": str(uuid.uuid4())}, compress=True)

    assert read_chat_token(forged) is None


def test_garbage_token_rejected() -> None:
    assert read_chat_token("not-a-token") is None


def test_expired_token_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    token = make_chat_token(uuid.uuid4())
    two_days_later = time.time() + 2 * 24 * 3600

    with override_settings(SUPPORTDESK_CHAT_TOKEN_MAX_AGE_DAYS=1), monkeypatch.context() as patch:
        # django.core.signing reads the clock through time.time().
        patch.setattr(time, "time", lambda: two_days_later)
        expired = read_chat_token(token)

    assert expired is None


def test_token_within_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    public_id = uuid.uuid4()
    token = make_chat_token(public_id)
    half_a_day_later = time.time() + 12 * 3600

    with override_settings(SUPPORTDESK_CHAT_TOKEN_MAX_AGE_DAYS=1), monkeypatch.context() as patch:
        # django.core.signing reads the clock through time.time().
        patch.setattr(time, "time", lambda: half_a_day_later)
        read = read_chat_token(token)

    assert read == public_id


# --- Websocket payloads -----------------------------------------------------------------------

AI_MESSAGE = {
    "id": 42,
    "author_kind": "ai",
    "text": "Standard delivery costs 4.95 euros.",
    "created_at": "2025-03-01T10:15:00Z",
    "client_message_id": None,
    "sources": [{"title": "Shipping costs", "url": "/kb/shipping-costs/", "version": 2}],
    "confidence": 0.91,
}


def test_history_event_validates() -> None:
    event = HistoryEvent.model_validate(
        {"type": "history", "messages": [AI_MESSAGE], "state": {"status": "ai", "tier": 0, "queue_position": None}}
    )

    assert event.messages[0].sources[0].version == 2
    assert event.messages[0].created_at == datetime(2025, 3, 1, 10, 15, tzinfo=UTC)


def test_message_event_validates() -> None:
    event = MessageEvent.model_validate({"type": "message", "message": AI_MESSAGE})

    assert event.model_dump(mode="json")["message"]["sources"] == AI_MESSAGE["sources"]


def test_ack_event_validates() -> None:
    event = AckEvent.model_validate(
        {
            "type": "ack",
            "client_message_id": "3f6c1a2e-5b1d-4c3e-9a7f-0d2b8e4c6a11",
            "message_id": 7,
            "duplicate": False,
        }
    )

    assert event.message_id == 7


def test_state_event_validates() -> None:
    event = StateEvent.model_validate({"type": "state", "state": {"status": "queued", "tier": 2, "queue_position": 3}})

    assert event.state.queue_position == 3


def test_error_event_validates() -> None:
    event = ErrorEvent.model_validate(
        {"type": "error", "code": "message_too_long", "message": "The message has 4100 characters; the limit is 4000."}
    )

    assert event.client_message_id is None


def test_state_rejects_unknown_status() -> None:
    with pytest.raises(ValidationError):
        StateEvent.model_validate({"type": "state", "state": {"status": "closed", "tier": 0}})


def test_client_message_accepts_uuid() -> None:
    message = ClientMessage.model_validate({"type": "message", "client_message_id": str(uuid.uuid4()), "text": "Hi"})

    assert message.text == "Hi"


@pytest.mark.parametrize("client_message_id", ["abc", "has spaces in it", "semi;colon;id", "x" * 65, ""])
def test_client_message_rejects_bad_id(client_message_id: str) -> None:
    with pytest.raises(ValidationError):
        ClientMessage.model_validate({"type": "message", "client_message_id": client_message_id, "text": "Hi"})


def test_request_human_rejects_bad_id() -> None:
    with pytest.raises(ValidationError):
        ClientRequestHuman.model_validate({"type": "request_human", "client_message_id": "short"})


# --- Language detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is my order?", "en"),
        ("أين طلبي؟", "ar"),
        ("طلبي رقم 12345 لم يصل بعد من DHL", "ar"),
        ("My order from متجر arrived late", "en"),
        ("12345", "en"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


def test_detect_language_default() -> None:
    assert detect_language("12345 !!", default="ar") == "ar"
