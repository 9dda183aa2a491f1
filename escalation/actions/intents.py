"""Importing intents and their example phrases."""

from __future__ import annotations

import logging
import re

from django.db import transaction

from escalation.models import Intent, IntentExample
from knowledge.language import detect_language
from supportdesk.audit import record_audit
from supportdesk.types import ActingUser

logger = logging.getLogger(__name__)


def intent_name(label: str) -> str:
    """Turn a CSV label such as "card arrival" into a slug-like intent name: "card_arrival"."""
    return re.sub(r"[^\w-]+", "_", label.strip().lower(), flags=re.UNICODE).strip("_")[:100]


def do_import_intent_examples(
    texts: list[str], labels: list[str], *, skip_label: str | None = None, acting_user: ActingUser
) -> tuple[int, int]:
    """Create missing intents and add their examples, all or nothing.

    Rows labelled `skip_label` (the out-of-scope label) are not intents and are left out.
    Returns the number of intents and of examples created; existing examples are kept once.
    """
    with transaction.atomic():
        intents = {intent.name: intent for intent in Intent.objects.all()}
        created_intents = 0
        new_examples = []
        for text, label in zip(texts, labels, strict=True):
            if skip_label is not None and label == skip_label:
                continue
            name = intent_name(label)
            if name not in intents:
                intents[name] = Intent.objects.create(name=name, description=label.strip()[:300])
                created_intents += 1
            new_examples.append(IntentExample(intent=intents[name], text=text[:500], language=detect_language(text)))
        before = IntentExample.objects.count()
        IntentExample.objects.bulk_create(new_examples, ignore_conflicts=True)
        created_examples = IntentExample.objects.count() - before
        record_audit(
            "escalation.import_intents",
            acting_user=acting_user,
            actor_kind="import",
            intents=created_intents,
            examples=created_examples,
        )
    logger.info("intent examples imported intents=%s examples=%s", created_intents, created_examples)
    return created_intents, created_examples
