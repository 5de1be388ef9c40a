"""Run the `escalate` command from a test: in this process by default, as a real process on demand.

Every command line the CLI tests type goes through `escalate(...)`, which answers like
`subprocess.run(..., capture_output=True, text=True)`: returncode, stdout, stderr. By default
the command runs in the test's own process (Typer's runner: the same argument parsing, exit
codes and output, without paying Python's start-up, the imports and the lexicon load again for
each of several hundred commands). An exception that escapes the command is reported the way a
real process reports it: exit code 1 and the traceback on stderr.

`ESCALATION_TEST_CLI=process` runs every one of them as `python -m escalation` instead, and
tests/e2e/test_cli_process.py always does, so the real entry points stay covered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Mapping

from typer.testing import CliRunner

from escalation.cli import app

PROCESS = os.environ.get("ESCALATION_TEST_CLI", "") == "process"
TIMEOUT_S = 180
_runner = CliRunner()


def escalate(*args: str, stdin: str | None = None,
             env: Mapping[str, str | None] | None = None,
             process: bool = PROCESS) -> subprocess.CompletedProcess[str]:
    """`escalate ARGS...` with `stdin` as its standard input and the environment changed by
    `env` (a name mapped to None is removed from it)."""
    if process:
        changed = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "escalation", *args], input=stdin, capture_output=True,
            text=True, encoding="utf-8", timeout=TIMEOUT_S, check=False,
            env={name: value for name, value in changed.items() if value is not None})
    result = _runner.invoke(app, list(args), input=stdin, env=dict(env or {}),
                            prog_name="escalate")
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = result.exception
        stderr += "".join(traceback.format_exception(error))
        code = 1
    return subprocess.CompletedProcess(["escalate", *args], code, result.stdout, stderr)
