"""The desk as a customer meets it: a real daphne process on loopback, set up by the same
commands as the demo, driven over HTTP and a real websocket client."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_desk import Browser, Desk, is_reply, open_socket, receive_until

pytestmark = pytest.mark.live_server_process


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    running = Desk(tmp_path_factory.mktemp("live-desk"))
    yield running
    running.stop()


def test_answer_with_sources(desk: Desk) -> None:
    connection, history = open_socket(desk, Browser(desk).start_chat())
    assert history["state"]["status"] == "ai"
    connection.send(
        json.dumps(
            {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does standard delivery cost?"}
        )
    )
    events = receive_until(connection, is_reply)
    connection.close()

    answer = events[-1]["message"]
    assert answer["author_kind"] == "ai"
    assert "4.95" in answer["text"]
    assert answer["sources"][0]["url"].startswith("/kb/")
    assert Browser(desk).get(answer["sources"][0]["url"]).count("4.95") >= 1


def test_duplicate_after_reconnect(desk: Desk) -> None:
    token = Browser(desk).start_chat()
    payload = json.dumps(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How long do I have to return an item?"}
    )
    connection, _history = open_socket(desk, token)
    connection.send(payload)
    first = receive_until(connection, is_reply)
    connection.close()

    connection, history = open_socket(desk, token)
    connection.send(payload)
    ack = json.loads(connection.recv(timeout=10))
    connection.close()
    assert ack["duplicate"] is True
    assert ack["message_id"] == first[0]["message_id"]
    assert [message["author_kind"] for message in history["messages"]] == ["customer", "ai"]


def test_handoff_on_request(desk: Desk) -> None:
    connection, _history = open_socket(desk, Browser(desk).start_chat())
    connection.send(json.dumps({"type": "request_human", "client_message_id": str(uuid.uuid4())}))
    events = receive_until(connection, lambda event: event["type"] == "state")
    connection.close()

    assert events[-1]["state"]["status"] == "queued"
    assert events[-1]["state"]["queue_position"] >= 1
    assert any(is_reply(event) and event["message"]["author_kind"] == "system" for event in events)


def test_other_token_cannot_read(desk: Desk) -> None:
    connection, _history = open_socket(desk, Browser(desk).start_chat())
    connection.send(
        json.dumps(
            {
                "type": "message",
                "client_message_id": str(uuid.uuid4()),
                "text": "Private note 7731 for the returns team",
            }
        )
    )
    receive_until(connection, lambda event: event["type"] == "state" or is_reply(event))
    connection.close()

    connection, history = open_socket(desk, Browser(desk).start_chat())
    connection.send(json.dumps({"type": "sync", "after_id": 0}))
    synced = json.loads(connection.recv(timeout=10))
    connection.close()
    assert history["messages"] == []
    assert synced["messages"] == []

    with pytest.raises(Exception, match="4403"):
        forged, _history = open_socket(desk, "forged-token")
        forged.recv(timeout=10)


def test_html_escaped_for_agent(desk: Desk) -> None:
    customer = Browser(desk)
    connection, _history = open_socket(desk, customer.start_chat())
    text = '<img src=x onerror="alert(1)"> please get me a human'
    connection.send(json.dumps({"type": "message", "client_message_id": str(uuid.uuid4()), "text": text}))
    receive_until(connection, lambda event: event["type"] == "state")
    connection.close()

    agent = Browser(desk)
    agent.log_in("agent")
    page = agent.get(f"/agent/c/{customer.conversation_id}/")
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


class HangingModelServer:
    """An OpenAI-compatible endpoint on loopback that accepts requests and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = int(self.listener.getsockname()[1])
        self.connections: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.listener.close()


def test_provider_timeout_hands_off(tmp_path: Path) -> None:
    model_server = HangingModelServer()
    desk = Desk(
        tmp_path,
        SUPPORTDESK_LLM_PROVIDER="openai",
        SUPPORTDESK_LLM_MODEL="hanging-model",
        SUPPORTDESK_LLM_BASE_URL=f"http://127.0.0.1:{model_server.port}/v1",
        SUPPORTDESK_LLM_TIMEOUT="1",
    )
    try:
        connection, _history = open_socket(desk, Browser(desk).start_chat())
        connection.send(
            json.dumps(
                {
                    "type": "message",
                    "client_message_id": str(uuid.uuid4()),
                    "text": "How much does standard delivery cost?",
                }
            )
        )
        events = receive_until(connection, lambda event: event["type"] == "state")
        connection.close()
    finally:
        desk.stop()
        model_server.close()

    kinds = [event["message"]["author_kind"] for event in events if event["type"] == "message"]
    assert kinds == ["customer", "system"]
    assert events[-1]["state"]["status"] == "queued"
    assert model_server.connections, "the desk never called the model server"


def ask(desk: Desk, question: str) -> dict[str, Any]:
    """Ask in a new conversation and return the reply (an AI answer or a handoff notice)."""
    connection, _history = open_socket(desk, Browser(desk).start_chat())
    connection.send(json.dumps({"type": "message", "client_message_id": str(uuid.uuid4()), "text": question}))
    events = receive_until(connection, is_reply)
    connection.close()
    return dict(events[-1]["message"])


def test_cluster_indexes_for_daphne(tmp_path: Path) -> None:
    """Publishing through the q2 cluster, a separate process, reaches daphne's answers."""
    desk = Desk(tmp_path / "desk", with_cluster=True)
    try:
        deadline = time.monotonic() + 120
        while (reply := ask(desk, "How much does standard delivery cost?"))[
            "author_kind"
        ] != "ai" and time.monotonic() < deadline:
            time.sleep(1)
        assert reply["author_kind"] == "ai"

        folder = tmp_path / "new-knowledge"
        folder.mkdir()
        (folder / "gift-wrap.md").write_text(
            "---\ntitle: Gift wrapping\nexample_questions:\n  - Can you gift wrap my order?\n  - do you offer gift wrapping\n---\n"
            "Gift wrapping costs 3.50 euros per item and includes a handwritten card.\n",
            encoding="utf-8",
        )
        desk.manage("import_knowledge", str(folder))
        deadline = time.monotonic() + 120
        while "3.50" not in (reply := ask(desk, "Can you gift wrap my order?"))["text"] and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        desk.stop()
    assert reply["author_kind"] == "ai"
    assert "3.50 euros" in reply["text"]
