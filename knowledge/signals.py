"""Signals the knowledge app sends, so other apps can react without knowledge importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the publishing transaction with article_id, version_id and
# previous_version_id (None on the first publish). Receivers that start work must do so in
# transaction.on_commit, such as through supportdesk.tasks.enqueue_on_commit.
version_published = Signal()
