"""Time from a customer's message to the copilot panel on the agent's page, on the embedded
default: daphne and a django-q2 cluster as separate processes, SQLite, the in-memory channel
layer with the database relay, embedded Chroma and the demo knowledge base.

For each sample a customer starts a chat, an agent's browser session has that conversation's
page open (its websocket), and the customer presses "talk to a human". The clock runs from
sending that frame until the panel fragment arrives on the agent's socket. That covers storing
the message, the handoff, the q2 broker's poll, the panel task (retrieval, sentiment, draft),
and the relay to daphne.

Usage (from the repository root): .venv/bin/python bench/copilot_panel_latency.py [--samples 30] [--warm-up 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from websockets.sync.client import connect
from websockets.typing import Origin

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.live_desk import Browser, Desk, open_socket  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure customer message to copilot panel latency.")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument(
        "--warm-up",
        type=int,
        default=2,
        help="samples run first and not counted: the q2 worker loads the encoder on its first task",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        desk = Desk(Path(data_dir), with_cluster=True)
        try:
            agent = Browser(desk)
            agent.log_in("agent")
            cookie = "; ".join(f"{item.name}={item.value}" for item in agent.cookies)
            for _ in range(args.warm_up):
                measure_once(desk, cookie)
            latencies = [measure_once(desk, cookie) for _ in range(args.samples)]
        finally:
            desk.stop()
    print(
        json.dumps(
            {
                "samples": len(latencies),
                "p50_ms": round(statistics.median(latencies), 1),
                "p95_ms": round(percentile(latencies, 0.95), 1),
                "max_ms": round(max(latencies), 1),
            }
        )
    )


def measure_once(desk: Desk, cookie: str) -> float:
    customer = Browser(desk)
    customer.get("/chat/")
    with customer.post("/chat/start/", b"{}", "application/json") as response:
        started = json.loads(response.read())
    agent_socket = connect(
        f"ws://127.0.0.1:{desk.port}/ws/agent/conversations/{started['conversation_id']}/",
        origin=Origin(desk.base),
        additional_headers={"Cookie": cookie},
        open_timeout=10,
        legacy=True,
    )
    chat, _history = open_socket(desk, started["token"])
    sent_at = time.perf_counter()
    chat.send(json.dumps({"type": "request_human", "client_message_id": str(uuid.uuid4())}))
    while True:
        frame = agent_socket.recv(timeout=60)
        if 'id="copilot-panel"' in str(frame):
            elapsed_ms = (time.perf_counter() - sent_at) * 1000
            break
    chat.close()
    agent_socket.close()
    return elapsed_ms


if __name__ == "__main__":
    main()
