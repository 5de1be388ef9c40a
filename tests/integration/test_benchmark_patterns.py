"""Smoke test of benchmarks/patterns.py: `--quick` runs to the end and scores both data sets.

It needs the benchmark's data (banking77 and gitbugs under /work/shared/data; tests/fixtures
holds a gitbugs sample but no banking77) and its baselines' packages (the `bench` extra).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "patterns.py"
DATA = Path("/work/shared/data")
FIXTURES = ROOT / "tests" / "fixtures"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def _missing_data() -> str | None:
    banking = (DATA / "banking77" / "train.csv").exists() or (
        FIXTURES / "banking77" / "train.csv").exists()
    gitbugs = (DATA / "gitbugs").is_dir() or (FIXTURES / "gitbugs_sample.csv").exists()
    missing = [name for name, ok in (("banking77", banking), ("gitbugs", gitbugs)) if not ok]
    if missing:
        return (f"benchmark data missing: {', '.join(missing)} (neither {DATA} nor "
                f"{FIXTURES} has it)")
    return None


@pytest.mark.slow
def test_patterns_benchmark_quick_run() -> None:
    reason = _missing_data()
    if reason:
        pytest.skip(reason)
    for module in ("sklearn", "datasketch"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} not installed (pip install -e '.[bench]')")
    python = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable

    run = subprocess.run([python, str(SCRIPT), "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=900, check=False)

    assert run.returncode == 0, f"exit {run.returncode}\n{run.stdout}\n{run.stderr}"
    for name in ("banking77", "gitbugs"):
        assert re.search(rf"^{re.escape(name)}\s+ARI ours \d", run.stdout, re.MULTILINE), (
            f"no ARI line for {name}:\n{run.stdout}")
    assert re.search(r"^ours \(defaults\)\s", run.stdout, re.MULTILINE), run.stdout
    assert "match p50" in run.stdout and "peak RSS" in run.stdout, run.stdout
