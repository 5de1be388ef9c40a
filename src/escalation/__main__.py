"""`python -m escalation` runs the `escalate` command."""

from escalation.cli import main

main()
