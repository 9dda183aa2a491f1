"""The HTML, Slack export and Bitext-format importers, and import runs with rejections."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from knowledge import retrieval
from knowledge.actions import do_run_import
from knowledge.importers import ImportFileError, parse_source
from knowledge.models import Article, ImportRun

pytestmark = pytest.mark.django_db

RETURNS_HTML = """<!doctype html>
<html lang="en">
<head>
  <title>Returns | Example Shop Help</title>
  <meta name="kb:kind" content="policy">
  <meta name="kb:category" content="returns">
  <meta name="kb:example-question" content="How do I send an item back?">
  <meta name="kb:example-question" content="What is the return window?">
  <style>body { color: red; }</style>
  <script>console.log("not knowledge");</script>
</head>
<body>
  <nav><a href="/">Home</a> &gt; <a href="/help">Help</a></nav>
  <main>
    <h1>Returning an item</h1>
    <p>You can return an item within <strong>30 days</strong> of delivery &amp; get a full refund.</p>
    <h2>How to return</h2>
    <ul>
      <li>Print the label from your order page.</li>
      <li>Drop the parcel at any post office.</li>
    </ul>
  </main>
  <footer>© Example Shop</footer>
</body>
</html>
"""

ARABIC_HTML = """<html lang="ar"><head><title>الشحن</title>
<meta name="kb:example-question" content="كم تكلفة الشحن؟"></head>
<body><article><p>الشحن العادي مجاني للطلبات التي تزيد على 50 يورو.</p></article></body></html>
"""

SOP_HTML = """<html><head><title>Voucher approval</title>
<meta name="kb:kind" content="sop"><meta name="kb:audience" content="internal">
<meta name="kb:human-only" content="yes"><meta name="kb:external-ref" content="wiki:vouchers"></head>
<body><p>Team leads approve vouchers above 20 euros.</p></body></html>
"""

SLACK_USERS = [
    {"id": "U1", "name": "sam", "profile": {"display_name": "Sam"}},
    {"id": "U2", "name": "lee", "profile": {"display_name": "Lee"}},
    {"id": "U3", "name": "kim", "profile": {"real_name": "Kim Park"}},
]

SLACK_DAY_ONE: list[dict[str, Any]] = [
    {
        "type": "message",
        "subtype": "channel_join",
        "user": "U1",
        "text": "<@U1> has joined the channel",
        "ts": "1700000000.000100",
    },
    {
        "type": "message",
        "user": "U1",
        "text": "How do we refund a customer who paid by bank transfer?",
        "ts": "1700000100.000200",
        "thread_ts": "1700000100.000200",
        "reply_count": 3,
    },
    {
        "type": "message",
        "user": "U2",
        "text": "Ask <@U1> for the IBAN first, see <https://wiki.example/refunds|the refund page>",
        "ts": "1700000200.000300",
        "thread_ts": "1700000100.000200",
    },
    {
        "type": "message",
        "user": "U3",
        "text": "Refunds by bank transfer go out within 3 business days &amp; need the IBAN.",
        "ts": "1700000300.000400",
        "thread_ts": "1700000100.000200",
        "reactions": [{"name": "white_check_mark", "users": ["U1"], "count": 1}],
    },
    {"type": "message", "user": "U2", "text": "Lunch anyone?", "ts": "1700000400.000500"},
]

SLACK_DAY_TWO: list[Any] = [
    {
        "type": "message",
        "user": "U1",
        "text": "Thanks, that works.",
        "ts": "1700090000.000100",
        "thread_ts": "1700000100.000200",
    },
    {
        "type": "message",
        "user": "U2",
        "text": "Where do I see a customer's loyalty points?",
        "ts": "1700090100.000200",
        "thread_ts": "1700090100.000200",
    },
    {
        "type": "message",
        "user": "U3",
        "text": "On the customer page, under Rewards.",
        "ts": "1700090200.000300",
        "thread_ts": "1700090100.000200",
    },
    {
        "type": "message",
        "user": "U2",
        "text": "",
        "files": [{"name": "screenshot.png"}],
        "ts": "1700090300.000400",
        "thread_ts": "1700090300.000400",
    },
    {
        "type": "message",
        "user": "U3",
        "text": "Which order is this?",
        "ts": "1700090400.000500",
        "thread_ts": "1700090300.000400",
    },
    "not a message",
]

BITEXT_CSV = """instruction,intent,response,category
how do I cancel order 123,cancel_order,You can cancel an order from the order page before it ships.,ORDER
i want to cancel my purchase,cancel_order,You can cancel an order from the order page before it ships.,ORDER
where is my parcel,track_order,Track your parcel with the link in your shipping e-mail.,ORDER
,track_order,Track your parcel with the link in your shipping e-mail.,ORDER
what does it cost to cancel,check_cancellation_fee,,FEES
"""


def write(path: Path, content: str | bytes | list[Any] | dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.fixture
def run_import(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[..., ImportRun]:
    """Import through the action, running the indexing tasks as the q2 cluster would."""

    def run(*sources: Path) -> ImportRun:
        with django_capture_on_commit_callbacks(execute=True):
            return do_run_import(list(sources), acting_user=None)

    return run


@pytest.fixture
def html_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "help-centre"
    write(folder / "returns.html", RETURNS_HTML)
    write(folder / "ar" / "shipping.htm", ARABIC_HTML)
    write(folder / "internal" / "vouchers.html", SOP_HTML)
    return folder


@pytest.fixture
def slack_export(tmp_path: Path) -> Path:
    folder = tmp_path / "slack"
    write(folder / "users.json", SLACK_USERS)
    write(folder / "channels.json", [{"id": "C1", "name": "support-help"}, {"id": "C2", "name": "empty-channel"}])
    write(folder / "support-help" / "2023-11-14.json", SLACK_DAY_ONE)
    write(folder / "support-help" / "2023-11-15.json", SLACK_DAY_TWO)
    return folder


# --- HTML folders -----------------------------------------------------------------------------


def test_html_page_becomes_article(html_folder: Path, run_import: Callable[..., ImportRun]) -> None:
    run = run_import(html_folder)

    assert run.status == ImportRun.Status.SUCCEEDED
    assert (run.created, run.rejected) == (3, 0)
    returns = Article.objects.get(external_ref="html:returns")
    assert returns.title == "Returning an item"
    assert returns.kind == Article.Kind.POLICY
    assert returns.category == "returns"
    assert returns.language == "en"
    assert returns.published_version is not None
    body = returns.published_version.body
    assert body == (
        "You can return an item within 30 days of delivery & get a full refund.\n\n"
        "## How to return\n\n"
        "- Print the label from your order page.\n\n"
        "- Drop the parcel at any post office."
    )
    assert returns.published_version.example_questions == ["How do I send an item back?", "What is the return window?"]


def test_html_page_furniture_dropped(html_folder: Path, run_import: Callable[..., ImportRun]) -> None:
    run_import(html_folder)

    body = Article.objects.get(external_ref="html:returns").versions.get().body
    for furniture in ("console.log", "color: red", "Home", "© Example Shop", "Example Shop Help"):
        assert furniture not in body


def test_html_arabic_and_meta(html_folder: Path, run_import: Callable[..., ImportRun]) -> None:
    run_import(html_folder)

    arabic = Article.objects.get(external_ref="html:ar/shipping")
    assert arabic.language == "ar"
    assert arabic.title == "الشحن"
    sop = Article.objects.get(external_ref="wiki:vouchers")
    assert (sop.kind, sop.audience, sop.human_only) == (Article.Kind.SOP, Article.Audience.INTERNAL, True)
    found = retrieval.search("What is the return window?")
    assert found.top is not None
    assert found.top.info.title == "Returning an item"


def test_html_bad_pages_rejected(html_folder: Path, run_import: Callable[..., ImportRun]) -> None:
    write(html_folder / "untitled.html", "<html><body><p>Text without any title.</p></body></html>")
    write(html_folder / "empty.html", "<html><head><title>Nothing</title></head><body><nav>Menu</nav></body></html>")
    write(
        html_folder / "french.html",
        '<html lang="fr"><head><title>Livraison</title></head><body><p>Gratuite.</p></body></html>',
    )
    write(
        html_folder / "latin1.html",
        "<html><head><title>Café</title></head><body><p>Crème</p></body></html>".encode("latin-1"),
    )

    run = run_import(html_folder)

    assert run.status == ImportRun.Status.PARTIAL
    assert (run.created, run.rejected) == (3, 4)
    reasons = {Path(rejection.source.split(",")[0]).name: rejection.reason for rejection in run.rejections.all()}
    assert "no <h1> and no <title>" in reasons["untitled.html"]
    assert "no text besides its title" in reasons["empty.html"]
    assert "'fr' is not one of ar, en" in reasons["french.html"]
    assert "not UTF-8" in reasons["latin1.html"]
    assert Article.objects.count() == 3


def test_html_reimport_updates_by_reference(html_folder: Path, run_import: Callable[..., ImportRun]) -> None:
    run_import(html_folder)
    write(html_folder / "returns.html", RETURNS_HTML.replace("30 days", "14 days"))

    run = run_import(html_folder)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 2)
    returns = Article.objects.get(external_ref="html:returns")
    assert returns.versions.count() == 2
    assert returns.published_version is not None
    assert "14 days" in returns.published_version.body


def test_single_bad_html_file_stops(tmp_path: Path) -> None:
    page = write(tmp_path / "page.html", "<html><body><p>No title here.</p></body></html>")

    with pytest.raises(CommandError) as raised:
        call_command("import_knowledge", str(page))

    assert str(page) in str(raised.value)
    assert "Nothing was imported" in str(raised.value)
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


# --- Slack exports ----------------------------------------------------------------------------


def test_slack_threads_become_articles(slack_export: Path, run_import: Callable[..., ImportRun]) -> None:
    run = run_import(slack_export)

    assert run.created == 2
    refund = Article.objects.get(external_ref="slack:support-help:1700000100.000200")
    assert refund.title == "How do we refund a customer who paid by bank transfer?"
    assert (refund.kind, refund.audience, refund.category) == (
        Article.Kind.FAQ,
        Article.Audience.INTERNAL,
        "support-help",
    )
    assert refund.published_version is not None
    # Only the reply marked with a check mark is the answer.
    assert refund.published_version.body == "Refunds by bank transfer go out within 3 business days & need the IBAN."
    assert refund.published_version.example_questions == ["How do we refund a customer who paid by bank transfer?"]


def test_slack_unmarked_thread_uses_others(slack_export: Path, run_import: Callable[..., ImportRun]) -> None:
    run_import(slack_export)

    points = Article.objects.get(external_ref="slack:support-help:1700090100.000200")
    assert points.versions.get().body == "On the customer page, under Rewards."
    assert not Article.objects.filter(title__icontains="Lunch").exists()


def test_slack_bad_items_rejected(slack_export: Path, run_import: Callable[..., ImportRun]) -> None:
    run = run_import(slack_export)

    assert run.status == ImportRun.Status.PARTIAL
    reasons = sorted(rejection.reason for rejection in run.rejections.all())
    assert reasons == [
        "the message is not a JSON object with a ts field",
        "the question that starts thread 1700090300.000400 has no text",
    ]


def test_slack_markup_made_plain(tmp_path: Path) -> None:
    channel = tmp_path / "export" / "general"
    write(
        channel / "2024-01-02.json",
        [
            {"user": "U1", "text": "Who owns <#C9|billing>?", "ts": "1.0", "thread_ts": "1.0"},
            {
                "user": "U2",
                "text": "<@U3> does, per <https://wiki.example/owners|the owners list> <!here>",
                "ts": "2.0",
                "thread_ts": "1.0",
            },
        ],
    )
    write(tmp_path / "export" / "users.json", SLACK_USERS)

    parsed = parse_source(tmp_path / "export")

    assert parsed.items[0].title == "Who owns #billing?"
    assert parsed.items[0].body == "@Kim Park does, per the owners list (https://wiki.example/owners) @here"


def test_slack_broken_day_file_stops(slack_export: Path) -> None:
    broken = write(slack_export / "support-help" / "2023-11-16.json", '[{"ts": "1",')

    with pytest.raises(CommandError) as raised:
        call_command("import_knowledge", str(slack_export))

    assert str(broken) in str(raised.value)
    assert "invalid JSON" in str(raised.value)
    assert Article.objects.count() == 0


def test_slack_day_file_not_list(slack_export: Path) -> None:
    write(slack_export / "support-help" / "2023-11-16.json", {"messages": []})

    with pytest.raises(ImportFileError, match="must be a JSON list of messages"):
        parse_source(slack_export)


def test_slack_reimport_updates_thread(slack_export: Path, run_import: Callable[..., ImportRun]) -> None:
    run_import(slack_export)
    changed: list[dict[str, Any]] = [dict(message) for message in SLACK_DAY_ONE]
    changed[3]["text"] = "Refunds by bank transfer go out within 2 business days."
    write(slack_export / "support-help" / "2023-11-14.json", changed)

    run = run_import(slack_export)

    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    refund = Article.objects.get(external_ref="slack:support-help:1700000100.000200")
    assert refund.published_version is not None
    assert "2 business days" in refund.published_version.body


# --- Bitext-format CSVs -----------------------------------------------------------------------


def test_bitext_answer_per_intent(tmp_path: Path, run_import: Callable[..., ImportRun]) -> None:
    path = write(tmp_path / "bitext.csv", BITEXT_CSV)

    run = run_import(path)

    assert (run.created, run.rejected) == (2, 1)
    cancel = Article.objects.get(external_ref="bitext:cancel_order")
    assert cancel.title == "Cancel order"
    assert cancel.category == "cancel_order"
    assert cancel.published_version is not None
    assert cancel.published_version.example_questions == ["how do I cancel order 123", "i want to cancel my purchase"]
    track = Article.objects.get(external_ref="bitext:track_order")
    assert track.versions.get().example_questions == ["where is my parcel"]
    rejection = run.rejections.get()
    assert rejection.source == f"{path}, line 6"
    assert "response is empty" in rejection.reason


def test_bitext_two_responses_two_articles(tmp_path: Path, run_import: Callable[..., ImportRun]) -> None:
    path = write(
        tmp_path / "bitext.csv",
        "instruction,intent,response\nq1,refund,Refunds take 5 days.\nq2,refund,Refunds take five working days.\n",
    )

    run_import(path)

    references = sorted(str(reference) for reference in Article.objects.values_list("external_ref", flat=True))
    assert len(references) == 2
    assert all(reference.startswith("bitext:refund:") for reference in references)


def test_bitext_without_answers_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "bitext.csv", "instruction,intent,response\nhello,greeting,\n")

    with pytest.raises(ImportFileError, match="no row with both an intent and a response"):
        parse_source(path)


def test_csv_bad_quoting_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", 'question,answer\n"Do you ship abroad?,Yes\n')

    with pytest.raises(CommandError) as raised:
        call_command("import_knowledge", str(path))

    assert "Nothing was imported" in str(raised.value)
    assert Article.objects.count() == 0


def test_duplicate_reference_stops(tmp_path: Path, html_folder: Path) -> None:
    write(html_folder / "copy.html", SOP_HTML)

    with pytest.raises(CommandError) as raised:
        call_command("import_knowledge", str(html_folder))

    assert "'wiki:vouchers'" in str(raised.value)
    assert Article.objects.count() == 0
    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_unsupported_file_stops(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", "Some notes")

    with pytest.raises(ImportFileError, match="unsupported file type"):
        parse_source(path)
