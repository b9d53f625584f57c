"""The schema converters that real agent stacks run on MCP tools, over the tool list we publish.

`.ci/install-converters` puts each converter in its own environment under .ci/converters (CI runs
it); tests/clients/convert_*.py read a dump of `tools/list` and print what the converter made of
each tool. Without an environment its test is skipped and says why. What breaks where, and why
the published schema has the form it has: docs/agent-stacks.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from tests.conftest import SEED_NOW, sandbox_server, text_of
from tests.test_published_tools import published_tools
from zudu_mcp.demo import SEED_REQUEST

CI = Path(__file__).resolve().parent.parent / ".ci" / "converters"
SCRIPTS = Path(__file__).resolve().parent / "clients"

# script -> the environment it runs in and the variants it prints
CONVERTERS = {
    "openai_agents": ("openai-agents", ["openai-agents", "openai-agents-strict"]),
    "anthropic": ("anthropic", ["anthropic-strict"]),
    "google_genai": ("google-genai", ["google-genai", "google-genai-session"]),
    "langchain_google_genai": ("langchain-google-genai", ["langchain-google-genai"]),
    "langchain_openai": ("langchain-openai", ["langchain-openai-strict"]),
    "pydantic_ai": ("pydantic-ai", ["pydantic-ai-openai-strict", "pydantic-ai-google"]),
}
STRICT = {"openai-agents-strict", "anthropic-strict", "langchain-openai-strict", "pydantic-ai-openai-strict"}
GEMINI = {"google-genai", "langchain-google-genai"}  # print Gemini `Schema` objects, not JSON Schema

# Known today, each waiting for the argument side of issue 10/14. A fix makes its test fail with
# "now works": remove the entry then.
KNOWN_BREAKS: dict[tuple[str, str], str] = {}  # every converter converts every tool since dynamic_variables is a list


@cache
def tool_list_file(mode: str) -> Path:
    """What `tools/list` returned, as on the wire, written where the converter scripts read it."""
    import tempfile

    import anyio

    tools = anyio.run(published_tools, mode)
    path = Path(tempfile.mkdtemp(prefix="zudu-tools-")) / f"tools-{mode}.json"
    path.write_text(json.dumps(tools))
    return path


def converted(script: str, mode: str) -> dict[str, Any]:
    return run_converter(script, tool_list_file(mode))


@cache
def run_converter(script: str, tool_list: Path) -> dict[str, Any]:
    env, _ = CONVERTERS[script]
    python = CI / env / "bin" / "python"
    if not python.exists():
        marker = CI / f"{env}.UNAVAILABLE"
        reason = marker.read_text().strip() if marker.exists() else "not installed: run `bash .ci/install-converters` once"
        pytest.skip(f"converter {env}: {reason}")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # xdist workers of one run share what a converter printed
    if run is None:
        return json.loads(convert(python, script, tool_list))
    shared = Path(tempfile.gettempdir()) / f"zudu-converters-{run}"
    shared.mkdir(exist_ok=True)
    output = shared / f"{script}-{hashlib.sha256(tool_list.read_bytes()).hexdigest()[:16]}.json"
    with open(output.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits for this converter instead of running it too
        if not output.exists():
            partial = output.with_suffix(".partial")
            partial.write_text(convert(python, script, tool_list))
            os.replace(partial, output)  # whole or absent, for the other worker
    return json.loads(output.read_text())


def convert(python: Path, script: str, tool_list: Path) -> str:
    """The converter's verdicts on the tool list (its process costs seconds: run once per test run)."""
    done = subprocess.run([str(python), str(SCRIPTS / f"convert_{script}.py"), str(tool_list)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def all_variants(tool_list: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every converter that is installed; the rest are skipped by `run_converter`."""
    found = {}
    for script in CONVERTERS:
        try:
            found.update(run_converter(script, tool_list or tool_list_file("legacy"))["variants"])
        except pytest.skip.Exception:
            continue
    return found


def test_both_eras_publish_the_same_tool_list() -> None:
    """So each converter runs once, on one era's list (a converter process costs seconds)."""
    assert json.loads(tool_list_file("legacy").read_text()) == json.loads(tool_list_file("auto").read_text())


@pytest.mark.parametrize("script", sorted(CONVERTERS))
def test_every_tool_converts(script: str, capsys: pytest.CaptureFixture[str]) -> None:
    output = converted(script, "legacy")
    with capsys.disabled():
        print(f"\n  converter {script}: " + ", ".join(f"{name} {version}" for name, version in output["versions"].items()), end="")
    tools = json.loads(tool_list_file("legacy").read_text())
    for variant in CONVERTERS[script][1]:
        results = output["variants"][variant]
        if variant == "google-genai-session":  # the whole list at once, as a session passed as a tool
            assert results["all tools"]["ok"], f"{variant} loses every tool: {results['all tools']['error']}"
            assert len(results["all tools"]["schema"]) == len(tools)
            continue
        assert set(results) == {tool["name"] for tool in tools}
        for name, result in results.items():
            known = KNOWN_BREAKS.get((variant, name))
            if known:
                assert not result["ok"], f"{variant} now converts {name}: remove it from KNOWN_BREAKS ({known})"
            else:
                assert result["ok"], f"{variant} cannot convert {name}: {result['error']}"


def test_known_breaks_name_real_variants_and_tools() -> None:
    names = {tool["name"] for tool in json.loads(tool_list_file("legacy").read_text())}
    variants = {variant for _, listed in CONVERTERS.values() for variant in listed}
    assert all(variant in variants and tool in names for variant, tool in KNOWN_BREAKS)


# What a strict client sends: every property present, the required ones meaningful, the others at
# their published default, or null when they have none.
BATCH = "batch_call_6513270e269e0d37f2a74de452e6b438"  # the sandbox's first batch (seeded, so always this id)
REQUIRED_VALUES = {
    "resolve_schedule": {"text": "tomorrow at 10am"},
    "preview_batch_call": {},  # every campaign field is optional in the schema: the plan says what is missing
    "create_batch_call": {},
    "get_batch_call": {"batch_call_id": BATCH},
    "list_batch_call_tasks": {"batch_call_id": BATCH},
    "execute_batch_call": {"batch_call_id": BATCH},
    "update_batch_call": {"batch_call_id": BATCH},
    "hold_batch_call": {"batch_call_id": BATCH},
    "batch_report": {"batch_call_id": BATCH},
    "call_again": {"batch_call_id": BATCH, "outcomes": ["no_answer"]},
    "do_not_call": {"action": "check"},
    "delete_batch_call": {"batch_call_id": BATCH},
}


NEUTRAL = {"string": "", "integer": 0, "number": 0, "boolean": False, "array": []}


def strict_call(tool: dict[str, Any], empty: Any = None) -> dict[str, Any]:
    """What a strict client sends for "not given": null where the schema allows it (null, or "" when `empty`
    is "" for nullable text), else the neutral value of the type ("" / 0 / false / [])."""
    schema = tool["inputSchema"]
    required = REQUIRED_VALUES.get(tool["name"], {})
    assert set(required) == set(schema.get("required", [])), f"REQUIRED_VALUES of {tool['name']} is out of date"

    def not_given(prop: dict[str, Any]) -> Any:
        if "default" in prop:
            return prop["default"]
        if {"type": "null"} in prop.get("anyOf", []):
            return empty if is_text(prop) else None
        return NEUTRAL[prop["type"]] if "enum" not in prop else None

    return {name: required[name] if name in required else not_given(prop) for name, prop in schema["properties"].items()}


def is_text(prop: dict[str, Any]) -> bool:
    return any(option.get("type") == "string" and "enum" not in option for option in prop.get("anyOf", [prop]))


def as_json_schema(node: Any) -> Any:
    """A Gemini `Schema` (upper-case types, `nullable`, snake_case) read back as the JSON Schema it means."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        key = {"any_of": "anyOf", "max_length": "maxLength", "min_length": "minLength", "min_items": "minItems", "max_items": "maxItems"}.get(key, key)
        if key == "type":
            out["type"] = value.lower()
        elif key == "properties":
            out["properties"] = {name: as_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = as_json_schema(value)
        elif key != "nullable":
            out[key] = value
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def parameters(variant: str, result: dict[str, Any]) -> dict[str, Any]:
    schema = result["schema"]
    if variant in GEMINI:
        [declaration] = schema.get("function_declarations") or schema["functionDeclarations"]
        return as_json_schema(declaration["parameters"])
    return schema


def test_a_strict_client_may_leave_every_optional_argument_out_by_sending_null() -> None:
    """After each converter, a call with the required arguments and null (or the default) for the
    rest is still valid: the converter kept "not given" expressible."""
    tools = {tool["name"]: tool for tool in json.loads(tool_list_file("legacy").read_text())}
    checked = 0
    for variant, results in all_variants().items():
        for name, result in results.items():
            if name not in tools or not result["ok"]:
                continue
            call = strict_call(tools[name])
            errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft202012Validator(parameters(variant, result)).iter_errors(call)]
            assert not errors, f"after {variant}, {name} cannot be called with only its required arguments: {errors[:3]}"
            checked += 1
    if not checked:
        pytest.skip("no converter is installed: run `bash .ci/install-converters` once")


VARIABLE_FORMS = {  # the forms issue 14 asks the server to accept, by the name docs/agent-stacks.md uses
    "object": {"name": "Aswathi"},
    "JSON text": '{"name": "Aswathi"}',
    "list of {name, value}": [{"name": "name", "value": "Aswathi"}],
}


# Converters after which a model can send per-recipient variables in none of the forms above
# (a closed object with no properties): the list of {name, value} published fixes them all.
VARIABLES_LOST: set[str] = set()  # the published list of {name, value} survives every converter


def test_per_recipient_variables_survive_every_converter(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints which form of per-recipient variables each converter still lets a model send (the
    findings of docs/agent-stacks.md, kept checkable), and holds the converters that lose them."""
    tools = {tool["name"]: tool for tool in json.loads(tool_list_file("legacy").read_text())}
    lines, lost = [], set()
    for variant, results in sorted(all_variants().items()):
        if "create_batch_call" not in results:
            continue  # google-genai-session: the whole list, tested above
        result = results["create_batch_call"]
        if not result["ok"]:
            lines.append(f"{variant}: create_batch_call does not convert (KNOWN_BREAKS)")
            continue
        validator = jsonschema.Draft202012Validator(parameters(variant, result))
        base = strict_call(tools["create_batch_call"])
        fits = [
            form for form, value in VARIABLE_FORMS.items() if validator.is_valid(base | {"tasks": [{"to_number": "+919600011957", "dynamic_variables": value}]})
        ]
        lines.append(f"{variant}: a model can send {', '.join(fits) or 'none of them'}")
        if not fits:
            lost.add(variant)
    if not lines:
        pytest.skip("no converter is installed: run `bash .ci/install-converters` once")
    with capsys.disabled():
        print("\n  dynamic_variables after conversion:\n    " + "\n    ".join(lines))
    installed = {variant for variant in all_variants()}
    assert lost == VARIABLES_LOST & installed, f"update VARIABLES_LOST: now {sorted(lost)}"


# Tools whose strict call the server does not yet answer as it answers the call without the
# optional arguments, with null or "" standing for "not given"; the argument side of issue 14 (the
# lead) makes them pass, and then the xfail(strict) entry must go.
STRICT_CALL_NOT_YET_ACCEPTED: dict[tuple[str, str], str] = {}


async def answer(name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """The answer of a fresh sandbox (seeded, fixed clock) holding one scheduled batch, so the two
    calls compared see the same world (its own state directory: the sandbox persists)."""
    import os
    import tempfile

    os.environ["ZUDU_MCP_STATE_DIR"] = tempfile.mkdtemp(prefix="zudu-strict-")  # the autouse fixture restores it
    server, _ = sandbox_server(now=SEED_NOW)
    async with Client(server) as client:
        seed = {k: v for k, v in SEED_REQUEST.items() if k != "trigger_timestamp"} | {"schedule": "tomorrow at 10am"}
        created = await client.call_tool("create_batch_call", seed)
        assert not created.is_error, text_of(created)
        batch_id = created.structured_content["batch_call"]["batch_call_id"]  # the same in every fresh, seeded sandbox
        result = await client.call_tool(name, {k: batch_id if v == BATCH else v for k, v in arguments.items()})
    return bool(result.is_error), re.sub(r"confirmation_token\W+\S+", "confirmation_token <token>", text_of(result))


TOOL_NAMES = sorted(
    (set(REQUIRED_VALUES) | {"list_batch_calls", "list_agents", "list_phone_numbers"}) - {"list_batch_call_tasks", "hold_batch_call"}
)  # published only when named


@pytest.mark.anyio
@pytest.mark.parametrize("empty", [None, ""], ids=["null", "empty-text"])
@pytest.mark.parametrize("name", TOOL_NAMES)
async def test_a_strict_call_gets_the_answer_of_a_call_without_the_optional_arguments(name: str, empty: Any, request: pytest.FixtureRequest) -> None:
    known = STRICT_CALL_NOT_YET_ACCEPTED.get((name, "null" if empty is None else "empty-text"))
    if known:
        request.applymarker(pytest.mark.xfail(reason=known, strict=True))
    [tool] = [tool for tool in await published_tools() if tool["name"] == name]
    strict, plain = await answer(name, strict_call(tool, empty)), await answer(name, REQUIRED_VALUES.get(name, {}))
    assert strict == plain
