"""The MCP layer: each tool parses its arguments, calls the domain, and formats a short result.

No `from __future__ import annotations` here: the helper `annotations()` below would shadow that
feature name, and type checkers would then see `annotations` as the `__future__` feature, not the function.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.types import ToolAnnotations

if TYPE_CHECKING:
    from zudu_mcp.backend import Backend


@dataclass(frozen=True)
class ToolSpec:
    """How to build one tool: `build(backend)` returns the tool function, or (function, argument model, consent parameter)."""

    build: Callable[["Backend"], Any]
    description: str
    annotations: ToolAnnotations
    name: str = ""


def annotations(title: str, *, read_only: bool, destructive: bool, idempotent: bool, open_world: bool = True) -> ToolAnnotations:
    """All four hints, always explicit: the spec's defaults (destructive, open world) suit few tools."""
    return ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=open_world,
    )
