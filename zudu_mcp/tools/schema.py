"""Published input schemas that every major LLM client accepts.

Pydantic emits `$defs`/`$ref`, `anyOf [T, null]` and a `title` on every node. Gemini rejects
`$defs` and some clients send `$ref` parameters as strings, so the published copy is inlined
and simplified. Arguments are still validated by the original pydantic models.
"""

from __future__ import annotations

from typing import Any

SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")


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
    for key in SUBSCHEMA_LISTS:
        if key in node:
            options = [option for option in node.pop(key) if option.get("type") != "null"]
            if len(options) == 1:  # Optional[T] -> T; leaving the field out means null
                merged = _simplify(options[0], definitions)
                node = {**merged, **node}
                if node.get("default", ...) is None:
                    del node["default"]
            else:
                node[key] = [_simplify(option, definitions) for option in options]
    if "properties" in node:
        node["properties"] = {name: _simplify(sub, definitions) for name, sub in node["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _simplify(node[key], definitions)
    return node
