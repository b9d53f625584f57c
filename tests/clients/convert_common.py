"""Shared by the convert_*.py scripts, which run in the converters' own environments (.ci/converters).

Each script reads a JSON file holding what `tools/list` returned (a list of tools, camelCase as on
the wire), runs one framework's own schema conversion on every tool and prints one JSON object:
{"versions": {package: version}, "variants": {variant: {tool: {"ok", "error", "schema"}}}}.
Nothing here imports our server: several converters pin mcp<2.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from importlib.metadata import version
from typing import Any


def published_tools() -> list[dict[str, Any]]:
    with open(sys.argv[1], encoding="utf-8") as file:
        return json.load(file)


def versions(*packages: str) -> dict[str, str]:
    return {package: version(package) for package in packages}


def convert_each(tools: list[dict[str, Any]], convert: Callable[[dict[str, Any]], Any]) -> dict[str, dict[str, Any]]:
    """One tool's failure must not hide the others: each is converted on its own."""
    results = {}
    for tool in tools:
        try:
            results[tool["name"]] = {"ok": True, "error": None, "schema": jsonable(convert(tool))}
        except Exception as exc:  # the converter's own refusal is the finding
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{frame.filename.rsplit('site-packages/', 1)[-1]}:{frame.lineno}"
            results[tool["name"]] = {"ok": False, "error": f"{type(exc).__name__}: {exc} (at {where})", "schema": None}
    return results


def jsonable(value: Any) -> Any:
    """The converted schema as JSON, without the None fields that SDK models fill in."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json", exclude_none=True, by_alias=True)
    return _without_none(json.loads(json.dumps(value, default=str)))


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def report(versions: dict[str, str], variants: dict[str, dict[str, Any]]) -> None:
    print(json.dumps({"versions": versions, "variants": variants}))
