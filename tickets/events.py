"""Payloads of the customer chat websocket; docs/chat-protocol.md describes the protocol."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SourcePayload(BaseModel):
    title: str
    url: str
    version: int


class MessagePayload(BaseModel):
    id: int
    author_kind: Literal["customer", "ai", "agent", "system"]
    text: str
    created_at: datetime
    client_message_id: str | None = None
    sources: list[SourcePayload] = Field(default_factory=list)
    confidence: float | None = None


class StatePayload(BaseModel):
    status: Literal["ai", "queued", "assigned", "snoozed", "resolved"]
    tier: int
    queue_position: int | None = None


class HistoryEvent(BaseModel):
    type: Literal["history"] = "history"
    messages: list[MessagePayload]
    state: StatePayload


class AckEvent(BaseModel):
    type: Literal["ack"] = "ack"
    client_message_id: str
    message_id: int
    duplicate: bool


class MessageEvent(BaseModel):
    type: Literal["message"] = "message"
    message: MessagePayload


class StateEvent(BaseModel):
    type: Literal["state"] = "state"
    state: StatePayload


class TypingEvent(BaseModel):
    """Someone on the other side is typing; the widget shows it for a few seconds."""

    type: Literal["typing"] = "typing"
    author_kind: Literal["agent"]


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    code: str
    message: str
    client_message_id: str | None = None


# What the client may send.


class ClientMessage(BaseModel):
    type: Literal["message"]
    client_message_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    text: str


class ClientRequestHuman(BaseModel):
    type: Literal["request_human"]
    client_message_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9-]+$")


class ClientTyping(BaseModel):
    type: Literal["typing"]


class ClientFeedback(BaseModel):
    """The customer's verdict on one AI answer of this conversation."""

    type: Literal["feedback"]
    message_id: int = Field(ge=1)
    helpful: bool


class FeedbackEvent(BaseModel):
    type: Literal["feedback_recorded"] = "feedback_recorded"
    message_id: int
    helpful: bool


class ClientSync(BaseModel):
    type: Literal["sync"]
    after_id: int = Field(ge=0)


# Group events between processes and the console's sockets. They carry ids, not HTML: each
# console socket renders the fragment for its own user and language.


class AgentEvent(BaseModel):
    """Sent to an agent conversation group or to the agents group by actions and tasks."""

    type: Literal["agent.event"] = "agent.event"
    kind: Literal["message", "panel", "state", "queue_changed", "customer_typing", "notice"]
    message_id: int | None = None
    draft_id: int | None = None
    text: str = ""
    level: Literal["info", "warning", "error"] = "info"


class ViewerEvent(BaseModel):
    """Console sockets of one conversation telling each other who is viewing or typing."""

    type: Literal["viewer.hello", "viewer.here", "viewer.bye", "viewer.typing"]
    channel: str
    username: str = ""


class ConsoleClientFrame(BaseModel):
    """What the console page sends on its conversation socket."""

    type: Literal["sync", "typing"]
    after_id: int = Field(default=0, ge=0)
