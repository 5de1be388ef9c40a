"""Smoke test of benchmarks/api_load.py: a tiny `--quick` run on SQLite measures every endpoint.

It starts two uvicorn servers (the desk and the bare baseline) on loopback ports, so it needs
nothing but the project's own packages; PostgreSQL is not used.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "api_load.py"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
ENDPOINTS = (
    "bare FastAPI GET / (ceiling)",
    "POST /api/v1/assess",
    "GET /api/v1/escalations?limit=50",
    "POST /api/v1/escalations/{id}/follow-ups",
)


@pytest.mark.slow
def test_api_load_benchmark_quick_run(tmp_path: Path) -> None:
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
    out = tmp_path / "results.json"

    run = subprocess.run(
        [python, str(SCRIPT), "--quick", "--seconds", "1", "--rate", "50",
         "--escalations", "200", "--backends", "sqlite", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=85, check=False)

    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    for label in ENDPOINTS:
        # endpoint, got/s, p50, p95, p99, sent p99, errors, ...
        line = re.search(rf"^{re.escape(label)}\s+([\d,.]+)\s+([\d,.]+)\s+([\d,.]+)\s+"
                         rf"([\d,.]+)\s+([\d,.]+)\s+(\d+)\s", run.stdout, re.MULTILINE)
        assert line, f"no table row for {label}:\n{run.stdout}"
        assert line.group(6) == "0", f"{label}: errors in the open loop\n{run.stdout}"
    results = json.loads(out.read_text("utf-8"))
    assert results["seeding"]["sqlite"]["escalations"] == 200
    rows = {row["label"]: row for row in results["rows"] if row["backend"] == "SQLite"}
    assert set(ENDPOINTS) <= set(rows), sorted(rows)
    for label in ENDPOINTS:
        for mode in ("open", "closed"):
            measured = rows[label][mode]
            assert measured["errors"] == 0, (label, mode, measured)
            assert measured["ok"] > 0, (label, mode, measured)
    assert rows[ENDPOINTS[1]]["open"]["requests"] == 50
    assert "PASS" in run.stdout or "MISS" in run.stdout
