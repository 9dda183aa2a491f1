"""A real desk for tests and benchmarks: daphne (and optionally a django-q2 cluster) as
separate processes on 127.0.0.1, set up by the same commands as the demo, with clients that
keep cookies and speak the chat websocket. Imports nothing from Django, so benchmarks can
use it without settings."""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

REPO_ROOT = Path(__file__).resolve().parent.parent

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
            started = json.loads(response.read())
        self.conversation_id = str(started["conversation_id"])
        return str(started["token"])

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
