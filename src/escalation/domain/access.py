"""Who may see and do what: roles, the acting principal, and the visibility rules.

The rules, in one place for the API, the dashboard and every later interface:
- Security escalations (target security, or security told alongside) exist only for the
  security and admin roles; everyone else is answered as if they did not exist.
- Revenue (ARR, revenue at risk) is shown to lead, leadership and admin only.
- An agent acts on escalations they own or that someone of their team owns; a receiving team
  (engineering, product, leadership) acts on the escalations sent to it; a lead acts on every
  escalation they can see; security on security escalations; admin on everything.
- The whole audit trail is verified by lead, security, leadership and admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from escalation.domain.lifecycle import Action
from escalation.domain.model import Escalation, Target


class Role(StrEnum):
    """What a token holder is in the support organisation."""

    AGENT = "agent"
    LEAD = "lead"
    ENGINEERING = "engineering"
    PRODUCT = "product"
    SECURITY = "security"
    LEADERSHIP = "leadership"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The person or tool behind a request: audited by name, allowed by role (and team)."""

    name: str
    role: Role
    team: str | None = None


class AccessDeniedError(PermissionError):
    """The principal may see the escalation but not do this to it."""


# Roles for which security escalations exist at all.
_SECURITY_READERS = frozenset({Role.SECURITY, Role.ADMIN})
_REVENUE_READERS = frozenset({Role.LEAD, Role.LEADERSHIP, Role.ADMIN})
# Roles that may open escalations and index tickets (the support side, plus security).
_OPENERS = frozenset({Role.AGENT, Role.LEAD, Role.SECURITY, Role.ADMIN})
# Roles that may walk the whole audit chain.
_AUDITORS = frozenset({Role.LEAD, Role.SECURITY, Role.LEADERSHIP, Role.ADMIN})
# Receiving teams and the target each one receives.
_RECEIVES: dict[Role, Target] = {
    Role.ENGINEERING: Target.ENGINEERING,
    Role.PRODUCT: Target.PRODUCT,
    Role.LEADERSHIP: Target.LEADERSHIP,
    Role.SECURITY: Target.SECURITY,
}
# What a receiving team may do to an escalation sent to it: take it, report, fix it.
_RECEIVER_ACTIONS = frozenset({Action.ACKNOWLEDGE, Action.START, Action.FOLLOW_UP,
                               Action.RESOLVE, Action.CHANGE_SEVERITY})


def is_security(escalation: Escalation) -> bool:
    """Whether the escalation is a security one (sent to security, or security told too)."""
    return escalation.target is Target.SECURITY or Target.SECURITY in escalation.also_notify


def sees_security(principal: Principal) -> bool:
    """Whether security escalations exist for this principal."""
    return principal.role in _SECURITY_READERS


def can_see(principal: Principal, escalation: Escalation) -> bool:
    """Whether the escalation exists for this principal (lists, searches and lookups alike)."""
    return sees_security(principal) or not is_security(escalation)


def sees_revenue(principal: Principal) -> bool:
    """Whether ARR and revenue at risk are shown to this principal."""
    return principal.role in _REVENUE_READERS


def may_open(principal: Principal) -> bool:
    """Whether the principal may open escalations, link tickets and index them for patterns."""
    return principal.role in _OPENERS


def may_verify_audit(principal: Principal) -> bool:
    """Whether the principal may check the whole audit trail (it spans every escalation)."""
    return principal.role in _AUDITORS


def may_manage_tokens(principal: Principal) -> bool:
    """Only admins create, list and revoke API tokens."""
    return principal.role is Role.ADMIN


def may_act(
    principal: Principal,
    action: Action,
    escalation: Escalation,
    team_of: Callable[[str], str | None],
) -> bool:
    """Whether the principal may do `action` to an escalation they can see.

    `team_of(name)` is the team of a person (None when unknown): an agent may act on what
    someone of their own team owns.
    """
    if not can_see(principal, escalation):
        return False
    role = principal.role
    if role in (Role.ADMIN, Role.LEAD):
        return True
    if role is Role.AGENT:
        if escalation.owner == principal.name:
            return True
        return principal.team is not None and team_of(escalation.owner) == principal.team
    if role is Role.SECURITY and is_security(escalation):
        return True
    received = _RECEIVES.get(role)
    sent_here = received is not None and (
        escalation.target is received or received in escalation.also_notify)
    return sent_here and action in _RECEIVER_ACTIONS


def check_act(
    principal: Principal,
    action: Action,
    escalation: Escalation,
    team_of: Callable[[str], str | None],
) -> None:
    """Raise AccessDeniedError naming the role and what it may do instead."""
    if not may_act(principal, action, escalation, team_of):
        raise AccessDeniedError(
            f"{escalation.id}: a {principal.role.value} token may not {action.value} it "
            f"({_why(principal, escalation)})"
        )


def _why(principal: Principal, escalation: Escalation) -> str:
    if principal.role is Role.AGENT:
        return (f"owned by {escalation.owner}; agents act on their own and their team's "
                "escalations")
    if principal.role in _RECEIVES:
        return (f"sent to {escalation.target.value}; {principal.role.value} acknowledges, "
                "follows up, changes severity and resolves what is sent to it")
    return "read-only role"
