"""Template filters of the agent console."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext, ngettext

register = template.Library()


def format_duration(seconds: int) -> str:
    """Format a duration as its two largest units, e.g. "2 hours, 5 minutes".

    Each unit goes through ngettext, so that languages with more plural forms than English
    (Arabic has six) get the right one. A duration under a minute reads "0 minutes".
    """
    minutes = max(seconds, 0) // 60
    if minutes < 60:
        return minutes_text(minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return join_units(hours_text(hours), minutes_text(minutes) if minutes else "")
    days, hours = divmod(hours, 24)
    return join_units(days_text(days), hours_text(hours) if hours else "")


def minutes_text(count: int) -> str:
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def hours_text(count: int) -> str:
    return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}


def days_text(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def join_units(larger: str, smaller: str) -> str:
    if not smaller:
        return larger
    # Translators: two parts of a duration, such as "2 hours" and "5 minutes".
    return gettext("%(larger)s, %(smaller)s") % {"larger": larger, "smaller": smaller}


@register.filter
def waited_since(start: datetime | None) -> str:
    """Format the time from `start` until now, for the queue's waiting column."""
    if start is None:
        return ""
    return format_duration(int((timezone.now() - start).total_seconds()))


@register.filter
def analysis_word(code: str) -> str:
    """Show a sentiment label, trend or signal code as a translated word."""
    from copilot.sentiment import display_word

    return display_word(str(code))


@register.filter
def status_word(code: str) -> str:
    """Show a conversation status code as its translated label."""
    from tickets.models import Conversation

    try:
        return str(Conversation.Status(code).label)
    except ValueError:
        return str(code)
