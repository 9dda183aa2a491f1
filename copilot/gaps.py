"""Content gaps: the customer questions the knowledge base did not answer, grouped by meaning.

A question counts when the AI handed it off for low confidence or because no knowledge
matched (escalation's Handoff, whose packet names the trigger message), or when the
customer marked the AI's answer to it as not helpful (AnswerFeedback). This module reads
and groups; `copilot.actions.do_refresh_gaps` writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Model

from copilot.models import AnswerFeedback, GapQuestion
from knowledge.clustering import TextCluster, cluster_texts
from knowledge.language import detect_language
from tickets.models import Message

# Questions older than this many days are not grouped any more.
GAP_WINDOW_DAYS = 90
# Weeks shown in a gap's trend.
TREND_WEEKS = 8
# The newest questions grouped in one refresh; grouping costs grow with the square of it.
MAX_GROUPED_QUESTIONS = 2000
EXAMPLES_PER_GAP = 10
HANDOFF_REASONS = (GapQuestion.Reason.LOW_CONFIDENCE.value, GapQuestion.Reason.NO_KNOWLEDGE.value)


@dataclass(frozen=True)
class QuestionCandidate:
    message_id: int
    text: str
    language: str
    reason: str
    asked_at: datetime


def handoff_model() -> type[Model]:
    # Looked up by label: the dependency rules keep `escalation` out of other apps' imports.
    return apps.get_model("escalation", "Handoff")


def handoff_questions(since: datetime) -> dict[int, str]:
    """Return {trigger message id: handoff reason} of the low-confidence handoffs since `since`."""
    rows = handoff_model()._default_manager.filter(reason__in=HANDOFF_REASONS, created_at__gte=since)
    found: dict[int, str] = {}
    for reason, packet in rows.values_list("reason", "packet"):
        message_id = packet.get("trigger_message_id") if isinstance(packet, dict) else None
        if isinstance(message_id, int):
            found.setdefault(message_id, reason)
    return found


def not_helpful_questions(since: datetime) -> dict[int, str]:
    """Return {customer question id: "not_helpful"} for answers marked not helpful since `since`."""
    rows = AnswerFeedback.objects.filter(helpful=False, created_at__gte=since, message__reply_to__isnull=False)
    return {
        question_id: GapQuestion.Reason.NOT_HELPFUL.value
        for question_id in rows.values_list("message__reply_to_id", flat=True)
        if question_id is not None
    }


def new_gap_questions(since: datetime) -> list[QuestionCandidate]:
    """Return the questions of the window that are not stored as gap questions yet."""
    reasons = not_helpful_questions(since)
    reasons.update(handoff_questions(since))
    known = set(GapQuestion.objects.filter(message_id__in=reasons).values_list("message_id", flat=True))
    messages = Message.objects.filter(
        pk__in=[message_id for message_id in reasons if message_id not in known],
        author_kind=Message.AuthorKind.CUSTOMER,
    ).only("pk", "text", "created_at")
    return [
        QuestionCandidate(
            message.pk, message.text, detect_language(message.text), reasons[message.pk], message.created_at
        )
        for message in messages
    ]


def weekly_counts(asked: list[datetime], now: datetime) -> list[int]:
    """Count the questions of each of the last TREND_WEEKS weeks, the oldest week first."""
    counts = [0] * TREND_WEEKS
    for asked_at in asked:
        week = (now - asked_at) // timedelta(days=7)
        if 0 <= week < TREND_WEEKS:
            counts[TREND_WEEKS - 1 - week] += 1
    return counts


def trend(counts: list[int]) -> str:
    """Return "rising", "falling" or "steady" from the last two weeks against the two before."""
    recent, earlier = sum(counts[-2:]), sum(counts[-4:-2])
    if recent > earlier:
        return "rising"
    if recent < earlier:
        return "falling"
    return "steady"


@dataclass
class GapSummary:
    question_ids: list[int]
    label: str
    examples: list[str]
    languages: dict[str, int]
    weekly_counts: list[int]
    first_asked_at: datetime
    last_asked_at: datetime


def group_questions(questions: list[GapQuestion], now: datetime) -> list[GapSummary]:
    """Group the questions by meaning, in English and Arabic alike, the largest group first."""
    clusters: list[TextCluster] = cluster_texts([question.text for question in questions])
    summaries = []
    for cluster in clusters:
        members = [questions[position] for position in cluster.members]
        asked = [question.asked_at for question in members]
        examples: list[str] = []
        for question in members:
            text = " ".join(question.text.split())
            if text.lower() not in {example.lower() for example in examples}:
                examples.append(text)
        summaries.append(
            GapSummary(
                question_ids=[question.pk for question in members],
                label=examples[0][:300],
                examples=examples[:EXAMPLES_PER_GAP],
                languages=dict(Counter(question.language for question in members)),
                weekly_counts=weekly_counts(asked, now),
                first_asked_at=min(asked),
                last_asked_at=max(asked),
            )
        )
    return summaries


def match_old_gaps(summaries: list[GapSummary], old_members: dict[int, set[int]]) -> list[int | None]:
    """Pair each new group with the open gap that shares most of its questions, so a gap
    keeps its id across refreshes; None where no unused old gap shares any."""
    used: set[int] = set()
    matches: list[int | None] = []
    for summary in summaries:
        members = set(summary.question_ids)
        best, best_shared = None, 0
        for gap_id, old in old_members.items():
            shared = len(members & old)
            if gap_id not in used and shared > best_shared:
                best, best_shared = gap_id, shared
        if best is not None:
            used.add(best)
        matches.append(best)
    return matches
