"""End to end in a real headless Chromium: a customer asks for a person, an agent sees the
conversation arrive live, inserts the copilot's draft, edits and sends it, and the customer's
page shows the reply. Screenshots of both pages go to test-artifacts/."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_desk import DEMO_PASSWORD, REPO_ROOT, Desk

pytestmark = [pytest.mark.browser, pytest.mark.live_server_process]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium is not installed at {CHROMIUM}; scripts/test.sh installs it when run as root",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    running = Desk(tmp_path_factory.mktemp("browser-desk"), with_cluster=True)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def draft_fates(desk: Desk) -> str:
    script = "from tickets.models import Draft; print(sorted(Draft.objects.values_list('fate', flat=True)))"
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPO_ROOT,
        env=desk.environment,
        check=True,
        capture_output=True,
        text=True,
    )
    return output.stdout.strip()


def test_agent_replies_with_edited_draft(desk: Desk, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    agent = browser.new_context(locale="en-GB")  # type: ignore[attr-defined]
    agent_page = agent.new_page()
    agent_page.goto(f"{desk.base}/accounts/login/")
    agent_page.fill("#id_username", "agent")
    agent_page.fill("#id_password", DEMO_PASSWORD)
    agent_page.click(".login button[type=submit]")
    agent_page.wait_for_url(f"{desk.base}/agent/")

    customer = browser.new_context(locale="en-GB")  # type: ignore[attr-defined]
    customer_page = customer.new_page()
    customer_page.goto(f"{desk.base}/chat/")
    customer_page.wait_for_function(
        "document.querySelector('#chat-status').textContent.includes('Connected')", timeout=30_000
    )
    customer_page.fill("#chat-input", "My discount code is rejected at checkout, what can I do?")
    customer_page.press("#chat-input", "Enter")
    customer_page.click("#chat-human")
    customer_page.wait_for_function(
        "document.querySelector('#chat-status').textContent.includes('queue')", timeout=60_000
    )

    # The conversation arrives on the agent's queue without a reload.
    row = agent_page.locator("#queue-rows tr.queue-row--queued a").first
    row.wait_for(timeout=60_000)
    row.click()
    agent_page.locator("#insert-draft").wait_for(timeout=90_000)
    agent_page.click("#insert-draft")
    draft = agent_page.input_value("#reply-text")
    assert draft.strip()
    agent_page.fill("#reply-text", draft + "\n\nThanks for waiting, Sam from Juniper Lane.")
    agent_page.click("#reply-send")

    customer_page.get_by_text("Thanks for waiting, Sam from Juniper Lane.").wait_for(timeout=30_000)
    agent_page.locator("#thread").get_by_text("Thanks for waiting, Sam from Juniper Lane.").wait_for(timeout=30_000)
    customer_page.screenshot(path=str(ARTIFACTS / "e2e-customer.png"), full_page=True)
    agent_page.screenshot(path=str(ARTIFACTS / "e2e-agent.png"), full_page=True)
    agent.close()
    customer.close()

    assert "edited" in draft_fates(desk)
    assert (ARTIFACTS / "e2e-customer.png").stat().st_size > 10_000
    assert (ARTIFACTS / "e2e-agent.png").stat().st_size > 10_000


def test_arabic_pages_right_to_left(desk: Desk, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="ar")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{desk.base}/chat/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.wait_for_function("document.querySelector('#chat-status').textContent.length > 0", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "chat-ar.png"), full_page=True)
    page.goto(f"{desk.base}/accounts/login/")
    page.fill("#id_username", "agent")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_url(f"{desk.base}/agent/")
    assert page.get_attribute("html", "dir") == "rtl"
    page.screenshot(path=str(ARTIFACTS / "console-ar.png"), full_page=True)
    context.close()
