"""The mcp command: serve the desk to an AI assistant over the Model Context Protocol (stdio)."""

from __future__ import annotations

from escalation.cli.common import app, current_policy, db_url, state, user_errors
from escalation.services import Desk


@app.command("mcp")
def mcp_command() -> None:
    """Serve the desk's tools and resources to an MCP client over standard input and output.

    Same rules, refusals and audit trail as the command line; the audit actor is --actor /
    ESCALATION_ACTOR (the assistant's identity), default "mcp". The database is --db.
    """
    from escalation.mcp_server import DEFAULT_ACTOR, build_server  # noqa: PLC0415

    with user_errors():
        policy = current_policy()  # a bad policy file fails here, before serving
    url = db_url()
    actor = state.actor or DEFAULT_ACTOR

    def open_desk() -> Desk:
        from escalation.adapters.db.store import Store  # noqa: PLC0415

        return Desk(Store(url), policy, actor)

    build_server(open_desk, url).run("stdio")
