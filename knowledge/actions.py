"""Every write to the knowledge base."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from knowledge.chunking import chunk_text
from knowledge.importers import ImportItem, Rejection, parse_source
from knowledge.models import Article, ArticleVersion, Chunk, ImportRejection, ImportRun, IndexState
from knowledge.signals import version_published
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
    reviewers: Sequence[User] = (),
    review_interval_days: int = 180,
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
            review_interval_days=review_interval_days,
        )
        if reviewers:
            article.reviewers.set(reviewers)
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


def review_due(article: Article, reviewed_at: datetime | None) -> datetime | None:
    return reviewed_at + timedelta(days=article.review_interval_days) if reviewed_at is not None else None


def do_publish_version(version: ArticleVersion, *, acting_user: ActingUser) -> Article:
    """Make the version the article's answerable text and queue its indexing.

    Publishing counts as a review of the text, so the review date moves on. Any status may
    be published: a draft or an article in review goes live, a published article gets its
    new text, and a retired one comes back.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=version.article_id)
        previous_id = article.published_version_id
        now = timezone.now()
        article.published_version = version
        article.status = Article.Status.PUBLISHED
        article.title = version.title
        article.last_reviewed_at = now
        article.review_due_at = review_due(article, now)
        article.save(
            update_fields=["published_version", "status", "title", "last_reviewed_at", "review_due_at", "updated_at"]
        )
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
        version_published.send(
            sender=Article, article_id=article.pk, version_id=version.pk, previous_version_id=previous_id
        )
    return article


def do_retire_article(article: Article, *, acting_user: ActingUser) -> Article:
    """Take the article out of answers at once; its index entries are removed by a task."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status == Article.Status.RETIRED:
            raise InvalidInput(
                _("The article %(title)s is already retired; publish a version to bring it back.")
                % {"title": article.title},
                code="already_retired",
            )
        article.status = Article.Status.RETIRED
        article.save(update_fields=["status", "updated_at"])
        bump_index_generation()
        record_audit("knowledge.retire", acting_user=acting_user, target=article)
        enqueue_on_commit("knowledge.tasks.index_article", article.pk)
    return article


def do_submit_for_review(article: Article, *, acting_user: ActingUser) -> Article:
    """Move a draft to "in review", where its reviewers check it before it is published."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status != Article.Status.DRAFT:
            raise InvalidInput(
                _(
                    "%(title)s is %(status)s, and only a draft can be submitted for review. "
                    "Change a published article by publishing a new version."
                )
                % {"title": article.title, "status": article.get_status_display()},
                code="invalid_transition",
            )
        article.status = Article.Status.IN_REVIEW
        article.save(update_fields=["status", "updated_at"])
        record_audit(
            "knowledge.submit_for_review",
            acting_user=acting_user,
            target=article,
            reviewer_ids=sorted(article.reviewers.values_list("pk", flat=True)),
        )
    return article


def do_return_to_draft(article: Article, *, acting_user: ActingUser) -> Article:
    """Send an article in review, or a retired one, back to draft for more work.

    A published article stays published while a new version is written, so it cannot go
    back to draft: retire it first if it must leave answers.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status not in {Article.Status.IN_REVIEW, Article.Status.RETIRED}:
            raise InvalidInput(
                _(
                    "%(title)s is %(status)s, and only an article in review or a retired one can go back "
                    "to draft. Retire a published article first."
                )
                % {"title": article.title, "status": article.get_status_display()},
                code="invalid_transition",
            )
        article.status = Article.Status.DRAFT
        article.save(update_fields=["status", "updated_at"])
        record_audit("knowledge.return_to_draft", acting_user=acting_user, target=article)
    return article


def do_mark_reviewed(article: Article, *, acting_user: ActingUser) -> Article:
    """Record that someone checked the article's text today; its next review is one interval away."""
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        if article.status == Article.Status.RETIRED:
            raise InvalidInput(
                _("The article %(title)s is retired and needs no review; publish a version to bring it back.")
                % {"title": article.title},
                code="retired_article",
            )
        now = timezone.now()
        article.last_reviewed_at = now
        article.review_due_at = review_due(article, now)
        article.save(update_fields=["last_reviewed_at", "review_due_at", "updated_at"])
        record_audit(
            "knowledge.mark_reviewed",
            acting_user=acting_user,
            target=article,
            review_due_at=article.review_due_at.isoformat() if article.review_due_at else None,
        )
    return article


SETTINGS_FIELDS = {"kind", "audience", "language", "category", "human_only", "owner", "review_interval_days"}


def do_update_article_settings(article: Article, *, acting_user: ActingUser, **fields: object) -> Article:
    """Change an article's metadata (audience, human-only, reviewers and so on), not its text."""
    allowed = SETTINGS_FIELDS | {"reviewers"}
    unknown = set(fields) - allowed
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here; allowed: {', '.join(sorted(allowed))}.")
    reviewers = fields.pop("reviewers", None)
    with transaction.atomic():
        article = Article.objects.select_for_update().get(pk=article.pk)
        for name, value in fields.items():
            setattr(article, name, value)
        if "review_interval_days" in fields:
            article.review_due_at = review_due(article, article.last_reviewed_at)
        article.save()
        if reviewers is not None:
            article.reviewers.set(reviewers)  # type: ignore[arg-type]
        bump_index_generation()
        changed = sorted([*fields, *(["reviewers"] if reviewers is not None else [])])
        record_audit("knowledge.update_settings", acting_user=acting_user, target=article, fields=changed)
        enqueue_on_commit("knowledge.tasks.index_article", article.pk)
    return article


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    article_ids: list[int] = field(default_factory=list)


def do_start_import_run(sources: Sequence[str], *, publish: bool, acting_user: ActingUser) -> ImportRun:
    """Record that an import started, in its own transaction, so a failed run is kept too."""
    with transaction.atomic():
        run = ImportRun.objects.create(
            sources=[str(source) for source in sources],
            publish=publish,
            started_by=acting_user if isinstance(acting_user, User) else None,
        )
        record_audit("knowledge.import_run.start", acting_user=acting_user, target=run, sources=run.sources)
    return run


def do_fail_import_run(run: ImportRun, error: str, *, acting_user: ActingUser) -> ImportRun:
    """Mark the run failed by a structural error; its items were not written."""
    with transaction.atomic():
        run.status = ImportRun.Status.FAILED
        run.error = error
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        record_audit("knowledge.import_run.fail", acting_user=acting_user, target=run, error=error[:500])
    logger.warning("knowledge import failed run=%s error=%s", run.pk, error)
    return run


def do_run_import(sources: Sequence[Path], *, publish: bool = True, acting_user: ActingUser) -> ImportRun:
    """Parse every source, then import its items in one transaction, as a recorded run.

    A structural error (see `knowledge.importers`) fails the run and writes no article; it
    is raised again after the failure is recorded. Items that are bad on their own are
    stored as rejections of the run, and the other items are imported.
    """
    run = do_start_import_run([str(source) for source in sources], publish=publish, acting_user=acting_user)
    items: list[ImportItem] = []
    rejections: list[Rejection] = []
    try:
        for source in sources:
            parsed = parse_source(source)
            items.extend(parsed.items)
            rejections.extend(parsed.rejections)
        do_import_items(items, publish=publish, acting_user=acting_user, run=run, rejections=rejections)
    except InvalidInput as error:
        do_fail_import_run(run, error.message, acting_user=acting_user)
        raise
    run.refresh_from_db()
    return run


def finish_import_run(run: ImportRun, summary: ImportSummary, rejections: Sequence[Rejection]) -> None:
    ImportRejection.objects.bulk_create(
        ImportRejection(
            run=run, source=rejection.source[:500], external_ref=rejection.external_ref[:300], reason=rejection.reason
        )
        for rejection in rejections
    )
    run.created = summary.created
    run.updated = summary.updated
    run.unchanged = summary.unchanged
    run.rejected = len(rejections)
    run.status = ImportRun.Status.PARTIAL if rejections else ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save(update_fields=["created", "updated", "unchanged", "rejected", "status", "finished_at"])


def do_import_items(
    items: Sequence[ImportItem],
    *,
    publish: bool = True,
    acting_user: ActingUser,
    run: ImportRun | None = None,
    rejections: Sequence[Rejection] = (),
) -> ImportSummary:
    """Create or update one article per item, matched by `external_ref`, all or nothing.

    An item whose text and example questions equal the article's latest version changes
    nothing; otherwise it becomes a new version. With `publish`, each article's latest
    version is published, which queues its indexing. With `run`, the counts and the
    parser's `rejections` are stored on it in the same transaction.
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
        if run is not None:
            finish_import_run(run, summary, rejections)
        record_audit(
            "knowledge.import",
            acting_user=acting_user,
            target=run,
            created=summary.created,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=len(rejections),
        )
    logger.info(
        "knowledge imported run=%s created=%s updated=%s unchanged=%s rejected=%s",
        run.pk if run is not None else None,
        summary.created,
        summary.updated,
        summary.unchanged,
        len(rejections),
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
