"""Every write of the copilot app: answer feedback, the re-verification queue and content gaps."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from copilot import gaps
from copilot.models import AnswerFeedback, ContentGap, GapQuestion, ReverificationItem
from knowledge.actions import do_create_article
from knowledge.models import Article, ArticleVersion
from supportdesk.audit import record_audit
from supportdesk.errors import InvalidInput
from supportdesk.types import ActingUser
from tickets.actions import notify_message
from tickets.models import Conversation, Message

logger = logging.getLogger(__name__)


def acting_account(acting_user: ActingUser) -> User | None:
    return acting_user if isinstance(acting_user, User) and acting_user.is_authenticated else None


# --- Answer feedback ----------------------------------------------------------------------------


def do_record_feedback(message: Message, *, helpful: bool, acting_user: ActingUser = None) -> AnswerFeedback:
    """Store the customer's verdict on an AI answer; a second verdict replaces the first."""
    if message.author_kind != Message.AuthorKind.AI:
        raise InvalidInput(
            _("Feedback is for AI answers; message %(id)s was written by %(author)s.")
            % {"id": message.pk, "author": message.get_author_kind_display()},
            code="feedback_not_ai_answer",
        )
    with transaction.atomic():
        feedback, created = AnswerFeedback.objects.update_or_create(message=message, defaults={"helpful": helpful})
        record_audit(
            "copilot.record_feedback",
            acting_user=acting_user,
            actor_kind="customer",
            target=feedback,
            message_id=message.pk,
            helpful=helpful,
            replaced=not created,
        )
    logger.info("answer feedback message=%s helpful=%s", message.pk, helpful)
    return feedback


# --- Re-verification ----------------------------------------------------------------------------


def reverification_note(article: Article, old_version: ArticleVersion, new_version: ArticleVersion) -> str:
    return _(
        "Knowledge changed: %(title)s now has version %(new)s. An answer in this conversation quoted "
        "version %(old)s, so check that what the customer was told still holds."
    ) % {"title": new_version.title, "new": new_version.number, "old": old_version.number}


def do_flag_for_reverification(
    conversation: Conversation, *, items: Sequence[ReverificationItem], acting_user: ActingUser
) -> Message:
    """Post an internal note for the agent of an open conversation whose answers quoted old text."""
    if not items:
        raise InvalidInput(_("There is nothing to flag: no answer of this conversation is listed."))
    first = items[0]
    with transaction.atomic():
        note = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.SYSTEM,
            visibility=Message.Visibility.INTERNAL,
            text=reverification_note(first.article, first.old_version, first.new_version),
        )
        ReverificationItem.objects.filter(pk__in=[item.pk for item in items]).update(flag_note=note)
        record_audit(
            "copilot.flag_for_reverification",
            acting_user=acting_user,
            target=conversation,
            note_id=note.pk,
            article_id=first.article_id,
            new_version_id=first.new_version_id,
            item_ids=[item.pk for item in items],
        )
        notify_message(note)
    logger.info("reverification flagged conversation=%s note=%s", conversation.public_id, note.pk)
    return note


def do_queue_reverification(
    new_version: ArticleVersion, *, answers: Sequence[tuple[Message, int]], acting_user: ActingUser
) -> list[ReverificationItem]:
    """List each (message, quoted old version id) for checking against `new_version`, and
    flag the conversations still open.

    Items still pending for an older version of the same article are superseded: the newest
    text is the one to check against. Safe to run twice for one version.
    """
    with transaction.atomic():
        ReverificationItem.objects.filter(
            article_id=new_version.article_id, status=ReverificationItem.Status.PENDING
        ).exclude(new_version=new_version).update(status=ReverificationItem.Status.SUPERSEDED)
        items = []
        for message, old_version_id in answers:
            item, created = ReverificationItem.objects.get_or_create(
                message=message,
                new_version=new_version,
                defaults={
                    "conversation_id": message.conversation_id,
                    "article_id": new_version.article_id,
                    "old_version_id": old_version_id,
                    "answered_at": message.created_at,
                },
            )
            if created:
                items.append(item)
        record_audit(
            "copilot.queue_reverification",
            acting_user=acting_user,
            target=new_version,
            article_id=new_version.article_id,
            items=len(items),
        )
        open_conversations = Conversation.objects.filter(pk__in={item.conversation_id for item in items}).exclude(
            status=Conversation.Status.RESOLVED
        )
        for conversation in open_conversations:
            flagged = [item for item in items if item.conversation_id == conversation.pk]
            do_flag_for_reverification(conversation, items=flagged, acting_user=acting_user)
    return items


def do_mark_reverified(items: Iterable[ReverificationItem], *, acting_user: ActingUser) -> int:
    """Record that someone checked these answers against the new text; returns how many changed."""
    with transaction.atomic():
        pending = ReverificationItem.objects.select_for_update().filter(
            pk__in=[item.pk for item in items], status=ReverificationItem.Status.PENDING
        )
        ids = list(pending.values_list("pk", flat=True))
        ReverificationItem.objects.filter(pk__in=ids).update(
            status=ReverificationItem.Status.VERIFIED, checked_by=acting_account(acting_user), checked_at=timezone.now()
        )
        record_audit("copilot.mark_reverified", acting_user=acting_user, item_ids=ids)
    return len(ids)


# --- Content gaps -------------------------------------------------------------------------------


def do_refresh_gaps(*, acting_user: ActingUser) -> int:
    """Store the new unanswered questions and regroup every question of open gaps by meaning.

    Returns the number of open gaps. Dismissed gaps and gaps that led to an article keep
    their questions, so those are never grouped again.
    """
    now = timezone.now()
    since = now - timedelta(days=gaps.GAP_WINDOW_DAYS)
    candidates = gaps.new_gap_questions(since)
    with transaction.atomic():
        GapQuestion.objects.bulk_create(
            [
                GapQuestion(
                    message_id=candidate.message_id,
                    text=candidate.text,
                    language=candidate.language,
                    reason=candidate.reason,
                    asked_at=candidate.asked_at,
                )
                for candidate in candidates
            ],
            ignore_conflicts=True,
        )
    open_questions = list(
        GapQuestion.objects.filter(asked_at__gte=since)
        .filter(Q(gap__isnull=True) | Q(gap__status=ContentGap.Status.OPEN))
        .order_by("-asked_at")[: gaps.MAX_GROUPED_QUESTIONS]
    )
    # Grouping embeds every question, so it runs before the write transaction opens.
    summaries = gaps.group_questions(open_questions, now)

    with transaction.atomic():
        old_members: dict[int, set[int]] = {}
        for question_id, old_gap_id in GapQuestion.objects.filter(gap__status=ContentGap.Status.OPEN).values_list(
            "pk", "gap_id"
        ):
            if old_gap_id is not None:
                old_members.setdefault(old_gap_id, set()).add(question_id)
        matches = gaps.match_old_gaps(summaries, old_members)
        kept: set[int] = set()
        for summary, gap_id in zip(summaries, matches, strict=True):
            fields = {
                "label": summary.label,
                "question_count": len(summary.question_ids),
                "languages": summary.languages,
                "weekly_counts": summary.weekly_counts,
                "examples": summary.examples,
                "first_asked_at": summary.first_asked_at,
                "last_asked_at": summary.last_asked_at,
            }
            if gap_id is None:
                gap = ContentGap.objects.create(**fields)
            else:
                ContentGap.objects.filter(pk=gap_id).update(**fields, updated_at=now)
                gap = ContentGap(pk=gap_id)
            kept.add(gap.pk)
            GapQuestion.objects.filter(pk__in=summary.question_ids).update(gap=gap)
        ContentGap.objects.filter(status=ContentGap.Status.OPEN).exclude(pk__in=kept).delete()
        record_audit(
            "copilot.refresh_gaps",
            acting_user=acting_user,
            new_questions=len(candidates),
            grouped_questions=len(open_questions),
            open_gaps=len(kept),
        )
    logger.info(
        "content gaps refreshed new_questions=%s grouped=%s open_gaps=%s",
        len(candidates),
        len(open_questions),
        len(kept),
    )
    return len(kept)


def check_open_gap(gap: ContentGap) -> None:
    if gap.status != ContentGap.Status.OPEN:
        raise InvalidInput(
            _("The content gap %(label)s is already %(status)s; only open gaps can be acted on.")
            % {"label": gap.label, "status": gap.get_status_display()},
            code="gap_not_open",
        )


def do_dismiss_gap(gap: ContentGap, *, acting_user: ActingUser) -> ContentGap:
    """Set the gap aside: its questions are not grouped again, and new ones form a new gap."""
    with transaction.atomic():
        gap = ContentGap.objects.select_for_update().get(pk=gap.pk)
        check_open_gap(gap)
        gap.status = ContentGap.Status.DISMISSED
        gap.decided_by = acting_account(acting_user)
        gap.decided_at = timezone.now()
        gap.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        record_audit("copilot.dismiss_gap", acting_user=acting_user, target=gap, questions=gap.question_count)
    return gap


def do_create_article_from_gap(
    gap: ContentGap,
    *,
    title: str,
    body: str,
    example_questions: Sequence[str],
    language: str,
    kind: str = Article.Kind.FAQ,
    audience: str = Article.Audience.CUSTOMER,
    acting_user: ActingUser,
) -> Article:
    """Write a draft article that answers the gap's questions, and close the gap with it."""
    with transaction.atomic():
        gap = ContentGap.objects.select_for_update().get(pk=gap.pk)
        check_open_gap(gap)
        article = do_create_article(
            title=title,
            body=body,
            kind=kind,
            audience=audience,
            language=language,
            example_questions=example_questions,
            owner=acting_account(acting_user),
            acting_user=acting_user,
        )
        gap.status = ContentGap.Status.ARTICLE_CREATED
        gap.article = article
        gap.decided_by = acting_account(acting_user)
        gap.decided_at = timezone.now()
        gap.save(update_fields=["status", "article", "decided_by", "decided_at", "updated_at"])
        record_audit("copilot.create_article_from_gap", acting_user=acting_user, target=gap, article_id=article.pk)
    return article
