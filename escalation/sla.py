"""Reading an SLA clock: elapsed business time, due times and what is met, near or breached.

The writes (start, pause, resume, stop, warnings) are in `escalation.actions.sla`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escalation.calendar import BusinessCalendar
from escalation.models import SLAClock, SLATarget


@dataclass(frozen=True)
class TargetState:
    target: str
    target_seconds: float
    # Business seconds left before the target is breached; negative once breached.
    remaining_seconds: float
    # None while the clock is paused, or when the calendar has no open time left.
    due_at: datetime | None
    # True once the first response was sent or the conversation resolved.
    done: bool

    @property
    def breached(self) -> bool:
        return self.remaining_seconds <= 0


def calendar_for(clock: SLAClock) -> BusinessCalendar:
    if not clock.policy.use_business_hours:
        return BusinessCalendar.always_open()
    return BusinessCalendar.for_queue(clock.queue)


def elapsed_business_seconds(clock: SLAClock, now: datetime, calendar: BusinessCalendar) -> float:
    """Return the business seconds counted so far, with time waiting on the customer left out."""
    end = min(now, clock.paused_since) if clock.paused_since else now
    return calendar.business_seconds(clock.started_at, end) - clock.paused_business_seconds


def target_states(clock: SLAClock, now: datetime, calendar: BusinessCalendar | None = None) -> list[TargetState]:
    calendar = calendar or calendar_for(clock)
    elapsed = elapsed_business_seconds(clock, now, calendar)
    states = []
    for target, minutes, done_at in (
        (SLATarget.FIRST_RESPONSE, clock.policy.first_response_minutes, clock.first_responded_at),
        (SLATarget.RESOLUTION, clock.policy.resolution_minutes, clock.resolved_at),
    ):
        seconds = minutes * 60.0
        if done_at is not None:
            # A met target is judged at the moment it was met.
            used = calendar.business_seconds(clock.started_at, done_at) - clock.paused_business_seconds
            states.append(TargetState(target, seconds, seconds - used, None, done=True))
            continue
        due_at = None
        if clock.paused_since is None:
            due_at = calendar.add_business_seconds(clock.started_at, seconds + clock.paused_business_seconds)
        states.append(TargetState(target, seconds, seconds - elapsed, due_at, done=False))
    return states
