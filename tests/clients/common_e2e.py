"""The scripted assistant every agent-stack end-to-end script shares (stdlib only: it runs in each
stack's own environment, which has neither our package nor our pins).

The "model" is a script, not an LLM: it reads only what the stack shows a model (the tool
declarations after the stack's converter, the tool output the stack passes back) and answers
with the next tool call, shaped as a strict client shapes it: every property of the converted
schema present, null where the person gave nothing (the default where the schema has one), and a
value in the type the converter declared (an object as JSON text where a converter made it a
string). The conversation is the main job: resolve the time, plan, confirm, then reschedule with
update_batch_call and confirm that too.

Usage of a stack script: python <stack>_e2e.py <server-python> <seed-request-json>; it prints one
JSON object (see `Script.report`).
"""

from __future__ import annotations

import json
import re
import tempfile
from importlib.metadata import PackageNotFoundError, version
from typing import Any

TOKEN = re.compile(r"zps?_[A-Za-z0-9_-]{8,}")
BATCH = re.compile(r"batch_call_[0-9a-f]{32}")
RESCHEDULE = "day after tomorrow at 11am"


def server_environment() -> dict[str, str]:
    """Sandbox, consent by token (what a client without elicitation gets), and a fresh state dir."""
    return {"ZUDU_MCP_CONFIRM": "token", "ZUDU_MCP_STATE_DIR": tempfile.mkdtemp(prefix="zudu-e2e-")}


SERVER_ARGS = ["-m", "zudu_mcp", "--sandbox"]


def versions(*packages: str) -> dict[str, str]:
    found = {}
    for package in packages:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def kind(schema: dict[str, Any]) -> str:
    """The type of one schema node, JSON Schema ('object') or Gemini `Schema` ('OBJECT') alike."""
    value = schema.get("type")
    if isinstance(value, list):
        value = next((item for item in value if str(item).lower() != "null"), "null")
    return str(value or "").lower()


def alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    options = schema.get("anyOf") or schema.get("any_of") or schema.get("oneOf") or [schema]
    return [option for option in options if kind(option) != "null"] or [schema]


PYTHON_KINDS = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def absent(schema: dict[str, Any]) -> Any:
    """What a strict client sends for a property the person did not give."""
    return schema["default"] if "default" in schema else None


def shaped(schema: dict[str, Any], value: Any) -> Any:
    """`value` as a model bound to `schema` can send it."""
    if value is None:
        return None
    options = alternatives(schema)
    wanted = PYTHON_KINDS.get(type(value), "string")
    option = next((o for o in options if kind(o) == wanted or (wanted == "integer" and kind(o) == "number")), None)
    if option is None:
        if isinstance(value, (dict, list)) and any(kind(o) == "string" for o in options):
            return json.dumps(value)  # the converter made a map a string: the model writes it as JSON text
        option = options[0]
    if kind(option) == "object":
        properties = option.get("properties")
        if properties:
            return {name: shaped(sub, value[name]) if name in value else absent(sub) for name, sub in properties.items()}
        if option.get("additionalProperties") is False:
            return {}  # a closed object with no properties: {} is all a strict model can send
        return value
    if kind(option) == "array" and isinstance(value, list):
        items = option.get("items") or {}
        return [shaped(items, item) for item in value]
    return value


def arguments(schema: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Every property of the converted schema: given ones shaped to it, the rest null (or default)."""
    properties = schema.get("properties") or {}
    return {name: shaped(sub, given[name]) if name in given else absent(sub) for name, sub in properties.items()}


class Script:
    """The conversation, one tool call at a time, decided only from the last output the stack showed."""

    def __init__(self, seed: dict[str, Any]) -> None:
        self.campaign = {k: v for k, v in seed.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
        self.steps: list[dict[str, Any]] = []
        self.batch_call_id: str | None = None

    def next_call(self, schemas: dict[str, dict[str, Any]], last_output: str | None) -> tuple[str, dict[str, Any]] | None:
        """(tool, arguments) for the next call, or None when the job is done."""
        if self.steps:
            self.steps[-1]["output"] = last_output or ""
        step = len(self.steps)
        given: dict[str, Any]
        if step == 0:
            tool, given = "resolve_schedule", {"text": "tomorrow at 10am", "timezone": "Asia/Kolkata"}
        elif step == 1:
            tool, given = "preview_batch_call", self.campaign
        elif step == 2:
            tool, given = "create_batch_call", {"confirmation_token": self.token(last_output)}
        elif step == 3:
            self.batch_call_id = self.batch(last_output)
            tool, given = "update_batch_call", {"batch_call_id": self.batch_call_id, "schedule": RESCHEDULE}
        elif step == 4:  # as the plan's next_call says: the token (and the required id)
            tool, given = "update_batch_call", {"batch_call_id": self.batch_call_id, "confirmation_token": self.token(last_output)}
        elif step == 5 and "was not run" in (last_output or ""):  # refused: a model retries with the change repeated
            token = self.token(self.steps[3]["output"])
            tool, given = "update_batch_call", {"batch_call_id": self.batch_call_id, "schedule": RESCHEDULE, "confirmation_token": token}
        else:
            return None
        schema = schemas[tool]
        sent = arguments(schema, given)
        self.steps.append({"tool": tool, "arguments": sent, "all_fields": set(sent) == set(schema.get("properties") or {})})
        return tool, sent

    @staticmethod
    def token(output: str | None) -> str | None:
        found = TOKEN.search(output or "")
        return found.group(0) if found else None

    @staticmethod
    def batch(output: str | None) -> str | None:
        found = BATCH.search(output or "")
        return found.group(0) if found else None

    def report(self, stack: str, versions: dict[str, str], tools: list[str], **extra: Any) -> str:
        """One JSON line: the stack, its versions, the tool names the model was given, and every step
        (tool, the arguments sent, whether every property was present, the output the model saw)."""
        return json.dumps({"stack": stack, "versions": versions, "tools": sorted(tools), "steps": self.steps, **extra})
