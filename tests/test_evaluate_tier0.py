"""`manage.py evaluate_tier0` on a slice of the Bitext data, through the real pipeline."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from escalation.models import Handoff
from knowledge.models import Article
from tests.conftest import SHARED_DATA
from tickets.models import Message

BITEXT = SHARED_DATA / "bitext_customer_support" / "train.csv"
INTENTS = ("cancel_order", "track_order", "get_invoice", "check_invoice", "contact_human_agent", "complaint")


def write_slice(tmp_path: Path) -> tuple[Path, Path]:
    """Per intent, the first 40 rows become training questions and the next 10 the test."""
    with BITEXT.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in reader:
            if row["intent"] in INTENTS:
                by_intent[row["intent"]].append(row)
    paths = {"train": tmp_path / "train.csv", "test": tmp_path / "test.csv"}
    parts = {"train": slice(0, 40), "test": slice(40, 50)}
    for name, path in paths.items():
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            for intent in INTENTS:
                writer.writerows(by_intent[intent][parts[name]])
    return paths["train"], paths["test"]


@pytest.mark.django_db(transaction=True)
def test_evaluate_prints_json_line(tmp_path: Path) -> None:
    train, test = write_slice(tmp_path)
    output = io.StringIO()
    call_command("evaluate_tier0", "--csv", str(test), "--train", str(train), stdout=output, stderr=io.StringIO())
    result = json.loads(output.getvalue().strip().splitlines()[-1])

    assert set(result) == {"questions", "right_article_rate", "handoff_rate", "deflection_rate", "p50_ms", "p95_ms"}
    assert result["questions"] == 60
    assert result["right_article_rate"] >= 0.9
    assert result["handoff_rate"] >= 0.9
    assert result["deflection_rate"] == pytest.approx(result["right_article_rate"] * 40 / 60, abs=0.1)
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    assert Article.objects.filter(external_ref__startswith="bitext:").count() == len(INTENTS)
    assert Article.objects.filter(human_only=True).count() == 2
    assert Message.objects.filter(author_kind="customer").count() == 60
    assert Handoff.objects.filter(reason__in=["customer_request", "complaint", "human_only_topic"]).count() >= 18


@pytest.mark.django_db
def test_evaluate_rejects_wrong_columns(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("question,answer\nhi,hello\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column\\(s\\) instruction, intent, response"):
        call_command("evaluate_tier0", "--csv", str(wrong))


@pytest.mark.django_db
def test_evaluate_rejects_empty_intent(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("instruction,intent,response\nwhere is my order,,It is on its way.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2: the 'intent' column is empty"):
        call_command("evaluate_tier0", "--csv", str(path))


@pytest.mark.django_db
def test_evaluate_rejects_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("instruction,intent,response\ncafé order,track,On its way.\n".encode("latin-1"))
    with pytest.raises(CommandError, match="line 2: not valid UTF-8 at byte offset"):
        call_command("evaluate_tier0", "--csv", str(path))
