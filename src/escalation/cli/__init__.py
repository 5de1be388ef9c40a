"""The `escalate` command: parses arguments, calls the use cases, prints; nothing else."""

from __future__ import annotations

import os
import sys

from escalation.cli import (  # noqa: F401 - registers the commands
    deliveries,
    escalations,
    explain,
    handoff,
    imports,
    mcp,
    patterns,
    policy,
    serve,
    tickets,
    tokens,
)
from escalation.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    # One name in usage lines however it was started (`python -m escalation` too).
    if os.environ.get("ESCALATION_TRACEBACK"):
        app(prog_name="escalate")
        return
    try:
        app(prog_name="escalate")
    except KeyboardInterrupt:
        sys.exit(130)
