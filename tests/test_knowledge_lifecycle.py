"""The article lifecycle (draft, in review, published, retired), reviews and version diffs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from copilot import tier0
from knowledge import retrieval
from knowledge.actions import (
    do_add_version,
    do_create_article,
    do_mark_reviewed,
    do_publish_version,
    do_retire_article,
    do_return_to_draft,
    do_submit_for_review,
    do_update_article_settings,
)
from knowledge.diff import diff_text, diff_versions
from knowledge.models import Article, StaleArticle
from supportdesk.errors import InvalidInput
from supportdesk.models import AuditLog

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[Any]]
WRAP_QUESTION = "Can you wrap my order as a gift?"


def gift_wrap_draft(owner: User | None = None) -> Article:
    return do_create_article(
        title="Gift wrapping",
        body="Gift wrapping costs 3 euros per parcel and includes a card.",
        category="gift_wrapping",
        example_questions=[WRAP_QUESTION, "gift wrap price", "do you offer gift wrapping"],
        owner=owner,
        review_interval_days=90,
        acting_user=None,
    )


def answered_ids(question: str) -> set[int]:
    return {scored.info.article_id for scored in retrieval.search(question, audience=None).articles}


# --- Transitions ------------------------------------------------------------------------------


def test_draft_review_publish_retire(store_kb: dict[str, Article]) -> None:
    article = gift_wrap_draft()
    assert article.status == Article.Status.DRAFT

    do_submit_for_review(article, acting_user=None)
    assert Article.objects.get(pk=article.pk).status == Article.Status.IN_REVIEW
    do_publish_version(article.versions.get(), acting_user=None)
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED
    do_retire_article(article, acting_user=None)
    assert Article.objects.get(pk=article.pk).status == Article.Status.RETIRED

    actions_logged = list(
        AuditLog.objects.filter(target_type="knowledge.article", target_id=str(article.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions_logged == [
        "knowledge.create_article",
        "knowledge.submit_for_review",
        "knowledge.publish",
        "knowledge.retire",
    ]


def test_review_back_to_draft() -> None:
    article = gift_wrap_draft()
    do_submit_for_review(article, acting_user=None)

    do_return_to_draft(article, acting_user=None)

    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (Article.Status.IN_REVIEW, do_submit_for_review),
        (Article.Status.PUBLISHED, do_submit_for_review),
        (Article.Status.PUBLISHED, do_return_to_draft),
        (Article.Status.DRAFT, do_return_to_draft),
        (Article.Status.RETIRED, do_retire_article),
        (Article.Status.RETIRED, do_mark_reviewed),
    ],
)
def test_invalid_transition_rejected(status: str, action: Callable[..., Article]) -> None:
    article = gift_wrap_draft()
    Article.objects.filter(pk=article.pk).update(status=status)

    with pytest.raises(InvalidInput) as raised:
        action(article, acting_user=None)

    assert "Gift wrapping" in raised.value.message
    assert Article.objects.get(pk=article.pk).status == status


def test_in_review_not_answered(store_kb: dict[str, Article]) -> None:
    article = gift_wrap_draft()

    do_submit_for_review(article, acting_user=None)

    assert article.pk not in answered_ids(WRAP_QUESTION)
    assert tier0.answer_question(WRAP_QUESTION).outcome == tier0.Outcome.HANDOFF


# --- Retired articles are never answered from -------------------------------------------------


def test_retired_never_answered(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    article = gift_wrap_draft()
    with django_capture_on_commit_callbacks(execute=True):
        do_publish_version(article.versions.get(), acting_user=None)
    answer = tier0.answer_question(WRAP_QUESTION)
    assert answer.outcome == tier0.Outcome.ANSWER
    assert "3 euros" in answer.text

    with django_capture_on_commit_callbacks(execute=True):
        do_retire_article(article, acting_user=None)

    assert article.pk not in answered_ids(WRAP_QUESTION)
    assert tier0.answer_question(WRAP_QUESTION).outcome == tier0.Outcome.HANDOFF
    version_ids = set(article.versions.values_list("pk", flat=True))
    for question in (WRAP_QUESTION, "gift wrap price", "How much is gift wrapping?"):
        result = tier0.answer_question(question)
        assert "3 euros" not in result.text, question
        assert not {source.version_id for source in result.sources} & version_ids, question
        assert result.retrieval is not None
        assert article.pk not in {scored.info.article_id for scored in result.retrieval.articles}, question


def test_retired_stays_out_after_rebuild(store_kb: dict[str, Article]) -> None:
    article = gift_wrap_draft()
    do_publish_version(article.versions.get(), acting_user=None)
    do_retire_article(article, acting_user=None)

    call_command("rebuild_index")

    assert article.pk not in answered_ids(WRAP_QUESTION)
    assert tier0.answer_question(WRAP_QUESTION).outcome == tier0.Outcome.HANDOFF


def test_retired_stays_out_after_reimport(tmp_path: Path, store_kb: dict[str, Article]) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "wrap.md").write_text(
        f"---\ntitle: Gift wrapping\nexample_questions:\n  - {WRAP_QUESTION}\n---\nGift wrapping costs 3 euros.\n",
        encoding="utf-8",
    )
    call_command("import_knowledge", str(folder))
    article = Article.objects.get(external_ref="markdown:wrap")
    do_retire_article(article, acting_user=None)

    call_command("import_knowledge", str(folder))

    assert Article.objects.get(pk=article.pk).status == Article.Status.RETIRED
    assert article.pk not in answered_ids(WRAP_QUESTION)


def test_new_draft_keeps_published_text(store_kb: dict[str, Article]) -> None:
    article = gift_wrap_draft()
    first = article.versions.get()
    do_publish_version(first, acting_user=None)

    do_add_version(article, title="Gift wrapping", body="Gift wrapping costs 4 euros per parcel.", acting_user=None)

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_version == first
    result = tier0.answer_question(WRAP_QUESTION)
    assert "3 euros" in result.text
    assert "4 euros" not in result.text


# --- Reviews ----------------------------------------------------------------------------------


def test_publish_sets_review_date() -> None:
    article = gift_wrap_draft()
    before = timezone.now()

    do_publish_version(article.versions.get(), acting_user=None)

    article.refresh_from_db()
    assert article.last_reviewed_at is not None
    assert article.last_reviewed_at >= before
    assert article.review_due_at == article.last_reviewed_at + timedelta(days=90)


def test_stale_listed_then_reviewed() -> None:
    owner = User.objects.create_user("olive")
    article = gift_wrap_draft(owner=owner)
    do_publish_version(article.versions.get(), acting_user=None)
    long_ago = timezone.now() - timedelta(days=200)
    Article.objects.filter(pk=article.pk).update(last_reviewed_at=long_ago, review_due_at=long_ago + timedelta(days=90))
    stale = StaleArticle.objects.filter(status=Article.Status.PUBLISHED, review_due_at__lt=timezone.now())
    assert list(stale.values_list("pk", flat=True)) == [article.pk]

    do_mark_reviewed(article, acting_user=owner)

    article.refresh_from_db()
    assert article.review_due_at is not None
    assert article.review_due_at > timezone.now() + timedelta(days=89)
    assert not stale.exists()
    row = AuditLog.objects.get(action="knowledge.mark_reviewed")
    assert row.acting_user == owner


def test_interval_change_moves_due_date() -> None:
    article = gift_wrap_draft()
    do_publish_version(article.versions.get(), acting_user=None)
    article.refresh_from_db()
    assert article.last_reviewed_at is not None

    do_update_article_settings(article, acting_user=None, review_interval_days=30)

    article.refresh_from_db()
    assert article.review_due_at == article.last_reviewed_at + timedelta(days=30)


def test_reviewers_set_and_audited() -> None:
    reviewers = [User.objects.create_user("rana"), User.objects.create_user("tom")]
    article = gift_wrap_draft()

    do_update_article_settings(article, acting_user=None, reviewers=reviewers)
    do_submit_for_review(article, acting_user=None)

    assert set(article.reviewers.values_list("username", flat=True)) == {"rana", "tom"}
    row = AuditLog.objects.get(action="knowledge.submit_for_review")
    assert sorted(row.details["reviewer_ids"]) == sorted(user.pk for user in reviewers)


# --- Version diffs ----------------------------------------------------------------------------


def test_diff_marks_changed_number() -> None:
    segments = diff_text("Standard delivery costs 4.95 euros.", "Standard delivery costs 5.95 euros.")

    assert [(segment.op, segment.text) for segment in segments] == [
        ("equal", "Standard delivery costs "),
        ("delete", "4"),
        ("insert", "5"),
        ("equal", ".95 euros."),
    ]


def test_diff_between_any_two_versions() -> None:
    article = gift_wrap_draft()
    do_add_version(
        article,
        title="Gift wrapping",
        body="Gift wrapping costs 4 euros per parcel and includes a card.",
        example_questions=[WRAP_QUESTION, "gift wrap price"],
        acting_user=None,
    )
    third = do_add_version(
        article,
        title="Gift wrap",
        body="Gift wrapping is free and includes a card.",
        example_questions=[WRAP_QUESTION, "is gift wrapping free"],
        acting_user=None,
    )
    first = article.versions.get(number=1)

    changes = diff_versions(first, third)

    assert changes.changed
    assert "".join(segment.text for segment in changes.body if segment.op != "insert") == first.body
    assert "".join(segment.text for segment in changes.body if segment.op != "delete") == third.body
    deleted = " ".join(segment.text for segment in changes.body if segment.op == "delete")
    inserted = " ".join(segment.text for segment in changes.body if segment.op == "insert")
    assert "3 euros per parcel" in deleted
    assert "free" in inserted
    assert "card" not in deleted + inserted
    assert [(segment.op, segment.text) for segment in changes.title] == [
        ("equal", "Gift "),
        ("delete", "wrapping"),
        ("insert", "wrap"),
    ]
    assert changes.questions_added == ["is gift wrapping free"]
    assert changes.questions_removed == ["gift wrap price", "do you offer gift wrapping"]


def test_diff_of_same_version_unchanged() -> None:
    version = gift_wrap_draft().versions.get()

    assert not diff_versions(version, version).changed


def test_diff_refuses_other_article() -> None:
    one = gift_wrap_draft().versions.get()
    other = do_create_article(title="Other", body="Other text.", acting_user=None).versions.get()

    with pytest.raises(ValueError, match="different articles"):
        diff_versions(one, other)
