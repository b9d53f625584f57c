"""Published input schemas that the agent stacks' own converters accept and keep the meaning of.

Pydantic emits `$defs`/`$ref`, `anyOf [T, null]` and a `title` on every node. What each major
stack then does to a tool schema (tests/test_converters.py runs the real converters; the findings
are in docs/agent-stacks.md) decides the published form:

- `$defs`/`$ref` are inlined: Gemini rejects them and some clients send `$ref` parameters as strings.
- An optional argument stays `anyOf [T, {"type": "null"}]`, its description inside T. Strict converters (OpenAI Agents SDK,
  langchain-openai, pydantic-ai) make every property required; only a nullable property lets a
  strict model say "not given", and the server reads null as not given. `anyOf` rather than
  `"type": [T, "null"]`: the Anthropic SDK's strict transform fails on a list of types.
  The null default is dropped (strict mode forbids `default`; null is implied).
- `additionalProperties: false` is left out: google-genai's MCP support fails the whole tool list
  on it, strict converters add it back themselves, and the server refuses unknown fields anyway.
- An integer's `exclusiveMinimum: n` becomes `minimum: n + 1` (the same integers): Gemini drops
  `exclusiveMinimum`, and several strict modes ignore it.

- Optional text, numbers, booleans and lists are published as plain T: a strict model then sends
  "" / 0 / false / [], which the server reads as "not given" (CheckedTool drops them before
  validation), and the tool list stays small. Only objects and enums, which a strict model could
  not fill with a neutral value, keep the nullable `anyOf`.
- `maxLength`, `minLength` and `pattern` are not published: the server checks them and says how to
  fix a value; in the schema they cost tokens on every turn of every conversation.
- `dynamic_variables` (a free-form map, which strict modes cannot express: Anthropic's turns it
  into `{}`, langchain-google-genai into a string) is published as a list of {name, value}; the
  server accepts that list, an object, or either as JSON text.

Arguments are still validated by the original pydantic models, so nothing here loosens a rule.
"""

from __future__ import annotations

import math
from typing import Any

SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
NULL = {"type": "null"}
UNPUBLISHED = ("maxLength", "minLength", "pattern")
NEUTRAL_TYPES = ("string", "integer", "number", "boolean", "array")  # a strict model can send "", 0, false, []
VARIABLES = {
    "type": "array",
    "description": "Values for the agent, [{name, value}] (or an object).",
    "items": {
        "type": "object",
        "properties": {"name": {"type": "string", "description": "Variable name."}, "value": {"type": "string", "description": "Its value."}},
        "required": ["name", "value"],
    },
}


def publishable(schema: dict[str, Any]) -> dict[str, Any]:
    """Rewrites the SDK's freshly generated schema in place (simplifying twice changes nothing,
    so a definition used at two places may be shared)."""
    definitions = schema.get("$defs", {})
    return _simplify(schema, definitions)


def _simplify(node: Any, definitions: dict[str, Any]) -> Any:
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = definitions[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**target, **node}  # a description beside the $ref wins over the model's
    node.pop("$defs", None)
    node.pop("title", None)
    for key in UNPUBLISHED:
        node.pop(key, None)
    if node.get("default") is False or node.get("default") == []:
        del node["default"]
    if node.get("additionalProperties") is False:
        del node["additionalProperties"]
    if node.get("type") == "integer" and isinstance(node.get("exclusiveMinimum"), int | float):
        node["minimum"] = math.floor(node.pop("exclusiveMinimum")) + 1
    for key in SUBSCHEMA_LISTS:
        if key in node:
            options = node.pop(key)
            values = [_simplify(option, definitions) for option in options if option.get("type") != "null"]
            nullable = len(values) < len(options)
            if len(values) == 1:  # Optional[T] -> anyOf [T, null]; T alone when null is not allowed
                node = _optional(values[0], node) if nullable else {**values[0], **node}
            else:
                node[key] = values + ([dict(NULL)] if nullable else [])
    if "properties" in node:
        node["properties"] = {name: dict(VARIABLES) if name == "dynamic_variables" else _simplify(sub, definitions) for name, sub in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _simplify(node[key], definitions)
    return node


def _optional(value: dict[str, Any], outer: dict[str, Any]) -> dict[str, Any]:
    """{anyOf: [T + description, null]}: the description goes inside the non-null alternative, because
    google-genai keeps only what that alternative says (a description beside `anyOf` is lost)."""
    if outer.get("default", ...) is None:
        del outer["default"]
    if value.get("type") in NEUTRAL_TYPES and "enum" not in value:
        return {**value, **outer}
    return {"anyOf": [{**value, **outer}, dict(NULL)]}
