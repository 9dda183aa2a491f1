"""Writes to the knowledge base (`knowledge.actions`) and what they do to answers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.management import call_command

from copilot import tier0
from knowledge import index, retrieval
from knowledge.actions import (
    do_add_version,
    do_create_article,
    do_publish_version,
    do_retire_article,
    do_update_article_settings,
)
from knowledge.chunking import MAX_CHUNK_CHARS
from knowledge.models import Article, ArticleVersion
from supportdesk.models import AuditLog

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[Any]]

SHIPPING_QUESTION = "How much is shipping?"

# One paragraph of 40 numbered sentences, about 2,400 characters.
LONG_BODY = " ".join(
    f"Rule {number} says the parcel must be scanned at the depot before the courier leaves." for number in range(40)
)


@pytest.fixture
def indexed_kb(store_kb: dict[str, Article]) -> dict[str, Article]:
    """The shop's knowledge base with its vector index built, as a deployed desk has it."""
    call_command("rebuild_index")
    return store_kb


def draft_article(title: str = "Gift wrapping", body: str = "Gift wrapping costs 3 euros per parcel.") -> Article:
    return do_create_article(
        title=title,
        body=body,
        category="gift_wrapping",
        example_questions=["Can you wrap my order as a gift?", "gift wrap price"],
        acting_user=None,
    )


def stored_entries(article: Article, audience: str) -> list[str]:
    return index.get_collection(audience).get(where={"article_id": article.pk})["ids"]


def found_ids(question: str) -> set[int]:
    return {scored.info.article_id for scored in retrieval.search(question).articles}


# --- Versions ---------------------------------------------------------------------------------


def test_saved_version_immutable() -> None:
    version = draft_article().versions.get()
    version.body = "Gift wrapping is free."

    with pytest.raises(ValueError, match="immutable"):
        version.save()

    assert ArticleVersion.objects.get(pk=version.pk).body == "Gift wrapping costs 3 euros per parcel."


def test_versions_numbered_in_order() -> None:
    article = draft_article()
    do_add_version(article, title="Gift wrapping", body="Gift wrapping costs 4 euros.", acting_user=None)
    do_add_version(article, title="Gift wrapping", body="Gift wrapping costs 5 euros.", acting_user=None)

    assert list(article.versions.values_list("number", flat=True)) == [1, 2, 3]
    assert AuditLog.objects.filter(action="knowledge.add_version", details__article_id=article.pk).count() == 3


def test_long_body_split_at_sentences() -> None:
    version = do_add_version(draft_article(), title="Depot rules", body=LONG_BODY, acting_user=None)

    chunks = list(version.chunks.order_by("ordinal").values_list("text", flat=True))
    assert len(chunks) > 1
    for text in chunks:
        assert len(text) <= MAX_CHUNK_CHARS
        assert text.endswith("leaves.")
    assert " ".join(chunks) == LONG_BODY


def test_short_paragraphs_share_chunk() -> None:
    body = "Wrapping costs 3 euros.\n\nWe add a card with your message."

    version = do_add_version(draft_article(), title="Gift wrapping", body=body, acting_user=None)

    assert list(version.chunks.values_list("text", flat=True)) == [body]


# --- Publishing -------------------------------------------------------------------------------


def test_publish_writes_audit() -> None:
    article = draft_article()
    first = article.versions.get()
    do_publish_version(first, acting_user=None)
    second = do_add_version(article, title="Gift wrapping", body="Gift wrapping costs 4 euros.", acting_user=None)

    do_publish_version(second, acting_user=None)

    rows = AuditLog.objects.filter(action="knowledge.publish", target_id=str(article.pk)).order_by("pk")
    assert [row.details["number"] for row in rows] == [1, 2]
    assert rows[1].details["version_id"] == second.pk
    assert rows[1].details["previous_version_id"] == first.pk
    assert rows[1].target_type == "knowledge.article"


def test_draft_not_answerable(store_kb: dict[str, Article]) -> None:
    article = draft_article()

    assert article.pk not in found_ids("Can you wrap my order as a gift?")


def test_publish_makes_answerable(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    article = draft_article()

    with django_capture_on_commit_callbacks(execute=True):
        do_publish_version(article.versions.get(), acting_user=None)

    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert len(stored_entries(article, Article.Audience.CUSTOMER)) > 0
    result = tier0.answer_question("Can you wrap my order as a gift?")
    assert result.outcome == tier0.Outcome.ANSWER
    assert "3 euros" in result.text
    assert [source.version_id for source in result.sources] == [article.published_version_id]


# --- Retiring and audience --------------------------------------------------------------------


def test_retire_hides_at_once(
    indexed_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = indexed_kb["shipping"]
    assert tier0.answer_question(SHIPPING_QUESTION).outcome == tier0.Outcome.ANSWER

    # The index task is queued but not run: the stale vectors must not bring the article back.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        do_retire_article(shipping, acting_user=None)

    assert len(queued) == 1
    assert len(stored_entries(shipping, Article.Audience.CUSTOMER)) > 0
    assert shipping.pk not in found_ids(SHIPPING_QUESTION)
    result = tier0.answer_question(SHIPPING_QUESTION)
    assert result.outcome == tier0.Outcome.HANDOFF
    assert result.handoff_reason in {"low_confidence", "no_knowledge"}
    assert AuditLog.objects.filter(action="knowledge.retire", target_id=str(shipping.pk)).count() == 1


def test_retire_task_removes_vectors(
    indexed_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = indexed_kb["shipping"]

    with django_capture_on_commit_callbacks(execute=True):
        do_retire_article(shipping, acting_user=None)

    assert stored_entries(shipping, Article.Audience.CUSTOMER) == []
    assert Article.objects.get(pk=shipping.pk).status == Article.Status.RETIRED


def test_internal_audience_leaves_search(
    indexed_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = indexed_kb["shipping"]
    assert shipping.pk in found_ids(SHIPPING_QUESTION)

    with django_capture_on_commit_callbacks(execute=True):
        do_update_article_settings(shipping, acting_user=None, audience=Article.Audience.INTERNAL)

    assert shipping.pk not in found_ids(SHIPPING_QUESTION)
    assert stored_entries(shipping, Article.Audience.CUSTOMER) == []
    assert len(stored_entries(shipping, Article.Audience.INTERNAL)) > 0
    internal = retrieval.search(SHIPPING_QUESTION, audience=Article.Audience.INTERNAL)
    assert shipping.pk in {scored.info.article_id for scored in internal.articles}


# --- Index rebuild and new versions -----------------------------------------------------------


def test_rebuild_index_restores_answers(indexed_kb: dict[str, Article]) -> None:
    client = index.get_client()
    for audience in index.AUDIENCES:
        client.delete_collection(index.collection_name(audience))
    remaining = {getattr(collection, "name", collection) for collection in client.list_collections()}
    assert index.collection_name(Article.Audience.CUSTOMER) not in remaining

    call_command("rebuild_index")

    assert len(stored_entries(indexed_kb["shipping"], Article.Audience.CUSTOMER)) > 0
    assert len(stored_entries(indexed_kb["internal_refunds"], Article.Audience.INTERNAL)) > 0
    result = tier0.answer_question(SHIPPING_QUESTION)
    assert result.outcome == tier0.Outcome.ANSWER
    assert "4.95 euros" in result.text


def test_new_version_replaces_fee(
    indexed_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = indexed_kb["shipping"]
    body = (
        "Standard delivery costs 5.95 euros and is free for orders over 50 euros.\n\n"
        "Express delivery costs 9.95 euros and arrives the next business day."
    )
    version = do_add_version(
        shipping, title="Shipping costs", body=body, example_questions=["How much is shipping?"], acting_user=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        do_publish_version(version, acting_user=None)

    result = tier0.answer_question(SHIPPING_QUESTION)
    assert result.outcome == tier0.Outcome.ANSWER
    assert "5.95" in result.text
    assert "4.95" not in result.text
    assert [source.version_number for source in result.sources] == [2]
    old_chunks = {f"c:{pk}" for pk in shipping.versions.get(number=1).chunks.values_list("pk", flat=True)}
    assert not old_chunks & set(stored_entries(shipping, Article.Audience.CUSTOMER))
