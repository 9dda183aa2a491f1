"""Slack channel exports: each answered thread becomes one internal FAQ article.

An export folder contains `channels.json`, `users.json` and one folder per channel with a
JSON file per day (`2024-05-01.json`), each a list of messages. A folder of day files alone
is read as one channel named after the folder.

A thread's first message is the question: its first line is the title and its whole text
the example question. The answer is the replies marked with a check-mark reaction, or,
when none is marked, every reply by someone other than the asker (every reply when the asker
alone replied). Messages without replies are conversation, not knowledge, and are skipped.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from knowledge.importers.common import (
    ImportFileError,
    ImportItem,
    ParsedSource,
    Rejection,
    shorten_title,
)
from knowledge.language import detect_language
from knowledge.models import Article

DAY_FILE = re.compile(r"\A\d{4}-\d{2}-\d{2}\.json\Z")
# Reactions that mark the reply that answered the question.
ANSWER_REACTIONS = {"white_check_mark", "heavy_check_mark", "ballot_box_with_check"}
# Join, leave, topic and similar notices carry no knowledge.
SKIPPED_SUBTYPES = {
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "channel_archive",
    "pinned_item",
}
_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def is_slack_export(folder: Path) -> bool:
    if (folder / "channels.json").is_file():
        return True
    if any(DAY_FILE.match(path.name) for path in folder.glob("*.json")):
        return True
    return any(
        DAY_FILE.match(path.name) for child in folder.iterdir() if child.is_dir() for path in child.glob("*.json")
    )


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ImportFileError(
            path, f"line {error.lineno}, column {error.colno}", f"invalid JSON: {error.msg}"
        ) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"byte {error.start}", "the file is not UTF-8 text; save it as UTF-8") from error


def load_user_names(folder: Path) -> dict[str, str]:
    path = folder / "users.json"
    if not path.is_file():
        return {}
    users = load_json(path)
    if not isinstance(users, list):
        raise ImportFileError(path, "top level", _("users.json must be a JSON list of users"))
    names: dict[str, str] = {}
    for user in users:
        if isinstance(user, dict) and user.get("id"):
            profile: dict[str, Any] = user["profile"] if isinstance(user.get("profile"), dict) else {}
            names[str(user["id"])] = str(
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or ""
            )
    return names


def channel_folders(folder: Path) -> list[Path]:
    if any(DAY_FILE.match(path.name) for path in folder.glob("*.json")):
        return [folder]
    listed = folder / "channels.json"
    if listed.is_file():
        channels = load_json(listed)
        if not isinstance(channels, list):
            raise ImportFileError(listed, "top level", _("channels.json must be a JSON list of channels"))
        names = [str(channel.get("name")) for channel in channels if isinstance(channel, dict) and channel.get("name")]
        folders = [folder / name for name in names if (folder / name).is_dir()]
    else:
        folders = sorted(child for child in folder.iterdir() if child.is_dir())
    folders = [child for child in folders if any(DAY_FILE.match(path.name) for path in child.glob("*.json"))]
    if not folders:
        raise ImportFileError(folder, "", _("the export has no channel folder with day files such as 2024-05-01.json"))
    return folders


def slack_text(text: str, user_names: dict[str, str]) -> str:
    """Turn Slack's markup (<@U1>, <#C1|name>, <url|label>, &amp;) into plain text."""

    def replace(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("@"):
            return f"@{label or user_names.get(target[1:], target[1:])}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return f"@{label or target[1:].split('^')[0]}"
        return f"{label} ({target})" if label and label != target else target

    return html.unescape(_SLACK_LINK.sub(replace, text)).strip()


def read_channel(folder: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[Rejection]]:
    """Return the channel's messages as (where, message), oldest day first, and malformed ones."""
    messages: list[tuple[str, dict[str, Any]]] = []
    rejections: list[Rejection] = []
    for path in sorted(folder.glob("*.json")):
        if not DAY_FILE.match(path.name):
            continue
        day = load_json(path)
        if not isinstance(day, list):
            raise ImportFileError(path, "top level", _("a day file must be a JSON list of messages"))
        for number, message in enumerate(day, start=1):
            where = f"{path}, message {number}"
            if not isinstance(message, dict) or not message.get("ts"):
                rejections.append(Rejection(where, _("the message is not a JSON object with a ts field")))
                continue
            if message.get("subtype") in SKIPPED_SUBTYPES:
                continue
            messages.append((where, message))
    return messages, rejections


def timestamp(message: dict[str, Any]) -> float:
    try:
        return float(message["ts"])
    except (TypeError, ValueError):
        return 0.0


def is_answer_marked(message: dict[str, Any]) -> bool:
    reactions = message.get("reactions") or []
    return any(isinstance(reaction, dict) and reaction.get("name") in ANSWER_REACTIONS for reaction in reactions)


def thread_item(
    channel: str, where: str, parent: dict[str, Any], replies: list[dict[str, Any]], user_names: dict[str, str]
) -> ImportItem:
    reference = f"slack:{channel}:{parent['ts']}"
    question = slack_text(str(parent.get("text") or ""), user_names)
    if not question:
        raise ImportFileError(where, "", _("the question that starts thread %(ts)s has no text") % {"ts": parent["ts"]})
    marked = [reply for reply in replies if is_answer_marked(reply)]
    others = [reply for reply in replies if reply.get("user") != parent.get("user")]
    chosen = marked or others or replies
    answers = [slack_text(str(reply.get("text") or ""), user_names) for reply in chosen]
    body = "\n\n".join(answer for answer in answers if answer)
    if not body:
        raise ImportFileError(where, "", _("no reply in thread %(ts)s has any text") % {"ts": parent["ts"]})
    return ImportItem(
        title=shorten_title(question),
        body=body,
        external_ref=reference,
        source=where,
        kind=Article.Kind.FAQ,
        audience=Article.Audience.INTERNAL,
        language=detect_language(f"{question} {body}"),
        category=channel,
        example_questions=[question],
    )


def parse_channel(folder: Path, user_names: dict[str, str]) -> ParsedSource:
    messages, rejections = read_channel(folder)
    parsed = ParsedSource(rejections=rejections)
    parents: dict[str, tuple[str, dict[str, Any]]] = {}
    replies: dict[str, list[dict[str, Any]]] = {}
    for where, message in messages:
        ts = str(message["ts"])
        thread = str(message.get("thread_ts") or ts)
        if thread == ts:
            parents[ts] = (where, message)
        else:
            replies.setdefault(thread, []).append(message)
    for thread, (where, parent) in parents.items():
        answers = sorted(replies.get(thread, []), key=timestamp)
        if not answers:
            continue
        try:
            parsed.items.append(thread_item(folder.name, where, parent, answers, user_names))
        except ImportFileError as error:
            parsed.rejections.append(Rejection.from_error(error, f"slack:{folder.name}:{thread}"))
    for thread in replies.keys() - parents.keys():
        parsed.rejections.append(
            Rejection(
                f"{folder}, thread {thread}",
                _("the thread has replies but its first message is not in the export"),
                f"slack:{folder.name}:{thread}",
            )
        )
    return parsed


def parse_slack_export(folder: Path) -> ParsedSource:
    """Read every channel of the export; a malformed day file or listing is structural."""
    user_names = load_user_names(folder)
    parsed = ParsedSource()
    for channel in channel_folders(folder):
        parsed.extend(parse_channel(channel, user_names))
    return parsed
