"""Escalation Desk: decide, brief, lint and track support escalations by the playbook."""

__version__ = "0.1.0"
