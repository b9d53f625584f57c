"""server.json is what the MCP registry publishes: valid against the registry's schema, in step with the package."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
# A byte-for-byte copy of https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json
# (github.com/modelcontextprotocol/static, schemas/2025-12-11/server.schema.json, the newest released).
SCHEMA = json.loads((Path(__file__).parent / "data" / "server.schema.2025-12-11.json").read_text())
SERVER = json.loads((ROOT / "server.json").read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def validate(document: dict) -> None:
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(document)


def test_server_json_is_valid_against_the_registry_schema() -> None:
    assert SERVER["$schema"] == SCHEMA["$id"]
    validate(SERVER)


def test_the_validation_can_fail() -> None:
    """The schema really is enforced here: the 180-character description of 0.1.0 is refused."""
    with pytest.raises(jsonschema.ValidationError, match="is too long"):
        validate(SERVER | {"description": "x" * 101})
    with pytest.raises(jsonschema.ValidationError):
        validate(SERVER | {"packages": [SERVER["packages"][0] | {"version": "latest"}]})


def test_server_json_is_in_step_with_the_package() -> None:
    package = SERVER["packages"][0]
    assert SERVER["version"] == package["version"] == PROJECT["version"]
    assert package["identifier"] == PROJECT["name"] and package["registryType"] == "pypi"
    owner = SERVER["name"].removeprefix("io.github.").split("/")[0]
    repository = f"https://github.com/{owner}/zudu-mcp"
    assert SERVER["repository"]["url"] == repository == PROJECT["urls"]["Repository"]
    assert all(url.startswith(repository) for url in PROJECT["urls"].values()), "one owner everywhere, the one the registry verifies"


def test_every_variable_server_json_names_is_a_setting() -> None:
    from zudu_mcp.config import Settings

    known = {"ZUDU_" + name.upper() for name in Settings.model_fields}
    assert {variable["name"] for variable in SERVER["packages"][0]["environmentVariables"]} <= known
