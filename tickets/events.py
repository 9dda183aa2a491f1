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


class ClientSync(BaseModel):
    type: Literal["sync"]
    after_id: int = Field(ge=0)
