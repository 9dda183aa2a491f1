"""The chat page and POST /chat/start/ through Django's test client with CSRF checks on."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from supportdesk.models import AuditLog
from tickets.models import Conversation, Customer
from tickets.tokens import read_chat_token

pytestmark = pytest.mark.django_db

IDENTITY_SECRET = "test-identity-secret"


@pytest.fixture
def browser() -> Client:
    """A client that has loaded the chat page, so it holds the CSRF cookie like the widget."""
    client = Client(enforce_csrf_checks=True)
    client.get("/chat/")
    return client


def post_start(client: Client, body: Any, *, raw: bool = False) -> Any:
    return client.post(
        "/chat/start/",
        data=body if raw else json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def started_conversation(response: Any) -> Conversation:
    """Return the conversation that the token in a /chat/start/ response grants access to."""
    public_id = read_chat_token(response.json()["token"])
    assert public_id is not None
    return Conversation.objects.get(public_id=public_id)


def identity_hash(external_id: str) -> str:
    return hmac.new(IDENTITY_SECRET.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def test_chat_page_sets_csrf_cookie() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.get("/chat/")

    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert reverse("tickets:chat-start") in response.content.decode()


def test_start_without_csrf_forbidden() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post("/chat/start/", data="{}", content_type="application/json")

    assert response.status_code == 403
    assert Conversation.objects.count() == 0


def test_start_returns_valid_token(browser: Client) -> None:
    response = post_start(browser, {})

    assert response.status_code == 200
    conversation = started_conversation(response)
    assert response.json()["conversation_id"] == str(conversation.public_id)
    assert conversation.customer.identity_verified is False
    assert AuditLog.objects.filter(action="tickets.start_conversation", target_id=str(conversation.pk)).count() == 1


def test_start_invalid_json(browser: Client) -> None:
    response = post_start(browser, "{not json", raw=True)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert Conversation.objects.count() == 0


def test_start_json_array_rejected(browser: Client) -> None:
    response = post_start(browser, ["name", "Jane"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_start_identity_incomplete(browser: Client) -> None:
    response = post_start(browser, {"external_id": "customer-1001"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "identity_incomplete"
    assert Customer.objects.count() == 0


@override_settings(SUPPORTDESK_IDENTITY_SECRET=IDENTITY_SECRET)
def test_start_identity_mismatch(browser: Client) -> None:
    wrong = hmac.new(b"another-secret", b"customer-1001", hashlib.sha256).hexdigest()

    response = post_start(browser, {"external_id": "customer-1001", "user_hash": wrong})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "identity_mismatch"
    assert Customer.objects.count() == 0


@override_settings(SUPPORTDESK_IDENTITY_SECRET=IDENTITY_SECRET)
def test_start_identity_verified(browser: Client) -> None:
    response = post_start(
        browser, {"external_id": "customer-1001", "user_hash": identity_hash("customer-1001"), "name": "Jane Doe"}
    )

    assert response.status_code == 200
    conversation = started_conversation(response)
    customer = Customer.objects.get(external_id="customer-1001")
    assert conversation.customer == customer
    assert customer.identity_verified is True
    assert customer.name == "Jane Doe"


@override_settings(SUPPORTDESK_IDENTITY_SECRET=IDENTITY_SECRET)
def test_verified_customer_reused(browser: Client) -> None:
    body = {"external_id": "customer-1001", "user_hash": identity_hash("customer-1001")}

    post_start(browser, body)
    post_start(browser, body)

    assert Customer.objects.filter(external_id="customer-1001").count() == 1
    assert Conversation.objects.filter(customer__external_id="customer-1001").count() == 2


def test_chat_page_english_ltr() -> None:
    response = Client().get("/chat/")

    assert 'dir="ltr"' in response.content.decode()


def test_chat_page_arabic_rtl() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="ar").get("/chat/")

    html = response.content.decode()
    assert 'dir="rtl"' in html
    assert 'lang="ar"' in html


def test_arabic_cookie_sets_locale(browser: Client) -> None:
    browser.cookies["django_language"] = "ar"

    response = post_start(browser, {})

    conversation = started_conversation(response)
    assert conversation.language == "ar"
    assert conversation.customer.locale == "ar"
