"""Who may see and do what: the role rules of domain/access, table-driven."""

from __future__ import annotations

import pytest

from escalation.domain.access import (
    AccessDeniedError,
    Principal,
    Role,
    can_see,
    check_act,
    is_security,
    may_act,
    may_manage_tokens,
    may_open,
    sees_revenue,
)
from escalation.domain.lifecycle import Action
from escalation.domain.model import Escalation, Severity, Status, Target
from support import T0

TEAMS = {"maya": "emea", "li": "apac", "omar": "emea"}


def esc(target: Target = Target.ENGINEERING, owner: str = "maya",
        also: tuple[Target, ...] = ()) -> Escalation:
    return Escalation(id="ESC-1", ticket_id="ZD-1", status=Status.OPEN, severity=Severity.HIGH,
                      target=target, opened_at=T0, owner=owner, also_notify=also)


def who(role: Role, name: str = "someone", team: str | None = None) -> Principal:
    return Principal(name, role, team)


@pytest.mark.parametrize(("escalation", "expected"), [
    (esc(Target.SECURITY), True),
    (esc(Target.ENGINEERING, also=(Target.SECURITY,)), True),
    (esc(Target.ENGINEERING, also=(Target.LEADERSHIP,)), False),
])
def test_security_escalations_are_those_sent_to_or_told_to_security(escalation, expected):
    assert is_security(escalation) is expected


@pytest.mark.parametrize("role", list(Role))
def test_security_escalations_exist_only_for_security_and_admin(role):
    visible = can_see(who(role), esc(Target.SECURITY))
    assert visible is (role in (Role.SECURITY, Role.ADMIN))
    assert can_see(who(role), esc(Target.ENGINEERING)) is True


@pytest.mark.parametrize("role", list(Role))
def test_revenue_shown_to_lead_leadership_admin_only(role):
    assert sees_revenue(who(role)) is (role in (Role.LEAD, Role.LEADERSHIP, Role.ADMIN))


def test_only_support_side_opens_and_only_admin_manages_tokens():
    assert {r for r in Role if may_open(who(r))} == {Role.AGENT, Role.LEAD, Role.SECURITY,
                                                     Role.ADMIN}
    assert {r for r in Role if may_manage_tokens(who(r))} == {Role.ADMIN}


@pytest.mark.parametrize(("principal", "action", "escalation", "allowed"), [
    # agents: their own, their team's, not another team's
    (who(Role.AGENT, "maya", "emea"), Action.CLOSE, esc(owner="maya"), True),
    (who(Role.AGENT, "omar", "emea"), Action.FOLLOW_UP, esc(owner="maya"), True),
    (who(Role.AGENT, "li", "apac"), Action.FOLLOW_UP, esc(owner="maya"), False),
    (who(Role.AGENT, "li", None), Action.FOLLOW_UP, esc(owner="nobody"), False),
    # receiving teams: what is sent to them, and only the receiving actions
    (who(Role.ENGINEERING), Action.ACKNOWLEDGE, esc(Target.ENGINEERING), True),
    (who(Role.ENGINEERING), Action.RESOLVE, esc(Target.ENGINEERING), True),
    (who(Role.ENGINEERING), Action.CLOSE, esc(Target.ENGINEERING), False),
    (who(Role.ENGINEERING), Action.DE_ESCALATE, esc(Target.ENGINEERING), False),
    (who(Role.ENGINEERING), Action.ACKNOWLEDGE, esc(Target.PRODUCT), False),
    (who(Role.PRODUCT), Action.ACKNOWLEDGE, esc(Target.PRODUCT), True),
    (who(Role.LEADERSHIP), Action.FOLLOW_UP,
     esc(Target.ENGINEERING, also=(Target.LEADERSHIP,)), True),
    (who(Role.LEADERSHIP), Action.FOLLOW_UP, esc(Target.ENGINEERING), False),
    # security: everything on security escalations, nothing else
    (who(Role.SECURITY), Action.CLOSE, esc(Target.SECURITY), True),
    (who(Role.SECURITY), Action.CLOSE, esc(Target.ENGINEERING), False),
    # lead and admin: all they can see
    (who(Role.LEAD), Action.CLOSE, esc(Target.ENGINEERING), True),
    (who(Role.LEAD), Action.ACKNOWLEDGE, esc(Target.SECURITY), False),
    (who(Role.ADMIN), Action.CLOSE, esc(Target.SECURITY), True),
])
def test_may_act(principal, action, escalation, allowed):
    assert may_act(principal, action, escalation, TEAMS.get) is allowed


def test_refusal_names_the_role_and_the_rule():
    with pytest.raises(AccessDeniedError, match=r"agent token may not close it.*owned by maya"):
        check_act(who(Role.AGENT, "li", "apac"), Action.CLOSE, esc(owner="maya"), TEAMS.get)
    with pytest.raises(AccessDeniedError, match="engineering acknowledges"):
        check_act(who(Role.ENGINEERING), Action.CLOSE, esc(), TEAMS.get)
