"""`escalate handoff`: send a stored escalation's brief to Jira, GitHub or Linear as an issue."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from escalation.cli.common import (
    NowOption,
    actor,
    app,
    fail,
    now_from,
    open_desk,
    user_errors,
)
from escalation.formats import Lang


class Tracker(StrEnum):
    """Engineering trackers an escalation can be handed off to."""

    jira = "jira"
    github = "github"
    linear = "linear"


ProjectOption = Annotated[str, typer.Option(
    "--project", help="Jira project key the issue is created in.")]


@app.command("handoff")
def handoff_command(
    escalation_id: Annotated[str, typer.Argument(metavar="ESC-ID", help="Escalation id.")],
    to: Annotated[Tracker, typer.Option("--to", help="jira, github or linear.")],
    url: Annotated[str | None, typer.Option(
        "--url", help="The tracker's base URL (Jira: https://acme.atlassian.net; GitHub and "
                      "Linear default to their public APIs).")] = None,
    token_env: Annotated[str | None, typer.Option(
        "--token-env", help="Environment variable holding the token (default JIRA_TOKEN, "
                            "GITHUB_TOKEN or LINEAR_API_KEY). Jira: EMAIL:API_TOKEN for basic "
                            "auth, else a bearer token.")] = None,
    repo: Annotated[str | None, typer.Option(
        "--repo", help="GitHub repository, OWNER/NAME.")] = None,
    team: Annotated[str | None, typer.Option(
        "--team", help="Linear team id (teamId of the new issue).")] = None,
    project: ProjectOption = "ESC",
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh.")] = Lang.en,
    now: NowOption = None,
) -> None:
    """Create an issue from the escalation's brief in an engineering tracker; audit it.

    Prints the created issue's key and URL and records "escalation.handed_off". When the
    tracker cannot be reached or refuses the issue: one line on stderr, exit 2, nothing recorded.
    """
    from escalation.adapters.handoff import (  # noqa: PLC0415 - light start-up
        DEFAULT_TOKEN_ENV,
        DEFAULT_URLS,
        HandoffError,
        create_issue,
        record_handoff,
    )
    from escalation.render.handoff import handoff_payload  # noqa: PLC0415

    tracker = to.value
    base = url or DEFAULT_URLS.get(tracker)
    if not base:
        fail(f"handoff to {tracker}: --url is required (e.g. https://acme.atlassian.net)")
    if not base.startswith(("http://", "https://")):
        fail(f"--url {base}: expected an http:// or https:// URL")
    if tracker == "github" and not repo:
        fail("handoff to github: --repo OWNER/NAME is required")
    variable = token_env or DEFAULT_TOKEN_ENV[tracker]
    token = os.environ.get(variable, "").strip()
    if not token:
        fail(f"handoff to {tracker}: set {variable} to the tracker's token (or name another "
             "variable with --token-env)")
    with user_errors():
        moment = now_from(now)
        desk = open_desk()
        view = desk.show(escalation_id, moment)
        if view.briefed is None:
            fail(f"{view.escalation.id}: its ticket is not in the store")
        esc_id = view.escalation.id
        payload = handoff_payload(view.briefed.brief, tracker, lang.value, project=project,
                                  escalation_id=esc_id)
        try:
            issue = create_issue(tracker, payload, base, token, repo=repo, team=team)
        except HandoffError as exc:
            fail(f"{esc_id}: not handed off: {exc}")
        record_handoff(desk.store, moment, actor(), esc_id, issue)
    typer.echo(f"{esc_id}: handed off to {tracker} as {issue.key}"
               + (f" {issue.url}" if issue.url else ""))
