"""JSON SOP files shaped like ABCD's agent guidelines, one internal SOP per subflow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from knowledge.importers.common import (
    ImportFileError,
    ImportItem,
    ParsedSource,
    Rejection,
    check_title,
)
from knowledge.models import Article


def require(path: Path, where: str, value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise ImportFileError(
            path, where, f"{name} must be a JSON {'object' if kind is dict else 'list' if kind is list else 'string'}"
        )
    return value


def sop_body(path: Path, where: str, flow_description: str, subflow: dict[str, Any]) -> str:
    paragraphs: list[str] = []
    if flow_description:
        paragraphs.append(f"Applies to: {flow_description}.")
    for instruction in require(path, where, subflow.get("instructions", []), list, '"instructions"'):
        paragraphs.append(str(require(path, where, instruction, str, "each instruction")).strip())
    for number, action in enumerate(require(path, where, subflow.get("actions", []), list, '"actions"'), start=1):
        step_where = f"{where}, action {number}"
        require(path, step_where, action, dict, "the action")
        text = str(require(path, step_where, action.get("text", ""), str, '"text"')).strip()
        button = str(action.get("button") or "").strip()
        details = [
            str(require(path, step_where, item, str, "each subtext")).strip()
            for item in require(path, step_where, action.get("subtext", []), list, '"subtext"')
        ]
        heading = f"Step {number}" + (f" ({button})" if button else "")
        lines = [f"{heading}: {text}"] + [f"- {detail}" for detail in details if detail]
        paragraphs.append("\n".join(lines))
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    if not body:
        raise ImportFileError(path, where, "the subflow has no instructions and no actions")
    return body


def parse_subflow(path: Path, flow_name: str, description: str, subflow_name: str, subflow: Any) -> ImportItem:
    where = f"flow {flow_name!r}, subflow {subflow_name!r}"
    require(path, where, subflow, dict, "the subflow")
    return ImportItem(
        title=check_title(path, where, f"{subflow_name} ({flow_name})"),
        body=sop_body(path, where, description, subflow),
        external_ref=subflow_reference(path, flow_name, subflow_name),
        source=f"{path}:{flow_name}/{subflow_name}",
        kind=Article.Kind.SOP,
        audience=Article.Audience.INTERNAL,
        category=slugify(subflow_name),
        example_questions=[subflow_name],
    )


def subflow_reference(path: Path, flow_name: str, subflow_name: str) -> str:
    return f"sop-json:{path.stem}:{slugify(flow_name)}/{slugify(subflow_name)}"


def parse_abcd_guidelines(path: Path) -> ParsedSource:
    """Read agent guidelines shaped like ABCD's: {flow: {description, subflows: {name:
    {instructions: [...], actions: [{button, text, subtext: [...]}]}}}}. Each subflow becomes
    one internal SOP.

    The shape of the file down to each flow's "subflows" object is structural. A subflow
    that is malformed on its own is rejected, and the others are imported.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ImportFileError(
            path, f"line {error.lineno}, column {error.colno}", f"invalid JSON: {error.msg}"
        ) from error
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"byte {error.start}", "the file is not UTF-8 text; save it as UTF-8") from error
    require(path, "top level", data, dict, "the top level")
    parsed = ParsedSource()
    for flow_name, flow in data.items():
        flow_where = f"flow {flow_name!r}"
        require(path, flow_where, flow, dict, "the flow")
        subflows = require(path, flow_where, flow.get("subflows"), dict, '"subflows"')
        description = str(flow.get("description") or "").strip()
        for subflow_name, subflow in subflows.items():
            try:
                parsed.items.append(parse_subflow(path, flow_name, description, subflow_name, subflow))
            except ImportFileError as error:
                parsed.rejections.append(Rejection.from_error(error, subflow_reference(path, flow_name, subflow_name)))
    if not parsed.items and not parsed.rejections:
        raise ImportFileError(path, "top level", "no flows with subflows found")
    return parsed
