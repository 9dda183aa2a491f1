"""The knowledge audit pages in Django admin, as a knowledge manager uses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from copilot.models import ContentGap, ReverificationItem
from knowledge.actions import do_add_version, do_publish_version, do_run_import
from knowledge.models import Article
from tests.conftest import publish_article
from tickets.actions import CitedVersion, do_post_ai_answer, do_receive_customer_message, do_start_conversation
from tickets.models import Conversation, Message

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[Any]]


def knowledge_manager(username: str = "kim") -> User:
    user = User.objects.create_user(username, password="manager-password-1", is_staff=True)
    group, _created = Group.objects.get_or_create(name="Knowledge managers")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="knowledge"))
    user.groups.add(group)
    return user


@pytest.fixture
def manager_client() -> Client:
    client = Client()
    client.force_login(knowledge_manager())
    return client


def record_handoff(question: str, reason: str = "low_confidence") -> Message:
    """Store a customer question and the handoff the AI made for it."""
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    message, _created = do_receive_customer_message(conversation, text=question, client_message_id=None)
    handoff = apps.get_model("escalation", "Handoff")
    handoff.objects.create(
        conversation=conversation, from_tier=0, to_tier=1, reason=reason, packet={"trigger_message_id": message.pk}
    )
    return message


def test_audit_pages_need_permission(store_kb: dict[str, Article]) -> None:
    client = Client()
    client.force_login(User.objects.create_user("staff", is_staff=True))
    pages = [
        reverse("admin:knowledge_stalearticle_changelist"),
        reverse("admin:knowledge_article_duplicates"),
        reverse("admin:copilot_contentgap_changelist"),
        reverse("admin:copilot_contentgap_try") + "?q=shipping",
        reverse("admin:copilot_reverificationitem_changelist"),
        reverse("admin:knowledge_importrun_changelist"),
    ]

    for page in pages:
        assert client.get(page).status_code in {403, 404}, page


def test_stale_by_owner_and_mark_reviewed(manager_client: Client, store_kb: dict[str, Article]) -> None:
    owner = User.objects.create_user("olive")
    overdue = timezone.now() - timedelta(days=3)
    Article.objects.filter(pk__in=[store_kb["shipping"].pk, store_kb["returns"].pk]).update(
        owner=owner, review_due_at=overdue
    )
    url = reverse("admin:knowledge_stalearticle_changelist")

    page = manager_client.get(url).content.decode()

    assert "Shipping costs" in page
    assert "Returns and refunds" in page
    assert "Resetting your password" not in page
    assert re.search(r"<td>olive</td><td>2</td>", page)
    response = manager_client.post(
        url, {"action": "mark_reviewed", "_selected_action": [store_kb["shipping"].pk]}, follow=True
    )
    assert "Marked 1 article reviewed." in response.content.decode()
    shipping = Article.objects.get(pk=store_kb["shipping"].pk)
    assert shipping.review_due_at is not None
    assert shipping.review_due_at > timezone.now()
    assert "Shipping costs" not in manager_client.get(url).content.decode()


def test_duplicates_page_lists_pairs(manager_client: Client) -> None:
    body = "Standard delivery costs {fee} euros and takes 3 business days."
    publish_article("Shipping costs", body.format(fee="4.95"), questions=("How much is shipping?",))
    publish_article("Delivery prices", body.format(fee="5.95"), questions=("delivery cost",))
    publish_article("Postage", body.format(fee="4.95"), questions=("postage price",))

    page = manager_client.get(reverse("admin:knowledge_article_duplicates")).content.decode()

    contradictions = page[page.index('id="contradictions-table"') : page.index('id="duplicates"')]
    duplicates = page[page.index('id="duplicates-table"') :]
    assert "<mark>4.95 euros</mark>" in contradictions
    assert "<mark>5.95 euros</mark>" in contradictions
    assert "Delivery prices" in contradictions
    assert "Shipping costs" in duplicates
    assert "Postage" in duplicates


def test_version_diff_page(manager_client: Client) -> None:
    article = publish_article("Shipping costs", "Standard delivery costs 4.95 euros.")
    do_add_version(article, title="Shipping costs", body="Standard delivery costs <b>5.95</b> euros.", acting_user=None)

    page = manager_client.get(
        reverse("admin:knowledge_article_diff", args=[article.pk]), {"from": 1, "to": 2}
    ).content.decode()

    assert "<del>4.95</del>" in page or "<del>4</del>" in page
    assert "&lt;b&gt;" in page
    assert "<b>5.95</b>" not in page


def test_try_question_escapes(manager_client: Client, store_kb: dict[str, Article]) -> None:
    url = reverse("admin:copilot_contentgap_try")

    answered = manager_client.get(url, {"q": "How much is shipping?"}).content.decode()
    hostile = manager_client.get(url, {"q": "<script>alert(1)</script> my account was hacked"}).content.decode()

    assert "Answered by the AI" in answered
    assert "4.95 euros" in answered
    assert 'id="try-passages"' in answered
    assert "Shipping costs" in answered
    assert "<script>alert(1)</script>" not in hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile
    assert "Handed to a person" in hostile
    assert "The topic is for people only" in hostile


def test_gaps_page_refreshes_and_acts(manager_client: Client, store_kb: dict[str, Article]) -> None:
    for question in ("Do you sell gift cards?", "هل تبيعون بطاقات هدايا؟", "Can I buy a gift card?"):
        record_handoff(question)
    record_handoff("Can I pay with bitcoin?", reason="no_knowledge")
    record_handoff("I want a person", reason="customer_request")
    url = reverse("admin:copilot_contentgap_changelist")

    page = manager_client.get(url).content.decode()

    assert ContentGap.objects.count() == 2
    gift = ContentGap.objects.get(question_count=3)
    assert "هل تبيعون بطاقات هدايا؟" in page
    assert "I want a person" not in page
    assert reverse("admin:copilot_contentgap_try") + "?q=Do+you+sell+gift+cards%3F" in page
    form = manager_client.post(url, {"action": "create_article", "_selected_action": [gift.pk]})
    assert form.status_code == 302
    create_page = manager_client.get(form["Location"]).content.decode()
    prefilled = re.search(r'<textarea name="example_questions"[^>]*>\n?(.*?)</textarea>', create_page, re.S)
    assert prefilled is not None
    assert set(prefilled.group(1).splitlines()) == {
        "Do you sell gift cards?",
        "هل تبيعون بطاقات هدايا؟",
        "Can I buy a gift card?",
    }
    created = manager_client.post(
        form["Location"],
        {
            "title": "Gift cards",
            "body": "We do not sell gift cards yet.",
            "example_questions": "Do you sell gift cards?\nهل تبيعون بطاقات هدايا؟",
            "language": "en",
            "kind": "faq",
            "audience": "customer",
        },
    )
    article = Article.objects.get(title="Gift cards")
    assert created["Location"] == reverse("admin:knowledge_article_change", args=[article.pk])
    assert article.status == Article.Status.DRAFT
    crypto = ContentGap.objects.get(question_count=1)
    manager_client.post(url, {"action": "dismiss", "_selected_action": [crypto.pk]})
    assert ContentGap.objects.get(pk=crypto.pk).status == ContentGap.Status.DISMISSED


def test_reverification_page(
    manager_client: Client, store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = store_kb["shipping"]
    assert shipping.published_version is not None
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    question, _created = do_receive_customer_message(conversation, text="How much is shipping?", client_message_id=None)
    answer = do_post_ai_answer(
        conversation,
        reply_to=question,
        text="Standard delivery costs 4.95 euros.",
        cited=[CitedVersion(shipping.published_version.pk, 0.9)],
        confidence=0.9,
        provider="extractive",
    )
    version = do_add_version(
        shipping, title="Shipping costs", body="Standard delivery costs 5.95 euros.", acting_user=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_version(version, acting_user=None)
    url = reverse("admin:copilot_reverificationitem_changelist")

    page = manager_client.get(url).content.decode()

    assert "Standard delivery costs 4.95 euros." in page
    assert "v1 → v2" in page
    assert "the last 30 days" in page
    item = ReverificationItem.objects.get(message=answer)
    manager_client.post(url, {"action": "mark_verified", "_selected_action": [item.pk]})
    assert ReverificationItem.objects.get(pk=item.pk).status == ReverificationItem.Status.VERIFIED


def test_import_runs_page(manager_client: Client, tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("question,answer\nDo you ship abroad?,Yes.\nWhat about Mars?,\n", encoding="utf-8")
    run = do_run_import([path], acting_user=None)

    listing = manager_client.get(reverse("admin:knowledge_importrun_changelist")).content.decode()
    detail = manager_client.get(reverse("admin:knowledge_importrun_change", args=[run.pk])).content.decode()

    assert str(path) in listing
    assert "the answer to &#x27;What about Mars?&#x27; is empty" in detail


def test_editor_without_publish_sees_no_publish(store_kb: dict[str, Article]) -> None:
    editor = User.objects.create_user("ed", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_article", "change_article", "add_article"])
    )
    client = Client()
    client.force_login(editor)

    change = client.get(reverse("admin:knowledge_article_change", args=[store_kb["shipping"].pk])).content.decode()
    changelist = client.get(reverse("admin:knowledge_article_changelist")).content.decode()

    assert "publish_now" not in change
    assert 'value="retire"' not in changelist
    assert 'value="publish_latest"' not in changelist
    assert 'value="mark_reviewed"' in changelist
