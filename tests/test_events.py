"""Every websocket payload is a pydantic model; these check the ones the console uses."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tickets.events import AgentEvent, ConsoleClientFrame, TypingEvent, ViewerEvent


def test_agent_event_kinds() -> None:
    for kind in ("message", "panel", "state", "queue_changed", "customer_typing", "notice"):
        assert AgentEvent(kind=kind).model_dump()["type"] == "agent.event"  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        AgentEvent(kind="explode")  # type: ignore[arg-type]


def test_agent_event_carries_ids() -> None:
    event = AgentEvent(kind="message", message_id=12).model_dump()
    assert event == {
        "type": "agent.event",
        "kind": "message",
        "message_id": 12,
        "draft_id": None,
        "text": "",
        "level": "info",
    }


def test_viewer_events() -> None:
    assert ViewerEvent(type="viewer.hello", channel="x!1", username="sam").model_dump()["username"] == "sam"
    with pytest.raises(ValidationError):
        ViewerEvent(type="viewer.wave", channel="x!1")  # type: ignore[arg-type]


def test_console_client_frames() -> None:
    assert ConsoleClientFrame.model_validate({"type": "sync", "after_id": 4}).after_id == 4
    assert ConsoleClientFrame.model_validate({"type": "typing"}).after_id == 0
    with pytest.raises(ValidationError):
        ConsoleClientFrame.model_validate({"type": "sync", "after_id": -1})
    with pytest.raises(ValidationError):
        ConsoleClientFrame.model_validate({"type": "reply", "text": "hi"})


def test_typing_event_for_widget() -> None:
    assert TypingEvent(author_kind="agent").model_dump() == {"type": "typing", "author_kind": "agent"}
