"""Errors raised when input breaks a contract: they name the field and what was expected."""

from __future__ import annotations

import json


class InputError(ValueError):
    """Input that does not match a contract; `path` names the field, `expected` what would do."""

    def __init__(self, path: str, expected: str, got: object = None, *, show_got: bool = True):
        self.path = path
        self.expected = expected
        self.got = got
        self.show_got = show_got
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: `path: expected …, got …`."""
        where = self.path or "input"
        if not self.show_got:
            return f"{where}: expected {self.expected}"
        return f"{where}: expected {self.expected}, got {_describe(self.got)}"

    def under(self, prefix: str) -> InputError:
        """The same error with its path placed under `prefix` (e.g. `tickets[3]`)."""
        if not prefix:
            return self
        path = f"{prefix}.{self.path}" if self.path and not self.path.startswith("[") else (
            f"{prefix}{self.path}"
        )
        return InputError(path, self.expected, self.got, show_got=self.show_got)


class PolicyError(InputError):
    """A policy file value that is out of range, of the wrong type, or unknown."""


# Line breaks JSON leaves unescaped outside ASCII; escaped so an error stays one line.
_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        # JSON quoting keeps the message on one line whatever the input holds.
        return json.dumps(shown, ensure_ascii=False).translate(_LINE_BREAKS)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        shown = "[" + ", ".join(_describe(v) for v in list(value)[:5]) + (
            ", ..." if len(value) > 5 else "") + "]"
        return shown if len(shown) <= 80 else "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
