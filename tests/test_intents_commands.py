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


def run_manage(data_dir: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SUPPORTDESK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "supportdesk.settings",
    }
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def command_error(*arguments: str) -> str:
    with pytest.raises(CommandError) as raised:
        call_command(*arguments, stdout=StringIO(), stderr=StringIO())
    return str(raised.value)


@pytest.mark.parametrize("command", ["train_intents", "evaluate_intents"])
def test_utf16_csv_rejected(tmp_path: Path, data_dir: Path, command: str) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("text,label\nwhere is my parcel,track\n".encode("utf-16"))
    assert path.read_bytes().startswith(b"\xff\xfe")

    message = command_error(command, "--csv", str(path))
    assert message.startswith(f"{path}: ")
    assert "UTF-16" in message
    assert "Save it as UTF-8" in message


def test_invalid_utf8_byte_located(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\nwhere is my parcel,track\nmy café order,track\n".encode("latin-1"))

    message = command_error("train_intents", "--csv", str(path))
    offset = path.read_bytes().index(b"\xe9")
    assert f"{path}, line 3:" in message
    assert f"not valid UTF-8 at byte offset {offset}" in message
    assert "0xe9" in message
    assert "Save the file as UTF-8" in message


def test_utf16_without_bom_rejected(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "utf16le.csv"
    path.write_bytes("text,label\nwhere is my parcel,track\n".encode("utf-16-le"))

    message = command_error("evaluate_intents", "--csv", str(path))
    assert f"{path}, line 1:" in message
    assert "NUL characters" in message
    assert "Save it as UTF-8" in message


@pytest.mark.django_db
def test_utf8_bom_csv_imported(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftext,label\nwhere is my parcel,track\nreset my password,password\n")
    output = StringIO()
    call_command("import_intents", "--csv", str(path), stdout=output)
    assert "2 intents and 2 examples" in output.getvalue()
    assert set(Intent.objects.values_list("name", flat=True)) == {"track", "password"}


def test_train_from_admin_without_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    trained = run_manage(empty, "train_intents")
    assert trained.returncode == 1
    assert "Traceback" not in trained.stderr
    assert f"The database {empty / 'db.sqlite3'} has no intent tables yet" in trained.stderr
    assert "manage.py import_intents --csv FILE" in trained.stderr
    assert "manage.py migrate" in trained.stderr
    assert "pass --csv" in trained.stderr


def test_import_creates_tables(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "train.csv", rows_for("train"))
    empty = tmp_path / "empty"
    imported = run_manage(empty, "import_intents", "--csv", str(path), *COLUMNS)
    assert imported.returncode == 0, imported.stderr
    assert f"Created the database tables in {empty / 'db.sqlite3'}" in imported.stderr
    assert "4 intents and" in imported.stdout


def test_single_label_csv_named(tmp_path: Path, data_dir: Path) -> None:
    rows = [(text, label) for text, label in rows_for("train") if label in {"track_parcel", "oos"}]
    path = write_csv(tmp_path / "one.csv", rows)

    message = command_error("train_intents", "--csv", str(path), *COLUMNS)
    assert f"but {path} has only 'track_parcel'" in message
    assert "at least two intents" in message

    message = command_error("evaluate_intents", "--csv", str(path), *COLUMNS, "--holdout", "0.2")
    assert f"but {path} has only 'track_parcel'" in message

    only_oos = write_csv(tmp_path / "oos.csv", [row for row in rows if row[1] == "oos"])
    message = command_error("train_intents", "--csv", str(only_oos), *COLUMNS)
    assert f"but {only_oos} has no intent label besides the out-of-scope label 'oos'" in message


@pytest.mark.django_db
def test_single_intent_in_admin_named(data_dir: Path) -> None:
    intent = Intent.objects.create(name="track_parcel")
    IntentExample.objects.create(intent=intent, text="where is my parcel")

    message = command_error("train_intents")
    assert "but admin (active intents with examples) has only 'track_parcel'" in message
    assert "import_intents" in message


def test_reserved_unknown_label_rejected(tmp_path: Path, data_dir: Path) -> None:
    path = write_csv(tmp_path / "unknown.csv", [("where is my parcel", "track"), ("play jazz", "unknown")])
    message = command_error(
        "train_intents", "--csv", str(path), "--text-column", "utterance", "--label-column", "intent"
    )
    assert f"{path} uses the label 'unknown'" in message
    assert "--oos-label unknown" in message


def test_empty_field_names_column(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("utterance,intent\nwhere is my parcel,track\nreset my password,\n , \n", encoding="utf-8")
    columns = ["--text-column", "utterance", "--label-column", "intent"]

    message = command_error("train_intents", "--csv", str(path), *columns)
    assert message == f"{path}, line 3: the 'intent' column is empty. Fill it in or delete the row."

    path.write_text("utterance,intent\nwhere is my parcel,track\n , \n", encoding="utf-8")
    message = command_error("import_intents", "--csv", str(path), *columns)
    assert message == f"{path}, line 3: the 'utterance' and 'intent' columns are empty. Fill them in or delete the row."


@pytest.mark.parametrize("command", ["train_intents", "evaluate_intents", "import_intents"])
def test_oos_label_typo_rejected(tmp_path: Path, data_dir: Path, command: str) -> None:
    path = write_csv(tmp_path / "train.csv", rows_for("train"))
    columns = ["--text-column", "utterance", "--label-column", "intent"]

    message = command_error(command, "--csv", str(path), *columns, "--oos-label", "OOS")
    assert f"--oos-label 'OOS' matches no row of {path}, which has the label 'oos'" in message
    assert "leave out --oos-label" in message


@pytest.mark.django_db
def test_oos_label_without_rows_warns(tmp_path: Path, data_dir: Path) -> None:
    """One --oos-label may be passed for several datasets, some without out-of-scope rows."""
    rows = [row for row in rows_for("train") if row[1] != "oos"]
    path = write_csv(tmp_path / "in_scope.csv", rows)
    stdout, stderr = StringIO(), StringIO()

    call_command("import_intents", "--csv", str(path), *COLUMNS, stdout=stdout, stderr=stderr)
    assert "4 intents" in stdout.getvalue()
    warning = stderr.getvalue()
    assert f"Warning: --oos-label 'oos' matches no row of {path}" in warning
    assert "'change_address', 'refund_status', 'reset_password', 'track_parcel'" in warning


def test_oos_label_warning_lists_few_labels(tmp_path: Path, data_dir: Path) -> None:
    rows = [(f"example message {number}", f"intent_{number:02d}") for number in range(8)]
    path = write_csv(tmp_path / "many.csv", rows)
    stderr = StringIO()
    with pytest.raises(CommandError, match="No trained intent model"):
        call_command("evaluate_intents", "--csv", str(path), *COLUMNS, stdout=StringIO(), stderr=stderr)
    assert "'intent_00', 'intent_01', 'intent_02', 'intent_03', 'intent_04' and 3 more" in stderr.getvalue()
