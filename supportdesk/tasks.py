"""Enqueueing django-q2 tasks after the current transaction commits."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

logger = logging.getLogger(__name__)


def enqueue_on_commit(func_path: str, *args: Any) -> None:
    """Queue `func_path(*args)` once the transaction commits, so the task sees the rows.

    With Q_CLUSTER's `sync` set (tests, `evaluate_tier0`) the task runs inline at commit.
    """

    def enqueue() -> None:
        sync = bool(settings.Q_CLUSTER.get("sync"))
        async_task(func_path, *args, sync=sync)
        logger.info("task queued func=%s args=%s sync=%s", func_path, args, sync)

    transaction.on_commit(enqueue)
