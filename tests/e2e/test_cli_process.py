"""The `escalate` command as a real process: the installed script and `python -m escalation`.

The other CLI tests run their command lines in the test's own process (tests/cli_support.py);
these check that the real entry points answer the same, byte for byte, exit code included,
and that a process's store work is really on disk for the next process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import escalate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOW = "2026-11-26T10:00:00Z"
SCRIPT = Path(sys.executable).parent / "escalate"
needs_script = pytest.mark.skipif(not SCRIPT.exists(),
                                  reason=f"the console script {SCRIPT} is not installed")

COMMAND_LINES = [
    ("assess", str(EXAMPLES / "all.json"), "--now", NOW),
    ("brief", str(EXAMPLES / "04-shared-link-data-exposure-security.json"), "--now", NOW,
     "--lang", "zh"),
    ("lint", str(EXAMPLES / "01-checkout-500-engineering.json"), "--now", NOW),
    ("explain", str(EXAMPLES / "06-renewal-churn-exec-leadership.json"), "--format", "text"),
    ("assess", "-", "--now", "not a time"),  # refused: exit 2, one line
    ("no-such-command",),
    ("--version",),
]


@pytest.mark.parametrize("args", COMMAND_LINES, ids=lambda args: " ".join(args[:1]) or "-")
def test_a_real_process_answers_like_the_in_process_runner(args: tuple[str, ...]) -> None:
    real = escalate(*args, stdin="{}", process=True)
    here = escalate(*args, stdin="{}", process=False)
    assert (real.returncode, real.stdout) == (here.returncode, here.stdout)
    assert real.stderr == here.stderr
    assert "Traceback" not in real.stderr


@needs_script
def test_the_installed_script_keeps_the_store_between_processes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    ticket = EXAMPLES / "01-checkout-500-engineering.json"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), "--db", db, "--actor", "ci", *args],
                              capture_output=True, text=True, timeout=120, check=False)

    opened = run("open", str(ticket), "--now", NOW)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "ESC-1"
    acked = run("ack", "ESC-1", "--now", NOW)
    assert acked.returncode == 0, acked.stderr
    shown = run("show", "ESC-1", "--now", NOW, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    escalation = json.loads(shown.stdout)["escalation"]
    assert (escalation["status"], escalation["owner"]) == ("acknowledged", "ci")
    verified = run("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "audit chain ok: 2 events verified"


@needs_script
def test_python_dash_m_runs_the_same_command() -> None:
    by_module = subprocess.run([sys.executable, "-m", "escalation", "--help"],
                               capture_output=True, text=True, timeout=60, check=True)
    by_script = subprocess.run([str(SCRIPT), "--help"],
                               capture_output=True, text=True, timeout=60, check=True)
    assert by_module.stdout == by_script.stdout
    assert "Usage: escalate [OPTIONS] COMMAND" in by_module.stdout


def test_version_needs_no_command() -> None:
    from escalation import __version__

    result = escalate("--version", process=True)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, f"escalate {__version__}\n", "")
