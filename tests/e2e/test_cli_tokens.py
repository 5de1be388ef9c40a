"""`escalate token create|list|revoke` as real processes."""

from __future__ import annotations

import json
import subprocess

from cli_support import escalate as run_escalate
from escalation.adapters.db.store import Store
from escalation.tokens import Authenticator


def escalate(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_escalate("--db", db, "--actor", "root", *args)


def test_create_prints_the_secret_once_then_list_and_revoke(db_url: str) -> None:
    created = escalate(db_url, "token", "create", "--role", "agent", "--name", "maya.chen",
                       "--team", "emea")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("esd_") and "\n" not in secret
    assert "not shown again" in created.stderr and "maya.chen (agent, team emea)" in created.stderr

    listed = escalate(db_url, "token", "list", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["name"], r["role"], r["team"], r["revoked_at"]) for r in rows] == [
        ("maya.chen", "agent", "emea", None)]
    assert secret not in listed.stdout and secret.startswith(rows[0]["prefix"])
    assert "maya.chen" in escalate(db_url, "token", "list").stdout

    store = Store(db_url)
    assert Authenticator(store, ttl=0).principal(secret, _now()) is not None
    revoked = escalate(db_url, "token", "revoke", "maya.chen")
    assert revoked.returncode == 0 and "revoked token 1" in revoked.stdout
    assert Authenticator(store, ttl=0).principal(secret, _now()) is None
    store.close()


def test_bad_role_and_unknown_token_fail_with_one_line(db_url: str) -> None:
    bad = escalate(db_url, "token", "create", "--role", "wizard", "--name", "x")
    assert bad.returncode == 2 and "wizard" in bad.stderr and bad.stdout == ""
    unknown = escalate(db_url, "token", "revoke", "nobody")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "escalate: token: expected the id, prefix or name of a token (see `escalate token "
        "list`), got \"nobody\"")


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
