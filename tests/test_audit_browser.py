"""The knowledge audit in a real headless Chromium, on the ABCD SOPs and the Bitext answers
imported together. Screenshots of every audit page go to test-artifacts/knowledge-audit/."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from copilot import tier0
from copilot.actions import do_record_feedback
from knowledge.actions import do_add_version, do_publish_version, do_run_import
from knowledge.models import Article
from tests.conftest import REPO_ROOT, SHARED_DATA
from tickets.actions import CitedVersion, do_post_ai_answer, do_receive_customer_message, do_start_conversation
from tickets.models import Conversation, Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "knowledge-audit"
ABCD_GUIDELINES = SHARED_DATA / "abcd" / "guidelines.json"
BITEXT_TRAIN = SHARED_DATA / "bitext_customer_support" / "train.csv"
PASSWORD = "audit-browser-password"

# Questions neither the ABCD SOPs (internal) nor the Bitext answers cover, in English and Arabic.
UNANSWERED = [
    "Do you sell gift cards?",
    "Can I buy a gift voucher for my sister?",
    "هل تبيعون بطاقات هدايا؟",
    "Can I pay with bitcoin?",
    "Do you accept cryptocurrency?",
    "هل يمكنني الدفع بالبيتكوين؟",
    "Do you have a shop in Berlin I can visit?",
    "هل لديكم متجر في برلين؟",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM}; scripts/test.sh installs it when run as root",
        allow_module_level=True,
    )
if not ABCD_GUIDELINES.exists() or not BITEXT_TRAIN.exists():
    pytest.skip(f"the ABCD and Bitext data are missing under {SHARED_DATA}", allow_module_level=True)


@pytest.fixture
def desk(transactional_db: None) -> Iterator[LiveServer]:
    """pytest-django's live server, on 127.0.0.1 only, sharing the test database."""
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@contextmanager
def open_page() -> Iterator[Any]:
    """A Chromium page. Playwright's sync API runs an event loop in this thread, and Django
    refuses ORM calls while one runs, so the test writes its data before opening it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-GB", viewport={"width": 1600, "height": 1000})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def knowledge_manager() -> User:
    user = User.objects.create_user("audit-manager", password=PASSWORD, is_staff=True)
    group, _created = Group.objects.get_or_create(name="Knowledge managers")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="knowledge"))
    user.groups.add(group)
    return user


def record_unanswered(question: str) -> bool:
    """Ask Tier 0 and, when it hands off for low confidence, store the handoff as the pipeline would."""
    result = tier0.answer_question(question)
    if result.outcome != tier0.Outcome.HANDOFF or result.handoff_reason not in {"low_confidence", "no_knowledge"}:
        return False
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    message, _created = do_receive_customer_message(conversation, text=question, client_message_id=None)
    apps.get_model("escalation", "Handoff").objects.create(
        conversation=conversation,
        from_tier=0,
        to_tier=1,
        reason=result.handoff_reason,
        packet={"trigger_message_id": message.pk},
    )
    return True


def answer_from_knowledge(question: str) -> Message:
    """Answer through Tier 0 and store the reply with the versions it cited."""
    result = tier0.answer_question(question)
    assert result.outcome == tier0.Outcome.ANSWER, (question, result.handoff_reason)
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    message, _created = do_receive_customer_message(conversation, text=question, client_message_id=None)
    return do_post_ai_answer(
        conversation,
        reply_to=message,
        text=result.text,
        cited=[CitedVersion(source.version_id, source.score) for source in result.sources],
        confidence=result.confidence,
        provider=result.provider,
    )


def make_stale(owners: list[User]) -> list[Article]:
    stale = list(Article.objects.filter(status=Article.Status.PUBLISHED).order_by("pk")[:9])
    for number, article in enumerate(stale):
        overdue = timezone.now() - timedelta(days=5 + 20 * number)
        Article.objects.filter(pk=article.pk).update(
            owner=owners[number % len(owners)], last_reviewed_at=overdue - timedelta(days=180), review_due_at=overdue
        )
    return stale


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, path
    return path


def test_audit_views_on_abcd_and_bitext(desk: LiveServer, tmp_path: Path) -> None:
    run = do_run_import([ABCD_GUIDELINES, BITEXT_TRAIN], acting_user=None)
    assert run.status == "succeeded"
    assert run.created == 55 + 27
    bad_csv = tmp_path / "faq.csv"
    bad_csv.write_text("question,answer\nDo you ship abroad?,We ship to the EU.\nAnd to Mars?,\n", encoding="utf-8")
    do_run_import([bad_csv], acting_user=None)

    knowledge_manager()
    owners = [User.objects.create_user("layla"), User.objects.create_user("omar")]
    stale = make_stale(owners)
    recorded = [question for question in UNANSWERED if record_unanswered(question)]
    assert len(recorded) >= 6, recorded
    unhelpful = answer_from_knowledge("how can I track my refund")
    do_record_feedback(unhelpful, helpful=False)
    cancelled = answer_from_knowledge("I want to cancel my order")
    cancel_article = Article.objects.get(external_ref="bitext:cancel_order")
    assert cancel_article.published_version is not None
    new_version = do_add_version(
        cancel_article,
        title=cancel_article.title,
        body=cancel_article.published_version.body + "\n\nOrders can no longer be cancelled once they have shipped.",
        example_questions=cancel_article.published_version.example_questions,
        acting_user=None,
    )
    do_publish_version(new_version, acting_user=None)

    cancelled_text = cancelled.text
    cancel_id = cancel_article.pk
    stale_titles = [article.title for article in stale[:3]]
    with open_page() as page:
        browse_audit_pages(page, desk.url, stale_titles, cancelled_text, cancel_id, str(bad_csv))


def browse_audit_pages(
    page: Any, base: str, stale_titles: list[str], cancelled_text: str, cancel_id: int, bad_csv: str
) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "audit-manager")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/knowledge/stalearticle/")
    assert page.locator("#stale-per-owner").inner_text().count("\n") >= 2
    for title in stale_titles:
        assert page.get_by_text(title, exact=True).count() >= 1
    screenshot(page, "stale")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "mark_reviewed")
    page.click("button[name=index]")
    page.get_by_text("Marked 1 article reviewed.").wait_for()

    page.goto(f"{base}/admin/copilot/contentgap/")
    results = page.locator("#result_list").inner_text()
    assert "هل تبيعون بطاقات هدايا؟" in results or "هل يمكنني الدفع بالبيتكوين؟" in results
    assert "how can I track my refund" in results
    screenshot(page, "gaps")

    page.goto(f"{base}/admin/knowledge/article/audit/duplicates/")
    duplicates = page.locator("#duplicates-table").inner_text()
    assert "(Single-Item Query)" in duplicates
    screenshot(page, "duplicates")

    page.goto(f"{base}/admin/copilot/contentgap/try/")
    page.fill("#id_q", "<b>How</b> can I cancel my order?")
    page.click("#try-form input[type=submit]")
    page.locator("#try-summary").wait_for()
    assert "Answered by the AI" in page.locator("#try-summary").inner_text()
    assert "<b>How</b> can I cancel my order?" == page.input_value("#id_q")
    assert page.locator("#try-form b").count() == 0
    assert "no longer be cancelled" in page.locator("#try-answer").inner_text()
    screenshot(page, "try-question")

    page.goto(f"{base}/admin/copilot/reverificationitem/")
    queue = page.locator("#result_list").inner_text()
    assert cancelled_text[:40] in queue
    assert "v1 → v2" in queue
    screenshot(page, "reverification")

    page.goto(f"{base}/admin/knowledge/article/{cancel_id}/diff/?from=1&to=2")
    assert "no longer be cancelled" in page.locator("#diff-body ins").inner_text()
    screenshot(page, "version-diff")

    page.goto(f"{base}/admin/knowledge/importrun/")
    runs = page.locator("#result_list").inner_text()
    assert "guidelines.json" in runs
    assert bad_csv in runs
    screenshot(page, "import-runs")
