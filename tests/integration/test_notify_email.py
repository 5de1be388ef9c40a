"""The e-mail notifier against a real local SMTP server (aiosmtpd): content, headers, failures."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from escalation.adapters.notify import (
    DeliveryFailed,
    NotifierConfigError,
    Outgoing,
    message_text,
    notifier_for,
)
from escalation.adapters.notify.email import EmailNotifier, message_id
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.notifications import Channel, ChannelKind, Event, Smtp
from escalation.domain.policy import Policy
from escalation.render import render_brief, translate
from escalation.services import brief_ticket

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SENDER = "desk@escalations.example"


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every accepted message, or answers with set codes."""

    envelopes: list[Envelope] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> answer
    data_answer: str | None = None

    # aiosmtpd finds its hooks by these names.
    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_answer:
            return self.data_answer
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            content = envelope.content
            assert isinstance(content, bytes)
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    collector: Collector
    port: int
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)

    def smtp(self, **overrides: Any) -> Smtp:
        return Smtp(**{"host": "127.0.0.1", "port": self.port, "sender": SENDER, **overrides})


def start(server_kwargs: dict[str, Any] | None = None) -> tuple[Controller, Server]:
    collector = Collector()
    state = Server(collector, free_port())

    def authenticator(server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        state.logins.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"desk", b"pw")
        # handled=False: aiosmtpd itself answers 535 to a refused login.
        return AuthResult(success=ok, handled=False)

    controller = Controller(collector, hostname="127.0.0.1", port=state.port,
                            authenticator=authenticator, **(server_kwargs or {}))
    controller.start()
    return controller, state


@pytest.fixture
def smtp_server() -> Iterator[Server]:
    controller, state = start({"auth_require_tls": False})
    try:
        yield state
    finally:
        controller.stop()


def briefed(lang_example: str = "12-wecom-sync-cn-l1-to-l2.json") -> Any:
    raw = json.loads((EXAMPLES / lang_example).read_text(encoding="utf-8"))
    return brief_ticket(ticket_from_mapping(raw), Policy(), NOW).brief


def channel(**overrides: Any) -> Channel:
    values: dict[str, Any] = {
        "name": "leads-mail", "kind": ChannelKind.EMAIL, "events": frozenset(Event),
        "to": ("lead@support.example", "duty@support.example"),
    }
    values.update(overrides)
    return Channel(**values)


def outgoing(event: Event = Event.OPENED, brief: Any = None, attempt: int = 1,
             **escalation: Any) -> Outgoing:
    summary = {
        "id": "ESC-3", "ticket_id": "ZD-48244", "status": "open", "severity": "high",
        "target": "l2", "owner": "alice", "customer": "上海云帆供应链管理有限公司",
        "customers_affected": 1, "summary": "企业微信通讯录同步失败,新员工无法登录",
        "revenue_at_risk": None, "next_internal_due": "2026-11-26T12:00:00+00:00",
        "next_customer_update_due": "2026-11-26T14:00:00+00:00",
        "link": "http://127.0.0.1:8000/escalations/ESC-3",
    }
    summary.update(escalation)
    return Outgoing(
        key="ESC-3:escalation.opened:1:leads-mail", event=event, channel=channel(),
        escalation=summary, details={}, due_at=NOW, attempt=attempt, brief=brief)


def parts(message: EmailMessage) -> dict[str, str]:
    found = {}
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        found[part.get_content_type()] = str(part.get_content())
    return found


def test_sends_multipart_text_and_html_with_subject_recipients_and_keys(
        smtp_server: Server) -> None:
    message = outgoing()
    EmailNotifier(smtp_server.smtp(), to=channel().to).send(message)

    [envelope] = smtp_server.collector.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["lead@support.example", "duty@support.example"]
    [mail] = smtp_server.collector.messages()
    title, body = message_text(message)
    assert mail["Subject"] == title
    assert mail["From"] == SENDER
    assert mail["To"] == "lead@support.example, duty@support.example"
    assert mail["X-Escalation-Delivery"] == message.key
    assert mail["X-Escalation-Event"] == "escalation.opened"
    assert mail["Message-ID"] == message_id(message.key, "escalations.example")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    content = parts(mail)
    assert set(content) == {"text/plain", "text/html"}
    assert content["text/plain"].startswith(title + "\n\n")
    assert "Open ESC-3: http://127.0.0.1:8000/escalations/ESC-3" in content["text/plain"]
    assert " ".join(content["text/plain"].split()).find(body.split(".")[0]) > 0
    assert '<a href="http://127.0.0.1:8000/escalations/ESC-3">Open ESC-3</a>' in (
        content["text/html"])
    assert "企业微信通讯录同步失败" in content["text/html"]


def test_a_resend_carries_the_same_message_id_and_delivery_key(smtp_server: Server) -> None:
    notifier = EmailNotifier(smtp_server.smtp(), to=["lead@support.example"])
    notifier.send(outgoing(attempt=1))
    notifier.send(outgoing(attempt=2))
    first, second = smtp_server.collector.messages()
    assert first["Message-ID"] == second["Message-ID"]
    assert first["X-Escalation-Delivery"] == second["X-Escalation-Delivery"]
    notifier.send(replace(outgoing(), key="ESC-3:escalation.opened:2:leads-mail"))
    assert smtp_server.collector.messages()[2]["Message-ID"] != first["Message-ID"]


def test_the_brief_is_rendered_in_the_channels_language(smtp_server: Server) -> None:
    brief = briefed()
    EmailNotifier(smtp_server.smtp(), to=["lead@support.example"], lang="zh").send(
        outgoing(brief=brief))
    [mail] = smtp_server.collector.messages()
    content = parts(mail)
    chinese_text = render_brief(brief, "text", "zh").rstrip()
    assert chinese_text in content["text/plain"]
    assert render_brief(brief, "text", "en").rstrip() not in content["text/plain"]
    assert '<html lang="zh-Hans">' in content["text/html"]
    assert translate("Escalation brief", "zh") != "Escalation brief"
    assert translate("Escalation brief", "zh") in content["text/html"]
    # The notice sits inside the brief's page, before the brief itself.
    assert content["text/html"].index(mail["Subject"].split(":")[0]) < (
        content["text/html"].index("<main>"))


def test_the_brief_in_english_by_default(smtp_server: Server) -> None:
    brief = briefed("01-checkout-500-engineering.json")
    notifier = notifier_for(channel(), smtp_server.smtp(), {})
    notifier.send(outgoing(brief=brief))
    [mail] = smtp_server.collector.messages()
    content = parts(mail)
    assert render_brief(brief, "text", "en").rstrip() in content["text/plain"]
    assert '<html lang="en">' in content["text/html"]


def test_owner_only_channels_add_the_owners_address(smtp_server: Server) -> None:
    owners = channel(to=("lead@support.example",), owner_only=True)
    notifier_for(owners, smtp_server.smtp(), {}).send(
        outgoing(owner_email="Alice@support.example"))
    [envelope] = smtp_server.collector.envelopes
    assert envelope.rcpt_tos == ["lead@support.example", "Alice@support.example"]


def test_no_recipient_at_all_is_not_retryable(smtp_server: Server) -> None:
    notifier = notifier_for(channel(to=(), owner_only=True), smtp_server.smtp(), {})
    with pytest.raises(DeliveryFailed) as failed:
        notifier.send(outgoing())
    assert not failed.value.retryable
    assert "no recipients" in str(failed.value)
    assert smtp_server.collector.envelopes == []


def test_a_temporary_refusal_451_is_retryable(smtp_server: Server) -> None:
    smtp_server.collector.data_answer = "451 4.3.0 Mail server temporarily rejected message"
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(smtp_server.smtp(), to=["lead@support.example"]).send(outgoing())
    assert failed.value.retryable
    assert "451" in str(failed.value)


def test_a_permanent_refusal_550_is_not_retryable(smtp_server: Server) -> None:
    smtp_server.collector.data_answer = "550 5.7.1 Message rejected as spam"
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(smtp_server.smtp(), to=["lead@support.example"]).send(outgoing())
    assert not failed.value.retryable
    assert "550 5.7.1 Message rejected as spam" in str(failed.value)


@pytest.mark.parametrize(("answer", "retryable"), [
    ("550 5.1.1 No such user", False),
    ("451 4.2.0 Greylisted, try again later", True),
])
def test_refused_recipients(smtp_server: Server, answer: str, retryable: bool) -> None:
    smtp_server.collector.refuse_rcpt = {"lead@support.example": answer}
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(smtp_server.smtp(), to=["lead@support.example"]).send(outgoing())
    assert failed.value.retryable is retryable
    assert "lead@support.example" in str(failed.value)
    assert answer.split(maxsplit=1)[0] in str(failed.value)


def test_a_partly_refused_message_says_who_has_it(smtp_server: Server) -> None:
    smtp_server.collector.refuse_rcpt = {"gone@support.example": "550 5.1.1 No such user"}
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(smtp_server.smtp(),
                      to=["lead@support.example", "gone@support.example"]).send(outgoing())
    # A retry would send it twice to the one who has it.
    assert not failed.value.retryable
    assert "accepted the message for lead@support.example" in str(failed.value)
    assert "gone@support.example (550" in str(failed.value)
    assert len(smtp_server.collector.envelopes) == 1


def test_connection_refused_is_retryable() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(Smtp(host="127.0.0.1", port=free_port()), to=["a@b.example"],
                      timeout=2.0).send(outgoing())
    assert failed.value.retryable
    assert "could not reach SMTP server 127.0.0.1" in str(failed.value)


def test_login_with_credentials_from_the_environment(smtp_server: Server) -> None:
    smtp = smtp_server.smtp(username_env="DESK_SMTP_USER", password_env="DESK_SMTP_PASSWORD")
    env = {"DESK_SMTP_USER": "desk", "DESK_SMTP_PASSWORD": "pw"}
    notifier_for(channel(), smtp, env).send(outgoing())
    assert smtp_server.logins == [(b"desk", b"pw")]
    assert len(smtp_server.collector.envelopes) == 1

    with pytest.raises(DeliveryFailed) as failed:
        notifier_for(channel(), smtp, {**env, "DESK_SMTP_PASSWORD": "wrong"}).send(outgoing())
    assert not failed.value.retryable
    assert "535" in str(failed.value)
    assert "smtp.password_env" in str(failed.value)
    assert len(smtp_server.collector.envelopes) == 1


def test_missing_credential_variables_are_clear_errors() -> None:
    smtp = Smtp(username_env="DESK_SMTP_USER", password_env="DESK_SMTP_PASSWORD")
    with pytest.raises(NotifierConfigError, match="DESK_SMTP_PASSWORD"):
        notifier_for(channel(), smtp, {"DESK_SMTP_USER": "desk"})
    with pytest.raises(NotifierConfigError, match="both"):
        notifier_for(channel(), Smtp(username_env="DESK_SMTP_USER"), {"DESK_SMTP_USER": "x"})
    with pytest.raises(NotifierConfigError, match="`to`"):
        notifier_for(channel(to=()), Smtp(), {})
    with pytest.raises(NotifierConfigError, match="'fr'"):
        notifier_for(channel(lang="fr"), Smtp(), {})


def test_starttls_required_but_not_offered_is_not_retryable(smtp_server: Server) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        EmailNotifier(smtp_server.smtp(starttls=True), to=["a@b.example"]).send(outgoing())
    assert not failed.value.retryable
    assert "does not offer STARTTLS" in str(failed.value)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


def test_starttls_then_login_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    # AUTH only after STARTTLS, as real submission servers require.
    controller, state = start({"tls_context": server_tls, "require_starttls": True})
    try:
        smtp = state.smtp(starttls=True, username_env="U", password_env="P")
        trusting = ssl.create_default_context(cafile=str(cert))
        EmailNotifier(smtp, to=["a@b.example"], username="desk", password="pw",
                      tls_context=trusting).send(outgoing())
        assert state.logins == [(b"desk", b"pw")]
        assert len(state.collector.envelopes) == 1

        # The system's trust store does not know the self-signed certificate: refused.
        with pytest.raises(DeliveryFailed) as failed:
            EmailNotifier(smtp, to=["a@b.example"], username="desk", password="pw").send(
                outgoing())
        assert not failed.value.retryable
        assert "TLS failed" in str(failed.value)
        assert len(state.collector.envelopes) == 1
    finally:
        controller.stop()
