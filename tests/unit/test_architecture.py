"""The domain decides and imports only the standard library; adapters never leak into it."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import escalation.domain

DOMAIN = Path(escalation.domain.__file__).parent
PACKAGE = DOMAIN.parent


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _domain_files() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_domain_has_modules_to_check() -> None:
    names = {p.stem for p in _domain_files()}
    assert {"model", "policy", "assess", "impact", "brief", "lint", "calendar"} <= names


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = []
    for path in _domain_files():
        for line, module in _imports(path):
            top = module.split(".")[0]
            if module.startswith("escalation.domain") or top == "__future__":
                continue
            if top in sys.stdlib_module_names:
                continue
            offenders.append(f"{path.relative_to(PACKAGE)}:{line} imports {module}")
    assert offenders == []


def test_domain_does_no_io() -> None:
    """No clock, files, network or environment inside the domain: those are arguments."""
    forbidden = re.compile(
        r"\b(datetime\.now|date\.today|time\.time|open)\(|\bos\.environ\b|"
        r"\b(socket|subprocess|urllib|sqlite3|random)\b"
    )
    offenders = []
    for path in _domain_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if forbidden.search(code):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []


def test_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlalchemy\nfrom fastapi import FastAPI\nimport json\n")
    modules = [m for _, m in _imports(bad)]
    outside = [m for m in modules if m.split(".")[0] not in sys.stdlib_module_names]
    assert outside == ["sqlalchemy", "fastapi"]
