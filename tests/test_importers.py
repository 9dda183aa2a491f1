"""`manage.py import_knowledge` with Markdown folders, FAQ CSVs and ABCD-style JSON SOPs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from copilot import tier0
from knowledge import index, retrieval
from knowledge.embeddings import embed_text
from knowledge.models import Article, ArticleVersion, ImportRun
from supportdesk.models import AuditLog
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.django_db

ABCD_GUIDELINES = SHARED_DATA / "abcd" / "guidelines.json"

FAQ_MD = """---
title: Changing the delivery address
kind: faq
audience: customer
language: en
category: delivery_address
example_questions:
  - How do I change my delivery address?
  - Can you ship my order to another address?
---
You can change the delivery address on the order page until the parcel leaves the warehouse.

After that, ask the carrier to redirect the parcel with the tracking number from your e-mail.
"""

SOP_MD = """---
title: Approving a goodwill voucher
kind: sop
audience: internal
category: goodwill_voucher
human_only: true
---
Check that the order is older than 14 days, then issue a voucher of at most 20 euros in the back office.
"""

ARABIC_MD = """---
title: تغيير عنوان التوصيل
kind: faq
language: ar
category: delivery_address
example_questions:
  - كيف أغير عنوان التوصيل؟
---
يمكنك تغيير عنوان التوصيل من صفحة الطلب قبل أن يغادر الطرد المستودع.
"""

GOOD_CSV = """question,answer,category,example_questions
How long does a refund take?,Refunds reach your card within 5 business days.,refunds,refund time|when do I get my money back
Do you ship abroad?,We ship to every country in the European Union.,shipping,international shipping|delivery outside the country
"""


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def import_error(*sources: Path) -> str:
    """Run the import and return the CommandError message; fail if the import succeeds."""
    with pytest.raises(CommandError) as raised:
        call_command("import_knowledge", *[str(source) for source in sources])
    return str(raised.value)


@pytest.fixture
def run_import(django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]) -> Callable[..., None]:
    """Import and run the indexing tasks queued on commit, as the q2 cluster would."""

    def run(*sources: Path, draft: bool = False) -> None:
        arguments = [str(source) for source in sources] + (["--draft"] if draft else [])
        with django_capture_on_commit_callbacks(execute=True):
            call_command("import_knowledge", *arguments)

    return run


@pytest.fixture
def good_folder(tmp_path: Path) -> Path:
    return write_files(tmp_path / "kb", {"faq.md": FAQ_MD, "sop.md": SOP_MD, "arabic.md": ARABIC_MD})


@pytest.fixture
def abcd_guidelines() -> Iterator[dict[str, Any]]:
    if not ABCD_GUIDELINES.exists():
        pytest.skip(f"{ABCD_GUIDELINES} is missing")
    yield json.loads(ABCD_GUIDELINES.read_text(encoding="utf-8"))


# --- Markdown folders -------------------------------------------------------------------------


def test_markdown_folder_creates_articles(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)

    assert Article.objects.count() == 3
    faq = Article.objects.get(external_ref="markdown:faq")
    assert faq.kind == Article.Kind.FAQ
    assert faq.audience == Article.Audience.CUSTOMER
    assert faq.language == "en"
    assert faq.category == "delivery_address"
    assert faq.human_only is False
    assert faq.title == "Changing the delivery address"
    assert faq.versions.get().example_questions == [
        "How do I change my delivery address?",
        "Can you ship my order to another address?",
    ]


def test_markdown_sop_is_internal(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)

    sop = Article.objects.get(external_ref="markdown:sop")
    assert sop.kind == Article.Kind.SOP
    assert sop.audience == Article.Audience.INTERNAL
    assert sop.human_only is True
    assert sop.category == "goodwill_voucher"
    assert sop.versions.get().example_questions == []


def test_markdown_arabic_article(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)

    arabic = Article.objects.get(external_ref="markdown:arabic")
    assert arabic.language == "ar"
    assert arabic.title == "تغيير عنوان التوصيل"
    assert arabic.audience == Article.Audience.CUSTOMER
    assert arabic.versions.get().example_questions == ["كيف أغير عنوان التوصيل؟"]


def test_markdown_import_publishes(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)

    for article in Article.objects.all():
        assert article.status == Article.Status.PUBLISHED, article.title
        assert article.published_version == article.versions.get(), article.title


def test_markdown_import_indexes(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)

    faq = Article.objects.get(external_ref="markdown:faq")
    stored = index.get_collection(Article.Audience.CUSTOMER).get(where={"article_id": faq.pk})
    assert len(stored["ids"]) > 0
    found = retrieval.search("Can you ship my order to another address?")
    assert found.top is not None
    assert found.top.info.article_id == faq.pk


def test_markdown_draft_not_published(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder, draft=True)

    assert Article.objects.count() == 3
    assert not Article.objects.filter(status=Article.Status.PUBLISHED).exists()
    assert retrieval.search("How do I change my delivery address?").top is None


def test_missing_front_matter(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kb", {"plain.md": "Just a body with no front matter.\n"})

    message = import_error(folder)

    assert str(folder / "plain.md") in message
    assert "front matter" in message
    assert Article.objects.count() == 0


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    broken = "---\nkind: faq\ntitle: Returns: the rules\n---\nBody text.\n"
    folder = write_files(tmp_path / "kb", {"broken.md": broken})

    message = import_error(folder)

    assert str(folder / "broken.md") in message
    assert "line 3" in message
    assert "not valid YAML" in message
    assert Article.objects.count() == 0


def test_unknown_kind_lists_allowed(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kb", {"recipe.md": "---\ntitle: Cake\nkind: recipe\n---\nMix and bake.\n"})

    message = import_error(folder)

    assert str(folder / "recipe.md") in message
    assert "'recipe'" in message
    for kind in Article.Kind.values:
        assert kind in message
    assert Article.objects.count() == 0


def test_empty_body_rejected(tmp_path: Path) -> None:
    folder = write_files(tmp_path / "kb", {"empty.md": "---\ntitle: Nothing here\n---\n\n   \n"})

    message = import_error(folder)

    assert str(folder / "empty.md") in message
    assert "no text after the front matter" in message
    assert Article.objects.count() == 0


def test_non_utf8_file_rejected(tmp_path: Path) -> None:
    latin1 = "---\ntitle: Café opening hours\n---\nThe café opens at 9.\n".encode("latin-1")
    folder = write_files(tmp_path / "kb", {"latin1.md": latin1})

    message = import_error(folder)

    assert str(folder / "latin1.md") in message
    assert "not UTF-8" in message
    assert Article.objects.count() == 0


def test_bad_file_rejected_alone(tmp_path: Path) -> None:
    # "a_good.md" sorts first, so it is parsed before the broken file.
    folder = write_files(
        tmp_path / "kb", {"a_good.md": FAQ_MD, "b_bad.md": "---\ntitle: x\nkind: recipe\n---\nBody.\n"}
    )

    message = import_error(folder)

    assert str(folder / "b_bad.md") in message
    assert "The other 1 items were imported" in message
    assert list(Article.objects.values_list("external_ref", flat=True)) == ["markdown:a_good"]
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PARTIAL
    assert (run.created, run.updated, run.unchanged, run.rejected) == (1, 0, 0, 1)
    rejection = run.rejections.get()
    assert rejection.source.startswith(str(folder / "b_bad.md"))
    assert "'recipe'" in rejection.reason


def test_bad_row_beside_good_source(good_folder: Path, tmp_path: Path) -> None:
    bad_csv = tmp_path / "faq.csv"
    bad_csv.write_text("question,answer\nDo you ship abroad?,\n", encoding="utf-8")

    message = import_error(good_folder, bad_csv)

    assert str(bad_csv) in message
    assert Article.objects.count() == 3
    assert ImportRun.objects.get().rejections.get().source == f"{bad_csv}, line 2"


def test_structural_error_writes_nothing(good_folder: Path, tmp_path: Path) -> None:
    broken = tmp_path / "guidelines.json"
    broken.write_text('{"Orders": ', encoding="utf-8")

    message = import_error(good_folder, broken)

    assert "invalid JSON" in message
    assert "Nothing was imported" in message
    assert Article.objects.count() == 0
    assert ArticleVersion.objects.count() == 0
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert str(broken) in run.error
    assert not AuditLog.objects.filter(action="knowledge.create_article").exists()
    assert AuditLog.objects.filter(action="knowledge.import_run.fail", target_id=str(run.pk)).count() == 1


# --- Re-import --------------------------------------------------------------------------------


def test_reimport_creates_nothing(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)
    run_import(good_folder)

    assert Article.objects.count() == 3
    assert ArticleVersion.objects.count() == 3
    assert AuditLog.objects.filter(action="knowledge.publish").count() == 3


def test_changed_body_adds_version(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)
    faq = Article.objects.get(external_ref="markdown:faq")
    changed = FAQ_MD.replace("until the parcel leaves the warehouse", "within two hours of ordering")
    (good_folder / "faq.md").write_text(changed, encoding="utf-8")

    run_import(good_folder)

    assert Article.objects.count() == 3
    faq.refresh_from_db()
    assert list(faq.versions.values_list("number", flat=True)) == [1, 2]
    assert faq.published_version is not None
    assert faq.published_version.number == 2
    assert "within two hours of ordering" in faq.published_version.body


def test_reimport_publishes_drafts(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder, draft=True)
    run_import(good_folder)

    assert Article.objects.filter(status=Article.Status.PUBLISHED).count() == 3


# --- FAQ CSV ----------------------------------------------------------------------------------


def test_faq_csv_imports(tmp_path: Path, run_import: Callable[..., None]) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")

    run_import(path)

    assert Article.objects.count() == 2
    refund = Article.objects.get(title="How long does a refund take?")
    assert refund.kind == Article.Kind.FAQ
    assert refund.audience == Article.Audience.CUSTOMER
    assert refund.category == "refunds"
    assert refund.status == Article.Status.PUBLISHED
    assert refund.published_version is not None
    assert refund.published_version.body == "Refunds reach your card within 5 business days."
    assert refund.published_version.example_questions == [
        "How long does a refund take?",
        "refund time",
        "when do I get my money back",
    ]


def test_csv_missing_answer_column(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("question,category\nDo you ship abroad?,shipping\n", encoding="utf-8")

    message = import_error(path)

    assert str(path) in message
    assert "missing column(s) answer" in message
    assert Article.objects.count() == 0


def test_csv_empty_answer_line(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "question,answer\nHow long does a refund take?,Five business days.\nDo you ship abroad?,\n", encoding="utf-8"
    )

    message = import_error(path)

    assert str(path) in message
    assert "line 3" in message
    assert "is empty" in message
    assert list(Article.objects.values_list("title", flat=True)) == ["How long does a refund take?"]


def test_csv_invalid_audience(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "question,answer,audience\n"
        "How long does a refund take?,Five business days.,customer\n"
        "Do you ship abroad?,Only in the EU.,everyone\n",
        encoding="utf-8",
    )

    message = import_error(path)

    assert str(path) in message
    assert "'everyone'" in message
    assert "line 3" in message
    assert list(Article.objects.values_list("title", flat=True)) == ["How long does a refund take?"]
    assert ImportRun.objects.get().rejected == 1


# --- ABCD-style JSON SOPs ---------------------------------------------------------------------


def test_abcd_article_count(abcd_guidelines: dict[str, Any]) -> None:
    subflows = sum(len(flow["subflows"]) for flow in abcd_guidelines.values())

    call_command("import_knowledge", str(ABCD_GUIDELINES))

    assert Article.objects.count() == subflows


def test_abcd_articles_internal_sops(abcd_guidelines: dict[str, Any]) -> None:
    call_command("import_knowledge", str(ABCD_GUIDELINES))

    assert set(Article.objects.values_list("kind", flat=True)) == {Article.Kind.SOP}
    assert set(Article.objects.values_list("audience", flat=True)) == {Article.Audience.INTERNAL}
    assert set(Article.objects.values_list("status", flat=True)) == {Article.Status.PUBLISHED}


def test_abcd_body_has_actions(abcd_guidelines: dict[str, Any]) -> None:
    flow_name, flow = next(iter(abcd_guidelines.items()))
    subflow_name, subflow = next(iter(flow["subflows"].items()))

    call_command("import_knowledge", str(ABCD_GUIDELINES))

    article = Article.objects.get(title=f"{subflow_name} ({flow_name})")
    assert article.published_version is not None
    body = article.published_version.body
    for number, action in enumerate(subflow["actions"], start=1):
        assert f"Step {number}" in body
        assert action["text"].strip() in body


def test_tier0_ignores_abcd_sops(
    abcd_guidelines: dict[str, Any], store_kb: dict[str, Article], run_import: Callable[..., None]
) -> None:
    run_import(ABCD_GUIDELINES)
    sops = Article.objects.filter(external_ref__startswith="sop-json:")
    sop_ids = set(sops.values_list("pk", flat=True))
    sop_versions = set(sops.values_list("published_version", flat=True))
    questions = [name for flow in abcd_guidelines.values() for name in flow["subflows"]][:4]

    assert index.get_collection(Article.Audience.INTERNAL).count() > 0
    for question in questions:
        # The internal index finds the SOPs, so the checks below fail if Tier 0 searched it.
        internal = index.dense_search(embed_text(question), limit=1, audiences=(Article.Audience.INTERNAL,))
        assert internal[0].metadata["article_id"] in sop_ids, question
        result = tier0.answer_question(question)
        assert result.retrieval is not None
        assert not {scored.info.article_id for scored in result.retrieval.articles} & sop_ids, question
        assert not {source.version_id for source in result.sources} & sop_versions, question


def test_json_syntax_error_position(tmp_path: Path) -> None:
    path = tmp_path / "guidelines.json"
    path.write_text(
        '{\n  "Orders": {\n    "description": "Order questions"\n    "subflows": {}\n  }\n}\n', encoding="utf-8"
    )

    message = import_error(path)

    assert str(path) in message
    assert "line 4, column 5" in message
    assert "invalid JSON" in message
    assert Article.objects.count() == 0


def test_json_subflows_list_rejected(tmp_path: Path) -> None:
    flows = {
        "Orders": {
            "description": "order questions",
            "subflows": {"Status": {"actions": [{"text": "Look up the order."}]}},
        },
        "Refunds": {"description": "refund questions", "subflows": [{"actions": [{"text": "Check the receipt."}]}]},
    }
    path = tmp_path / "guidelines.json"
    path.write_text(json.dumps(flows), encoding="utf-8")

    message = import_error(path)

    assert str(path) in message
    assert "flow 'Refunds'" in message
    assert '"subflows" must be a JSON object' in message
    assert Article.objects.count() == 0


# --- Audit ------------------------------------------------------------------------------------


def test_import_audit_counts(good_folder: Path, run_import: Callable[..., None]) -> None:
    run_import(good_folder)
    (good_folder / "faq.md").write_text(FAQ_MD.replace("warehouse", "depot"), encoding="utf-8")
    run_import(good_folder)

    first, second = AuditLog.objects.filter(action="knowledge.import").order_by("pk")
    assert first.details == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    assert second.details == {"created": 0, "updated": 1, "unchanged": 2, "rejected": 0}
    assert second.actor_kind == "system"
