"""Intent import, training and evaluation commands, and the trained model in live decisions.

The CSV files are generated here from templates, so the tests need no dataset.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings

from escalation import intents
from escalation.models import ConversationRouting, Handoff, Intent, IntentExample, MessageAssessment, RoutingRule
from escalation.pipeline import handle_customer_message
from tickets.actions import do_receive_customer_message, do_start_conversation

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT_KEYS = {"accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "train_seconds", "queries_per_second"}

TEMPLATES = {
    "track_parcel": [
        "where is my {thing}",
        "has my {thing} shipped yet",
        "track my {thing} please",
        "when will my {thing} arrive",
        "my {thing} has not been delivered",
    ],
    "reset_password": [
        "I forgot the password for my {place}",
        "reset my password on the {place}",
        "can't log in to the {place}, password is wrong",
        "how do I change my {place} password",
        "password reset link for the {place} does not work",
    ],
    "change_address": [
        "I moved, update the address for my {thing}",
        "change the delivery address of my {thing}",
        "send my {thing} to a different address",
        "wrong street on my {thing}, please fix the address",
        "new home address for the {thing}",
    ],
    "refund_status": [
        "where is the refund for my {thing}",
        "I returned the {thing} but got no money back",
        "how long until the refund for my {thing} arrives",
        "refund for the {thing} still missing",
        "did you refund my {thing} yet",
    ],
}
FILLERS = {
    "thing": ["parcel", "order", "package", "shoes", "lamp", "chair"],
    "place": ["app", "website", "account", "shop", "portal", "phone app"],
}
OUT_OF_SCOPE = [
    "what is the capital of peru",
    "play some jazz music",
    "how many calories are in a banana",
    "tell me a joke about cats",
    "what is the weather in oslo tomorrow",
    "who won the football match yesterday",
    "translate good morning into italian",
    "set an alarm for seven",
    "how tall is mount everest",
    "recommend a good science fiction novel",
    "what time is it in sydney",
    "how do I bake sourdough bread",
]


def rows_for(split: str) -> list[tuple[str, str]]:
    """Template rows; "train" and "eval" use different fillers so no text is shared."""
    rows = []
    for label, templates in TEMPLATES.items():
        for template in templates:
            for position, filler in enumerate(FILLERS["thing" if "{thing}" in template else "place"]):
                if (position % 3 == 2) == (split == "eval"):
                    rows.append((template.format(thing=filler, place=filler), label))
    half = len(OUT_OF_SCOPE) // 2
    out_of_scope = OUT_OF_SCOPE[:half] if split == "train" else OUT_OF_SCOPE[half:]
    rows.extend((text, "oos") for text in out_of_scope)
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["utterance", "intent"])
        writer.writerows(rows)
    return path


@pytest.fixture
def data_dir(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    settings.DATA_DIR = folder
    intents.forget_model()
    yield folder
    intents.forget_model()


def last_json_line(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


COLUMNS = ["--text-column", "utterance", "--label-column", "intent", "--oos-label", "oos"]


def test_train_then_evaluate(tmp_path: Path, data_dir: Path) -> None:
    train = write_csv(tmp_path / "train.csv", rows_for("train"))
    evaluation = write_csv(tmp_path / "eval.csv", rows_for("eval"))

    trained = StringIO()
    call_command("train_intents", "--csv", str(train), *COLUMNS, stdout=trained)
    summary = last_json_line(trained.getvalue())
    assert summary["intents"] == 4
    assert summary["train_seconds"] >= 0
    assert (data_dir / "models" / "intents" / "model.npz").exists()

    output = StringIO()
    call_command("evaluate_intents", "--csv", str(evaluation), *COLUMNS, stdout=output)
    result = last_json_line(output.getvalue())
    assert RESULT_KEYS <= set(result)
    assert result["train_seconds"] is None
    assert result["accuracy"] >= 0.8
    assert result["in_scope_accuracy"] >= 0.8
    assert result["oos_recall"] >= 0.5
    assert result["queries_per_second"] > 0

    assert intents.predict_intent("where is my backpack").intent == "track_parcel"
    assert intents.predict_intent("what is the capital of chile").intent == intents.UNKNOWN


def test_evaluate_with_holdout(tmp_path: Path, data_dir: Path) -> None:
    rows = [row for row in rows_for("train") + rows_for("eval") if row[1] != "oos"]
    path = write_csv(tmp_path / "all.csv", rows)
    output = StringIO()
    call_command(
        "evaluate_intents",
        "--csv",
        str(path),
        "--text-column",
        "utterance",
        "--label-column",
        "intent",
        "--holdout",
        "0.25",
        stdout=output,
    )
    result = last_json_line(output.getvalue())
    assert result["train_seconds"] is not None
    assert result["oos_recall"] is None
    # A quarter of each intent's 30 rows, rounded per intent.
    assert len(rows) == 4 * 30
    assert result["eval_examples"] == 4 * round(30 * 0.25)
    assert result["accuracy"] >= 0.8
    # Holding out changes nothing on disk: the desk's model stays as it was.
    assert not (data_dir / "models").exists()


def test_evaluate_without_model(tmp_path: Path, data_dir: Path) -> None:
    evaluation = write_csv(tmp_path / "eval.csv", rows_for("eval"))
    with pytest.raises(CommandError, match="No trained intent model"):
        call_command("evaluate_intents", "--csv", str(evaluation), *COLUMNS)


def test_bad_csv_reported(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nwhere is my parcel,track\n,track\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("train_intents", "--csv", str(path), "--label-column", "intent")
    with pytest.raises(CommandError, match="line 3"):
        call_command("train_intents", "--csv", str(path))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("train_intents", "--csv", str(tmp_path / "missing.csv"))


def test_commands_on_empty_data_dir(tmp_path: Path) -> None:
    """Both commands run on a data folder with no database and no model in it."""
    train = write_csv(tmp_path / "train.csv", rows_for("train"))
    evaluation = write_csv(tmp_path / "eval.csv", rows_for("eval"))
    empty = tmp_path / "empty"
    environment = {**os.environ, "SUPPORTDESK_DATA_DIR": str(empty), "DJANGO_SETTINGS_MODULE": "supportdesk.settings"}
    manage = [sys.executable, str(REPO_ROOT / "manage.py")]

    evaluated = subprocess.run(
        [*manage, "evaluate_intents", "--csv", str(evaluation), "--train", str(train), *COLUMNS],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    result = last_json_line(evaluated.stdout)
    assert RESULT_KEYS <= set(result)
    assert result["train_seconds"] is not None

    trained = subprocess.run(
        [*manage, "train_intents", "--csv", str(train), *COLUMNS],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr
    assert (empty / "models" / "intents" / "model.npz").exists()


@pytest.mark.django_db
def test_import_and_train_from_admin(tmp_path: Path, data_dir: Path, store_kb: dict) -> None:
    path = write_csv(tmp_path / "train.csv", rows_for("train"))
    output = StringIO()
    call_command("import_intents", "--csv", str(path), *COLUMNS, stdout=output)
    assert "4 intents" in output.getvalue()
    assert set(Intent.objects.values_list("name", flat=True)) == set(TEMPLATES)
    count = IntentExample.objects.count()
    call_command("import_intents", "--csv", str(path), *COLUMNS, stdout=StringIO())
    assert IntentExample.objects.count() == count

    Intent.objects.filter(name="reset_password").update(human_only=True)
    call_command("train_intents", stdout=StringIO())

    # The password intent is for people only, whatever the knowledge base could answer.
    conversation = do_start_conversation()
    message, _created = do_receive_customer_message(
        conversation, text="I forgot the password for my laptop app", client_message_id=None
    )
    result = handle_customer_message(message)
    assert (result.outcome, result.reason, result.intent) == ("handed_off", "human_only_topic", "reset_password")
    assessment = MessageAssessment.objects.get(message=message)
    assert assessment.intent == "reset_password"
    assert assessment.intent_confidence is not None
    assert Handoff.objects.get(conversation=conversation).packet["intent"] == "reset_password"


@pytest.mark.django_db
def test_unknown_intent_routed(tmp_path: Path, data_dir: Path, store_kb: dict) -> None:
    train = write_csv(tmp_path / "train.csv", rows_for("train"))
    call_command("train_intents", "--csv", str(train), *COLUMNS, stdout=StringIO())
    RoutingRule.objects.create(name="out of scope to people", intents="unknown", set_tier=1, add_tags="out_of_scope")

    conversation = do_start_conversation()
    message, _created = do_receive_customer_message(
        conversation, text="what is the population of chile", client_message_id=None
    )
    result = handle_customer_message(message)

    assert (result.outcome, result.intent) == ("handed_off", "unknown")
    assert MessageAssessment.objects.get(message=message).intent == "unknown"
    assert ConversationRouting.objects.get(conversation=conversation).tags == ["out_of_scope"]
    conversation.refresh_from_db()
    # "unknown" is not an intent, so the conversation keeps no intent of its own.
    assert conversation.intent == ""
