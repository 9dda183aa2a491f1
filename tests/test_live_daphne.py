"""The desk as a customer meets it: a real daphne process on loopback, set up by the same
commands as the demo, driven over HTTP and a real websocket client."""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.live_server_process

DEMO_PASSWORD = "live-test-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def desk_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SUPPORTDESK_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="supportdesk.settings",
        SUPPORTDESK_DATA_DIR=str(data_dir),
        # No q2 cluster runs here, so indexing runs inline during the import.
        SUPPORTDESK_WARM_UP="1",
        SUPPORTDESK_TASKS_SYNC="1",
        SUPPORTDESK_LOG_LEVEL="WARNING",
        **extra,
    )
    return environment


class Desk:
    """A daphne process serving one desk on 127.0.0.1, optionally with a django-q2 cluster."""

    def __init__(self, data_dir: Path, *, with_cluster: bool = False, **extra_environment: str) -> None:
        self.environment = desk_environment(data_dir, **extra_environment)
        self.cluster: subprocess.Popen[bytes] | None = None
        if with_cluster:
            self.environment["SUPPORTDESK_TASKS_SYNC"] = "0"
        self.manage("migrate", "--noinput")
        if with_cluster:
            self.cluster = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=REPO_ROOT,
                env=self.environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        self.manage("setup_demo", "--password", DEMO_PASSWORD)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "supportdesk.asgi:application"],
            cwd=REPO_ROOT,
            env=self.environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.wait_until_up()

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"daphne exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            try:
                urllib.request.urlopen(f"{self.base}/chat/", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not answer within 60 s")

    def manage(self, *arguments: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=REPO_ROOT,
            env=self.environment,
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        for process in (self.process, self.cluster):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


class Browser:
    """Cookies and CSRF handling for one visitor."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def csrf(self) -> str:
        return next(str(cookie.value) for cookie in self.cookies if cookie.name == "csrftoken")

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.desk.base}{path}", timeout=10) as response:
            return str(response.read().decode())

    def post(self, path: str, data: bytes, content_type: str) -> Any:
        request = urllib.request.Request(
            f"{self.desk.base}{path}",
            data=data,
            headers={"Content-Type": content_type, "X-CSRFToken": self.csrf(), "Referer": f"{self.desk.base}{path}"},
        )
        return self.opener.open(request, timeout=10)

    def start_chat(self) -> str:
        self.get("/chat/")
        with self.post("/chat/start/", json.dumps({"name": "Live Test"}).encode(), "application/json") as response:
            return str(json.loads(response.read())["token"])

    def log_in(self, username: str) -> None:
        self.get("/accounts/login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": self.csrf()}
        ).encode()
        self.post("/accounts/login/", form, "application/x-www-form-urlencoded").close()


def open_socket(desk: Desk, token: str) -> tuple[ClientConnection, dict[str, Any]]:
    connection = connect(
        f"ws://127.0.0.1:{desk.port}/ws/chat/{token}/", origin=Origin(desk.base), open_timeout=10, legacy=True
    )
    history = json.loads(connection.recv(timeout=10))
    return connection, history


def receive_until(connection: ClientConnection, predicate: Any, limit: int = 10) -> list[dict[str, Any]]:
    seen = []
    for _ in range(limit):
        # Generous: the first answer of a new process loads the encoder and trains the re-ranker.
        event = json.loads(connection.recv(timeout=90))
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"no matching event among {seen}")


def is_reply(event: dict[str, Any]) -> bool:
    return event["type"] == "message" and event["message"]["author_kind"] in {"ai", "system"}


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
    connection, _history = open_socket(desk, Browser(desk).start_chat())
    text = '<img src=x onerror="alert(1)"> please get me a human'
    connection.send(json.dumps({"type": "message", "client_message_id": str(uuid.uuid4()), "text": text}))
    receive_until(connection, lambda event: event["type"] == "state")
    connection.close()

    agent = Browser(desk)
    agent.log_in("agent")
    queue = agent.get("/agent/queue/")
    assert '<img src=x onerror="alert(1)">' not in queue
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in queue


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
