"""Plain value objects for the scheduling results.

Why not dataclasses: importing `dataclasses` pulls in inspect, ast, dis and tokenize, about
10 ms on this project's machines, which alone is half of the 20 ms budget for the first phrase
in a fresh process. A record here is a class with `__slots__` and an explicit `__init__`; this
base adds what the dataclasses gave the callers: equality, a readable repr and `as_dict()`.
"""

from __future__ import annotations


class Record:
    __slots__: tuple[str, ...] = ()
    # Mutable, compared by value (as a non-frozen dataclass). The data model allows `__hash__ = None`,
    # but typeshed types object.__hash__ as a method; typeshed's own list/dict use this same ignore.
    __hash__ = None  # type: ignore[assignment]

    def as_dict(self) -> dict:
        return {name: _plain(getattr(self, name)) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


def _plain(value):
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
