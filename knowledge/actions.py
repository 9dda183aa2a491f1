"""Every write to the knowledge base."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.text import slugify

from knowledge.chunking import chunk_text
from knowledge.importers import ImportItem
from knowledge.models import Article, ArticleVersion, Chunk, IndexState
from supportdesk.audit import record_audit
from supportdesk.errors import InvalidInput
from supportdesk.tasks import enqueue_on_commit
from supportdesk.types import ActingUser

logger = logging.getLogger(__name__)


def bump_index_generation() -> None:
    """Tell every process that the answerable knowledge changed."""
    updated = IndexState.objects.filter(pk=1).update(generation=F("generation") + 1)
    if not updated:
        IndexState.objects.get_or_create(pk=1, defaults={"generation": 1})


def unique_slug(title: str, *, article_id: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:200] or "article"
    slug = base
    suffix = 2
    while Article.objects.filter(slug=slug).exclude(pk=article_id or 0).exists():
        slug = f"{base}-{suffix}"
        suffix += 1
    return slug


def clean_example_questions(questions: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    cleaned: list[str] = []
    for question in questions:
        text = " ".join(str(question).split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    return cleaned


def check_article_text(title: str, body: str) -> None:
    if not title.strip():
        raise InvalidInput("The article title is empty; give the article a title.", code="empty_title")
    if not body.strip():
        raise InvalidInput(f"The body of article {title!r} is empty; write its text before saving.", code="empty_body")


def do_create_article(
    *,
    title: str,
    body: str,
    kind: str = Article.Kind.FAQ,
    audience: str = Article.Audience.CUSTOMER,
    language: str = "en",
    category: str = "",
    human_only: bool = False,
    example_questions: Sequence[str] = (),
    external_ref: str | None = None,
    owner: User | None = None,
    acting_user: ActingUser,
) -> Article:
    """Create an article in draft with its first version."""
    check_article_text(title, body)
    with transaction.atomic():
        article = Article.objects.create(
            title=title.strip(),
            slug=unique_slug(title),
            kind=kind,
            audience=audience,
            language=language,
            category=category,
            human_only=human_only,
            external_ref=external_ref,
            owner=owner,
        )
        record_audit("knowledge.create_article", acting_user=acting_user, target=article, title=article.title)
        do_add_version(article, title=title, body=body, example_questions=example_questions, acting_user=acting_user)
    return article


def do_add_version(
    article: Article,
    *,
    title: str,
    body: str,
    example_questions: Sequence[str] = (),
    acting_user: ActingUser,
) -> ArticleVersion:
    """Store a new immutable version of the article and its passages."""
    check_article_text(title, body)
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        last = locked.versions.order_by("-number").values_list("number", flat=True).first() or 0
        version = ArticleVersion.objects.create(
            article=locked,
            number=last + 1,
            title=title.strip(),
            body=body.strip(),
            example_questions=clean_example_questions(example_questions),
            created_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
        )
        Chunk.objects.bulk_create(
            Chunk(version=version, ordinal=index, text=text) for index, text in enumerate(chunk_text(version.body))
        )
        record_audit(
            "knowledge.add_version",
            acting_user=acting_user,
            target=version,
            article_id=article.pk,
            number=version.number,
        )
    return version


def do_publish_version(version: ArticleVersion, *, acting_user: ActingUser) -> Article:
    """Make the version the article's answerable text and queue its indexing."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=version.article_id)
        previous_id = article.published_version_id
        article.published_version = version
        article.status = Article.Status.PUBLISHED
        article.title = version.title
        article.save(update_fields=["published_version", "status", "title", "updated_at"])
        bump_index_generation()
        record_audit(
            "knowledge.publish",
            acting_user=acting_user,
            target=article,
            version_id=version.pk,
            number=version.number,
            previous_version_id=previous_id,
        )
        enqueue_on_commit("knowledge.tasks.index_article", article.pk)
    return article


def do_retire_article(article: Article, *, acting_user: ActingUser) -> Article:
    """Take the article out of answers at once; its index entries are removed by a task."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        article.status = Article.Status.RETIRED
        article.save(update_fields=["status", "updated_at"])
        bump_index_generation()
        record_audit("knowledge.retire", acting_user=acting_user, target=article)
        enqueue_on_commit("knowledge.tasks.index_article", article.pk)
    return article


def do_update_article_settings(article: Article, *, acting_user: ActingUser, **fields: object) -> Article:
    """Change an article's metadata (audience, human-only and so on), not its text."""
    allowed = {"kind", "audience", "language", "category", "human_only", "owner", "review_interval_days"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here; allowed: {', '.join(sorted(allowed))}.")
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        for name, value in fields.items():
            setattr(article, name, value)
        article.save()
        bump_index_generation()
        record_audit("knowledge.update_settings", acting_user=acting_user, target=article, fields=sorted(fields))
        enqueue_on_commit("knowledge.tasks.index_article", article.pk)
    return article


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    article_ids: list[int] = field(default_factory=list)


def do_import_items(items: Sequence[ImportItem], *, publish: bool = True, acting_user: ActingUser) -> ImportSummary:
    """Create or update one article per item, matched by `external_ref`, all or nothing.

    An item whose text and example questions equal the article's latest version changes
    nothing; otherwise it becomes a new version. With `publish`, each article's latest
    version is published, which queues its indexing.
    """
    seen: dict[str, str] = {}
    for item in items:
        if item.external_ref in seen:
            raise InvalidInput(
                f"{item.source}: external reference {item.external_ref!r} is also used by {seen[item.external_ref]}; make each one unique."
            )
        seen[item.external_ref] = item.source

    summary = ImportSummary()
    with transaction.atomic():
        for item in items:
            article = Article.objects.filter(external_ref=item.external_ref).first()
            if article is None:
                article = do_create_article(
                    title=item.title,
                    body=item.body,
                    kind=item.kind,
                    audience=item.audience,
                    language=item.language,
                    category=item.category,
                    human_only=item.human_only,
                    example_questions=item.example_questions,
                    external_ref=item.external_ref,
                    acting_user=acting_user,
                )
                summary.created += 1
            elif import_changes_article(article, item):
                do_update_article_settings(
                    article,
                    acting_user=acting_user,
                    kind=item.kind,
                    audience=item.audience,
                    language=item.language,
                    category=item.category,
                    human_only=item.human_only,
                )
                do_add_version(
                    article,
                    title=item.title,
                    body=item.body,
                    example_questions=item.example_questions,
                    acting_user=acting_user,
                )
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.article_ids.append(article.pk)
            if publish:
                # Unchanged text may still be unpublished, after an earlier --draft import.
                latest = article.versions.order_by("-number").first()
                assert latest is not None
                article.refresh_from_db(fields=["published_version", "status"])
                # A retired article stays retired: a scheduled re-import must not bring back
                # what a knowledge manager took out of answers.
                if article.status == Article.Status.RETIRED:
                    continue
                if article.published_version_id != latest.pk or article.status != Article.Status.PUBLISHED:
                    do_publish_version(latest, acting_user=acting_user)
        record_audit(
            "knowledge.import",
            acting_user=acting_user,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    logger.info(
        "knowledge imported created=%s updated=%s unchanged=%s", summary.created, summary.updated, summary.unchanged
    )
    return summary


def import_changes_article(article: Article, item: ImportItem) -> bool:
    latest = article.versions.order_by("-number").first()
    if latest is None:
        return True
    same_text = (latest.title, latest.body, latest.example_questions) == (
        item.title.strip(),
        item.body.strip(),
        clean_example_questions(item.example_questions),
    )
    same_settings = (article.kind, article.audience, article.language, article.category, article.human_only) == (
        item.kind,
        item.audience,
        item.language,
        item.category,
        item.human_only,
    )
    return not (same_text and same_settings)
