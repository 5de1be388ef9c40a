"""Lexicon files: the shipped English and Chinese ones, and any a team adds in its policy.

The files are TOML (`escalation/lexicons/*.toml`); `domain/lexicon.py` checks and compiles
them. Loaded lexicons are cached per set of files (and their modification times), so every
ticket of a run reads with the same compiled phrases.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from escalation.domain.lexicon import Lexicon, LexiconError, lexicon_from_mappings

SHIPPED: tuple[str, ...] = ("en.toml", "zh.toml")


@cache
def _shipped() -> tuple[tuple[str, Any], ...]:
    folder = resources.files("escalation") / "lexicons"
    return tuple((name, tomllib.loads((folder / name).read_text(encoding="utf-8")))
                 for name in SHIPPED)


def read_lexicon_file(path: str | Path) -> dict[str, Any]:
    """One lexicon file parsed; LexiconError naming the file when it cannot be read."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconError(name, "an existing lexicon file", show_got=False) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LexiconError(name, f"a readable UTF-8 file ({exc})", show_got=False) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(name, f"valid TOML ({exc})", show_got=False) from None


def load_lexicon(extra: tuple[str, ...] = ()) -> Lexicon:
    """The shipped lexicons extended by `extra` files, compiled (cached while unchanged)."""
    stamps = tuple((path, _mtime(path)) for path in extra)
    return _load(stamps)


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return -1.0


@cache
def _load(stamps: tuple[tuple[str, float], ...]) -> Lexicon:
    files = list(_shipped()) + [(path, read_lexicon_file(path)) for path, _ in stamps]
    return lexicon_from_mappings(files)


def check_lexicon_files(paths: tuple[str, ...]) -> list[tuple[int, str]]:
    """Every problem of these files together with the shipped ones: (index in paths, message)."""
    problems: list[tuple[int, str]] = []
    for index, path in enumerate(paths):
        try:
            lexicon_from_mappings([*_shipped(), (path, read_lexicon_file(path))])
        except LexiconError as exc:
            problems.append((index, exc.message))
    return problems
