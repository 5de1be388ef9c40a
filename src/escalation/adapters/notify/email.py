"""E-mail over SMTP: the event as text and HTML, with the brief in the recipient's language.

One message per delivery, multipart/alternative (text/plain and text/html). The subject is the
shared title; the body is the shared paragraph, a link, and — when the worker attached one —
the escalation brief rendered in the channel's language. The Message-ID is derived from the
idempotency key, so a re-send is recognisable (and collapsed by clients that dedupe on it);
``X-Escalation-Delivery`` carries the key itself. SMTP 4xx answers and connection trouble are
worth retrying; 5xx answers are not.

A pattern alert (a group of similar tickets) lists the group's facts (customers, tickets,
signals, first and last seen) under the paragraph; without an escalation it threads by the
group (``References: <pattern.<id>@…>``) and has no link or brief.
"""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from escalation.adapters.notify import (
    DeliveryFailed,
    NotifierConfigError,
    Outgoing,
    message_text,
    pattern_facts,
)
from escalation.domain.notifications import Smtp
from escalation.render import LANGUAGES, render_brief

DEFAULT_TIMEOUT = 10.0  # seconds, for connecting and for each SMTP command

_BODY_TAG = re.compile(r"<body[^>]*>", re.IGNORECASE)
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")


class EmailNotifier:
    """Sends messages through one SMTP server to a channel's recipients."""

    def __init__(
        self,
        smtp: Smtp,
        *,
        to: Sequence[str] = (),
        lang: str = "en",
        owner_only: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime] | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if lang not in LANGUAGES:
            raise NotifierConfigError(
                f"e-mail language {lang!r} is not supported: use one of {', '.join(LANGUAGES)}")
        self.smtp = smtp
        self.to = tuple(to)
        self.lang = lang
        self.owner_only = owner_only
        self._username = username
        self._password = password
        self._timeout = timeout
        self._clock = clock or (lambda: datetime.now(UTC))
        # The system's trusted CAs and hostname checking unless a caller pins its own.
        self._tls_context = tls_context

    def recipients(self, outgoing: Outgoing) -> list[str]:
        """The channel's addresses, plus the owner's when the channel is for owners."""
        found: list[str] = list(self.to)
        owner_email = outgoing.escalation.get("owner_email")
        if self.owner_only and isinstance(owner_email, str) and owner_email.strip():
            found.append(owner_email.strip())
        unique: dict[str, str] = {}
        for address in found:
            unique.setdefault(address.lower(), address)
        return list(unique.values())

    def send(self, outgoing: Outgoing) -> None:
        """Hand `outgoing` to the SMTP server; raise `DeliveryFailed` unless it is accepted."""
        recipients = self.recipients(outgoing)
        if not recipients:
            about = outgoing.escalation.get("id") or (
                "the pattern" if outgoing.pattern is not None else "the escalation")
            raise DeliveryFailed(
                f"no recipients for {about}: the "
                "channel has no `to` and the owner has no e-mail address (people.email)",
                retryable=False)
        message = email_message(outgoing, self.smtp.sender, recipients, self.lang,
                                self._clock())
        server = f"SMTP server {self.smtp.host}:{self.smtp.port}"
        try:
            with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self._timeout) as client:
                client.ehlo()
                if self.smtp.starttls:
                    if not client.has_extn("starttls"):
                        raise DeliveryFailed(
                            f"{server} does not offer STARTTLS: set `starttls = false` or use "
                            "a server that supports it", retryable=False)
                    client.starttls(context=self._tls_context or ssl.create_default_context())
                    client.ehlo()
                if self._username is not None:
                    client.login(self._username, self._password or "")
                refused = client.send_message(message, self.smtp.sender, recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(
                f"{server} refused every recipient: {_refusals(exc.recipients)}",
                retryable=any(_temporary(code) for code in codes)) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"{server} refused the login ({_said(exc.smtp_code, exc.smtp_error)}): check "
                "the user and password in the variables named by smtp.username_env and "
                "smtp.password_env", retryable=_temporary(exc.smtp_code)) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(
                f"{server} answered {_said(exc.smtp_code, exc.smtp_error)}",
                retryable=_temporary(exc.smtp_code)) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryFailed(
                f"{server} does not support a command we need ({exc}); if it is AUTH, the "
                "server may offer it only after STARTTLS (`starttls = true`)",
                retryable=False) from exc
        except smtplib.SMTPException as exc:  # disconnected mid-conversation and the like
            raise DeliveryFailed(f"{server}: {exc or type(exc).__name__}") from exc
        except ssl.SSLError as exc:
            raise DeliveryFailed(
                f"{server}: TLS failed ({exc.reason or exc}); check the server's certificate",
                retryable=False) from exc
        except TimeoutError as exc:
            raise DeliveryFailed(f"{server} did not answer in time") from exc
        except OSError as exc:
            raise DeliveryFailed(f"could not reach {server}: {exc.strerror or exc}") from exc
        if refused:
            accepted = [r for r in recipients if r not in refused]
            # Some recipients have the message: a retry would send it to them twice.
            raise DeliveryFailed(
                f"{server} accepted the message for {', '.join(accepted)} but refused "
                f"{_refusals(refused)}", retryable=False)


def email_message(
    outgoing: Outgoing, sender: str, recipients: Sequence[str], lang: str, now: datetime
) -> EmailMessage:
    """The e-mail of `outgoing`: subject, headers, and text + HTML alternatives."""
    title, body = message_text(outgoing)
    esc = outgoing.escalation
    ident = str(esc.get("id") or "escalation")
    link = esc.get("link") if isinstance(esc.get("link"), str) else None
    domain = sender.rpartition("@")[2] or "escalation-desk.invalid"

    message = EmailMessage()
    message["Subject"] = title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(now.astimezone(UTC))
    message["Message-ID"] = message_id(outgoing.key, domain)
    # One thread per escalation (or per group of tickets without one) in mail clients that
    # group by References.
    if outgoing.pattern is not None and not esc.get("id"):
        group = str(outgoing.pattern.get("id") or "group")
        message["References"] = f"<pattern.{_NOT_ID.sub('-', group)}@{domain}>"
    else:
        message["References"] = f"<escalation.{_NOT_ID.sub('-', ident)}@{domain}>"
    message["X-Escalation-Delivery"] = outgoing.key
    message["X-Escalation-Event"] = outgoing.event.value
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies

    text = [title, "", textwrap.fill(body, width=78)]
    facts = pattern_facts(outgoing.pattern) if outgoing.pattern is not None else []
    if facts:
        text += [""] + [textwrap.fill(f"{label}: {value}", width=78, subsequent_indent="  ")
                        for label, value in facts]
    if link:
        text += ["", f"Open {ident}: {link}"]
    if outgoing.brief is not None:
        text += ["", "-" * 72, "", render_brief(outgoing.brief, "text", lang).rstrip()]
    message.set_content("\n".join(text) + "\n")
    message.add_alternative(_html(outgoing, title, body, link, lang, facts), subtype="html")
    return message


def message_id(key: str, domain: str) -> str:
    """The Message-ID of a delivery: the same idempotency key always gives the same id."""
    # 128 bits of the key's hash: unique enough, and short enough that the header stays on
    # one line (some parsers keep the folding whitespace of a folded Message-ID).
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<esc.{digest}@{domain}>"


def _html(outgoing: Outgoing, title: str, body: str, link: str | None, lang: str,
          facts: Sequence[tuple[str, str]] = ()) -> str:
    ident = str(outgoing.escalation.get("id") or "escalation")
    listed = ('<ul style="margin:.5rem 0 0;padding-left:1.25rem">' + "".join(
        f"<li><strong>{html.escape(label)}:</strong> {html.escape(value)}</li>"
        for label, value in facts) + "</ul>") if facts else ""
    button = (f'<p style="margin:.75rem 0 0"><a href="{html.escape(link)}">'
              f"Open {html.escape(ident)}</a></p>") if link else ""
    notice = (
        '<div lang="en" style="max-width:52rem;margin:1rem auto;padding:1rem 1.25rem;'
        "background:#fff;border:1px solid #d9dee7;border-left:4px solid #c4540a;"
        'border-radius:8px;font:15px/1.55 system-ui,sans-serif;color:#1d2330">'
        f'<h2 style="margin:0 0 .5rem;font-size:1.1rem">{html.escape(title)}</h2>'
        f'<p style="margin:0">{html.escape(body)}</p>{listed}{button}</div>'
    )
    if outgoing.brief is not None:
        page = render_brief(outgoing.brief, "html", lang)
        found = _BODY_TAG.search(page)
        if found:
            return page[: found.end()] + "\n" + notice + page[found.end():]
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"</head><body>\n{notice}\n</body></html>\n")


def _temporary(code: int) -> bool:
    # SMTP 4xx: try again later; 5xx: permanent. Anything else (e.g. -1, no reply) is a
    # connection problem, worth another try.
    return not 500 <= code < 600


def _said(code: int, said: bytes | str) -> str:
    text = said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said)
    return f"{code} {' '.join(text.split())}".strip()


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address} ({_said(code, said)})" for address, (code, said) in
                     refused.items())
