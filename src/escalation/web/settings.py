"""The web server's settings, in one place (from `escalate serve` options or the environment)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

DEFAULT_DB = "sqlite:///./escalation.db"
INTAKE_SECRET_PREFIX = "ESCALATION_INTAKE_SECRET_"


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
    # Intake webhooks (`POST /api/v1/intake/{source}`): the shared secret of each source
    # (ESCALATION_INTAKE_SECRET_<SOURCE>); a source without one is refused.
    intake_secrets: Mapping[str, str] = field(default_factory=dict)
    # Severities and targets whose escalations intake opens at once (ESCALATION_INTAKE_AUTO_OPEN,
    # e.g. "critical,security"); empty: intake only assesses.
    intake_auto_open: tuple[str, ...] = ()

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
        secrets_by_source = {
            name.removeprefix(INTAKE_SECRET_PREFIX).lower(): value
            for name, value in env.items()
            if name.startswith(INTAKE_SECRET_PREFIX) and name != INTAKE_SECRET_PREFIX and value
        }
        if secrets_by_source:
            values["intake_secrets"] = secrets_by_source
        if "ESCALATION_INTAKE_AUTO_OPEN" in env:
            values["intake_auto_open"] = tuple(
                part.strip().lower() for part in env["ESCALATION_INTAKE_AUTO_OPEN"].split(",")
                if part.strip())
        values["run_worker"] = env.get("ESCALATION_RUN_WORKER", "") == "1"
        values["secure_cookies"] = env.get("ESCALATION_SECURE_COOKIES", "") == "1"
        return cls(**values)  # type: ignore[arg-type]
