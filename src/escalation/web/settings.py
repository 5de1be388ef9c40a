"""The web server's settings, in one place (from `escalate serve` options or the environment)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_DB = "sqlite:///./escalation.db"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebSettings:
    """How one web process runs: its store, policy, limits and whether it delivers reminders."""

    db_url: str = DEFAULT_DB
    policy_path: str | None = None
    # Signs the dashboard's session cookie; several processes must share one (else each
    # process's sessions are invalid in the others).
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    requests_per_minute: int = 600  # per token (per client address before sign-in)
    burst: int = 120
    max_body_bytes: int = 1_000_000
    run_worker: bool = False  # deliver reminders and notifications in this process
    secure_cookies: bool = False  # set behind HTTPS
    clock: Callable[[], datetime] = _utcnow

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        """Settings from ESCALATION_* variables (used by multi-process servers)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "ESCALATION_DB" in env:
            values["db_url"] = env["ESCALATION_DB"]
        if "ESCALATION_POLICY" in env:
            values["policy_path"] = env["ESCALATION_POLICY"]
        if "ESCALATION_SECRET_KEY" in env:
            values["secret_key"] = env["ESCALATION_SECRET_KEY"]
        if "ESCALATION_RATE_LIMIT" in env:
            values["requests_per_minute"] = int(env["ESCALATION_RATE_LIMIT"])
        if "ESCALATION_RATE_BURST" in env:
            values["burst"] = int(env["ESCALATION_RATE_BURST"])
        values["run_worker"] = env.get("ESCALATION_RUN_WORKER", "") == "1"
        values["secure_cookies"] = env.get("ESCALATION_SECURE_COOKIES", "") == "1"
        return cls(**values)  # type: ignore[arg-type]
