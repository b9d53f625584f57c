"""Regular expressions compiled on first use, not at import.

The phrase rules hold some forty patterns; compiling them all at import costs about 10 ms on
this project's machines, half of the 20 ms budget for the first phrase in a fresh process. Most
phrases need a handful, and the rules test a cheap keyword before they use a pattern, so a
pattern that a phrase never needs is never compiled.
"""

from __future__ import annotations

import re


class Pattern:
    __slots__ = ("source", "_regex")

    def __init__(self, source: str):
        self.source = source
        self._regex: re.Pattern[str] | None = None

    def regex(self) -> re.Pattern[str]:
        if self._regex is None:
            self._regex = re.compile(self.source)
        return self._regex

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex().search(text)

    def finditer(self, text: str):
        return self.regex().finditer(text)

    def sub(self, replacement, text: str) -> str:
        return self.regex().sub(replacement, text)

    def findall(self, text: str) -> list:
        return self.regex().findall(text)
