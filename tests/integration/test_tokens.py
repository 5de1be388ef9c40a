"""API tokens in the store: created hashed, checked, revoked, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalation.domain.access import Principal, Role
from escalation.domain.errors import InputError
from escalation.tokens import (
    Authenticator,
    create_token,
    hash_secret,
    list_tokens,
    revoke_token,
)
from support import T0


def test_secret_shown_once_and_stored_only_hashed(store):
    record, secret = create_token(store, name="maya", role=Role.AGENT, team="emea", by="admin",
                                  now=T0)
    assert secret.startswith("esd_") and len(secret) > 40
    assert secret.startswith(record.prefix)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.tokens.by_hash(hash_secret(secret)).id == record.id
    raw = repr(list_tokens(store))
    assert secret not in raw and "maya" in raw


def test_authenticator_knows_the_holder_until_revoked(store):
    _record, secret = create_token(store, name="li", role=Role.LEAD, team=None, by="admin",
                                   now=T0)
    auth = Authenticator(store, ttl=0)
    assert auth.principal(secret, T0) == Principal("li", Role.LEAD, None)
    assert auth.principal(secret + "x", T0) is None
    assert auth.principal("not-a-token", T0) is None
    revoked = revoke_token(store, "li", by="admin", now=T0 + timedelta(minutes=1))
    assert [r.revoked_at for r in revoked] == [T0 + timedelta(minutes=1)]
    assert auth.principal(secret, T0) is None
    assert list_tokens(store)[0].last_used_at == T0  # the first check recorded its use


def test_revoke_by_id_or_prefix_and_unknown_names_the_choices(store):
    first, secret = create_token(store, name="a", role=Role.ADMIN, team=None, by="x", now=T0)
    second, _ = create_token(store, name="b", role=Role.ADMIN, team=None, by="x", now=T0)
    assert [r.id for r in revoke_token(store, str(first.id), by="x", now=T0)] == [first.id]
    assert [r.id for r in revoke_token(store, second.prefix, by="x", now=T0)] == [second.id]
    with pytest.raises(InputError, match="token: expected the id, prefix or name"):
        revoke_token(store, "nobody", by="x", now=T0)
    assert secret  # the first secret was never needed to revoke


def test_team_of_follows_active_tokens(store):
    create_token(store, name="maya", role=Role.AGENT, team="emea", by="x", now=T0)
    create_token(store, name="li", role=Role.AGENT, team=None, by="x", now=T0)
    auth = Authenticator(store, ttl=0)
    assert auth.team_of("maya") == "emea"
    assert auth.team_of("li") is None
    revoke_token(store, "maya", by="x", now=T0)
    assert auth.team_of("maya") is None


def test_bad_names_are_refused_with_the_field(store):
    with pytest.raises(InputError, match="name: expected a non-empty name"):
        create_token(store, name="  ", role=Role.AGENT, team=None, by="x", now=T0)
    with pytest.raises(InputError, match="team: expected one line"):
        create_token(store, name="ok", role=Role.AGENT, team="a\nb", by="x", now=T0)


def test_creating_and_revoking_is_audited(store):
    create_token(store, name="maya", role=Role.AGENT, team=None, by="root", now=T0)
    revoke_token(store, "maya", by="root", now=T0)
    with store.unit_of_work(read_only=True) as uow:
        actions = [(e.actor, e.action) for e in uow.events()]
    assert actions == [("root", "token.created"), ("root", "token.revoked")]
