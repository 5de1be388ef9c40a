"""Demo data for `escalate serve --demo`: a living escalation queue in an empty store.

`load_demo(store, policy, now)` plays six weeks of a SaaS support team's escalations through
the real use cases (`Desk.open`, `link`, `acknowledge`, `start`, `record_follow_up`,
`change_severity`, `de_escalate`, `resolve`, `tick`, `close`, `index_tickets`), each at a
back-dated moment and by a named person, in the order they happened. Nothing is written around
the desk: every action passes the desk's own rules and lands in the audit chain. What the
dashboard then shows at `now`:

- ended: six escalations resolved or de-escalated one week apart over the last six weeks
  (an export corruption and an offline-sync data loss fixed in code, a refund exception, an
  SSO loop and an API rate limit solved in support, a webhook bug worked around); four closed
  with the full checklist, two not yet (their checklists are not complete);
- active: a production outage whose customer update falls due in about 20 minutes, a possible
  data exposure with Security, a checkout bug reported by four customers (raised from High to
  Critical when the third one wrote in; the pattern index clusters them), a report regression
  whose internal follow-up is overdue, a feature gap three customers asked for with Product,
  a contract credit with Leadership, a Chinese WeCom sync case and a fresh Salesforce case
  with L2;
- tickets handled in support (how-tos, configuration), indexed for patterns only.

The tickets are `demo_tickets.json` beside this module: the ticket contract of SPEC.md, with
every timestamp (`created_at`, `deadline`, `communications[].at`) written relative to `now`
so the countdowns are live whenever the demo is loaded. A relative time is a sign and one or
more of weeks, days, hours and minutes in that order: `"-26h"` is 26 hours before `now`,
`"-41d4h10m"` 41 days, 4 hours and 10 minutes before, `"+18h"` 18 hours after; an absolute
ISO-8601 time is kept as it is. The scenario below uses the same notation.

The demo announces nothing: the desk runs with the policy's notification channels removed,
so six weeks of back-dated events never reach real Slack channels or mailboxes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from escalation.domain.cadence import plan_customer, plan_internal
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.model import (
    ChecklistItem,
    Customer,
    DeEscalationReason,
    FixKind,
    FollowupKind,
    Severity,
)
from escalation.domain.notifications import Notifications
from escalation.domain.policy import Policy
from escalation.services import Desk, calendar_for

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store

TICKETS_FILE = "demo_tickets.json"

_RELATIVE = re.compile(r"([+-])(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")
_TIME_FIELDS = ("created_at", "deadline")

# Who does what: two support agents, an L2 senior support engineer, the support lead, and the
# on-call people of the receiving teams.
MAYA = "maya.chen"  # support agent (Americas, EMEA)
LI = "li.wei"  # support agent (APAC, Chinese-speaking customers)
PRIYA = "priya.raman"  # L2 senior support
SAM = "sam.okafor"  # support team lead
ENG = "eng-oncall"
SEC = "sec-oncall"
PRODUCT = "product-triage"


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` created."""

    opened: tuple[str, ...]  # escalation ids created, oldest first
    active: int  # still open / acknowledged / in progress
    ended: int  # resolved / de-escalated / closed
    pattern_tickets: int  # tickets indexed for patterns


# -- relative times --------------------------------------------------------------------------


def offset(text: str) -> timedelta:
    """A relative time ("-26h", "-41d4h10m", "+18h") as a signed span."""
    match = _RELATIVE.fullmatch(text.strip())
    if match is None or not any(match.groups()[1:]):
        raise ValueError(f"{text!r} is not a relative time such as -26h, -3d4h or +30m")
    sign, weeks, days, hours, minutes = match.groups()
    span = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                     minutes=int(minutes or 0))
    return -span if sign == "-" else span


def resolve_time(value: Any, now: datetime) -> Any:
    """A relative time as an absolute ISO-8601 one; anything else unchanged."""
    if isinstance(value, str) and value.strip()[:1] in "+-":
        moment = now + offset(value)
        return moment.astimezone(UTC).replace(microsecond=0).isoformat()
    return value


def ticket_at(raw: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One demo ticket with its relative times made absolute."""
    ticket = dict(raw)
    for name in _TIME_FIELDS:
        if name in ticket:
            ticket[name] = resolve_time(ticket[name], now)
    if isinstance(ticket.get("communications"), list):
        ticket["communications"] = [
            {**c, "at": resolve_time(c.get("at"), now)} if isinstance(c, Mapping) else c
            for c in ticket["communications"]
        ]
    return ticket


def demo_tickets(now: datetime) -> dict[str, dict[str, Any]]:
    """The demo tickets (package data), by id, with times relative to `now` made absolute."""
    text = resources.files("escalation").joinpath(TICKETS_FILE).read_text(encoding="utf-8")
    return {raw["id"]: ticket_at(raw, now) for raw in json.loads(text)}


# -- the scenario --------------------------------------------------------------------------


class _Run:
    """The state of one demo load: the desks per person and the escalations opened so far."""

    def __init__(self, store: Store, policy: Policy, tickets: dict[str, dict[str, Any]]):
        self.store = store
        self.policy = policy
        self.tickets = tickets
        self.ids: dict[str, str] = {}  # opening ticket id -> escalation id
        self._desks: dict[str, Desk] = {}

    def desk(self, actor: str) -> Desk:
        if actor not in self._desks:
            self._desks[actor] = Desk(self.store, self.policy, actor)
        return self._desks[actor]


Act = Callable[[_Run, Desk, datetime], object]


@dataclass(frozen=True, slots=True)
class _Step:
    at: datetime
    actor: str
    act: Act


def _open(ticket: str) -> Act:
    def act(run: _Run, desk: Desk, at: datetime) -> None:
        escalation, _ = desk.open(run.tickets[ticket], at)
        run.ids[ticket] = escalation.id
    return act


def _link(escalated: str, ticket: str) -> Act:
    return lambda run, desk, at: desk.link(run.ids[escalated], run.tickets[ticket], at)


def _index(*tickets: str) -> Act:
    return lambda run, desk, at: desk.index_tickets(
        [ticket_from_mapping(run.tickets[t]) for t in tickets], at)


def _ack(escalated: str) -> Act:
    return lambda run, desk, at: desk.acknowledge(run.ids[escalated], at)


def _start(escalated: str, note: str) -> Act:
    return lambda run, desk, at: desk.start(run.ids[escalated], at, note)


def _internal(escalated: str, note: str) -> Act:
    return lambda run, desk, at: desk.record_follow_up(
        run.ids[escalated], FollowupKind.INTERNAL, note, at)


def _customer(escalated: str, note: str) -> Act:
    return lambda run, desk, at: desk.record_follow_up(
        run.ids[escalated], FollowupKind.CUSTOMER, note, at)


def _severity(escalated: str, severity: Severity, reason: str) -> Act:
    return lambda run, desk, at: desk.change_severity(run.ids[escalated], severity, reason, at)


def _de_escalate(escalated: str, reason: DeEscalationReason, note: str) -> Act:
    return lambda run, desk, at: desk.de_escalate(run.ids[escalated], reason, note, at)


def _resolve(escalated: str, resolution: str, learning: str, kind: FixKind) -> Act:
    return lambda run, desk, at: desk.resolve(run.ids[escalated], resolution, learning, at,
                                              kind)


def _tick(escalated: str, *items: ChecklistItem) -> Act:
    def act(run: _Run, desk: Desk, at: datetime) -> None:
        for item in items:
            desk.tick(run.ids[escalated], item, at)
    return act


def _close(escalated: str) -> Act:
    return lambda run, desk, at: desk.close(run.ids[escalated], at)


_ALL_ITEMS = tuple(ChecklistItem)


def _latest_start(due_of: Callable[[datetime], datetime], target: datetime,
                  earliest: datetime) -> datetime:
    """The latest moment in [earliest, target] whose clock falls due by `target` (a clock's
    due time never moves back when it starts later, so bisection finds it); `earliest` when
    even that is due later."""
    if due_of(earliest) > target:
        return earliest
    low, high = earliest, target
    while high - low > timedelta(seconds=30):
        middle = low + (high - low) / 2
        if due_of(middle) <= target:
            low = middle
        else:
            high = middle
    return low


def _customer_of(raw: Mapping[str, Any]) -> Customer:
    return ticket_from_mapping(raw).customer


def _script(now: datetime, policy: Policy,
            tickets: Mapping[str, Mapping[str, Any]]) -> list[_Step]:
    """Every demo action with its moment and person, oldest first."""

    def at(relative: str) -> datetime:
        return now + offset(relative)

    steps: list[tuple[datetime, str, Act]] = []

    def story(*entries: tuple[datetime | str, str, Act]) -> None:
        for when, actor, act in entries:
            steps.append((at(when) if isinstance(when, str) else when, actor, act))

    # The outage's customer update falls due in about 20 minutes (amber on the dashboard),
    # whatever the policy's cadence: its last update is placed to make it so.
    outage = "ZD-52291"
    outage_customer = _customer_of(tickets[outage])
    outage_calendar = calendar_for(outage_customer, policy)
    amber_update = _latest_start(
        lambda since: plan_customer(Severity.CRITICAL, policy, outage_calendar, since,
                                    outage_customer.update_hours).due_at,
        now + timedelta(minutes=20), at("-2h39m"))

    # The statements regression has had no internal follow-up since it was opened: overdue.
    stalled = "ZD-52260"
    stalled_calendar = calendar_for(_customer_of(tickets[stalled]), policy)
    stalled_open = min(at("-30h"), _latest_start(
        lambda since: plan_internal(Severity.HIGH, policy, stalled_calendar, since).overdue_at,
        now - timedelta(hours=3), at("-30d")))

    # -- six weeks ago: CSV export corruption, fixed in code, closed -----------------------
    e = "ZD-50112"
    story(
        ("-41d4h", MAYA, _open(e)),
        ("-41d3h40m", ENG, _ack(e)),
        ("-41d3h", ENG, _start(e, "Reproduced on ts-eu-02: the 2.38 CSV writer no longer "
                                  "quotes memo fields")),
        ("-41d2h50m", MAYA, _customer(e, "Confirmed the bug; asked Northwind to keep the "
                                         "nightly ERP import paused until the fix")),
        ("-41d1h", MAYA, _internal(e, "Fix in review (PR 8812); engineering is listing every "
                                      "export written by 2.38")),
        ("-40d22h", MAYA, _customer(e, "Fix in review; 11 affected exports identified, we "
                                       "will regenerate them")),
        ("-40d20h", MAYA, _internal(e, "Hotfix 2.38.2 on staging, verified with a 14,000-row "
                                       "export containing commas, quotes and newlines")),
        ("-40d2h", ENG, _resolve(
            e, "Hotfix 2.38.2 quotes every text field; regenerated the 11 affected nightly "
               "exports for Northwind, who re-imported them",
            "Text fields in CSV exports must always be quoted: the 2.38 writer rewrite dropped "
            "quoting for memo fields. Added a regression test with commas, quotes and newlines.",
            FixKind.CODE_FIX)),
        ("-40d1h", MAYA, _tick(e, *_ALL_ITEMS)),
        ("-39d", SAM, _close(e)),
    )

    # -- five weeks ago: refund exception, approved by leadership, closed ------------------
    e = "FD-30417"
    story(
        ("-34d2h", MAYA, _open(e)),
        ("-34d", SAM, _ack(e)),
        ("-33d20h", MAYA, _customer(e, "Told the studio manager the exception is with our "
                                       "support lead; answer within two business days")),
        ("-33d2h", SAM, _resolve(
            e, "Approved a one-time prorated refund of $2,100 for the 5 unused seats; seats "
               "removed from the subscription",
            "Mid-term seat reductions keep coming from small studios: offer seat credit at "
            "renewal first; refunds outside 30 days need a lead's approval with the tenure and "
            "ARR stated.",
            FixKind.OTHER)),
        ("-33d1h", MAYA, _tick(e, *_ALL_ITEMS)),
        ("-32d", SAM, _close(e)),
    )

    # -- four weeks ago: SSO loop, root cause found by support, closed ---------------------
    e = "ZD-50873"
    story(
        ("-26d5h", MAYA, _open(e)),
        ("-26d4h30m", PRIYA, _ack(e)),
        ("-26d4h", PRIYA, _start(e, "Reading the HAR file: the SAML response is signed with a "
                                    "certificate we do not have")),
        ("-26d2h", PRIYA, _de_escalate(
            e, DeEscalationReason.ROOT_CAUSE_SUPPORT,
            "Root cause: the district's Azure AD app still signed with the certificate it "
            "rotated out, so signature validation failed and the app restarted the login. "
            "Walked their IT admin through uploading the new certificate; teachers can sign "
            "in.")),
        ("-26d1h", MAYA, _tick(e, *_ALL_ITEMS)),
        ("-25d", SAM, _close(e)),
    )

    # -- three weeks ago: API 429s for a Chinese customer, workaround found; learning owed
    e = "ZD-51240"
    story(
        ("-20d5h", LI, _open(e)),
        ("-20d4h30m", PRIYA, _ack(e)),
        ("-20d4h", PRIYA, _start(e, "Pulling the rate-limit logs for the 20 request ids")),
        ("-20d3h", LI, _internal(e, "二线确认:整点后 10 分钟内的突发流量触发了每分钟 600 次的"
                                    "租户限流,限流策略本身没有变化")),
        ("-20d2h", LI, _customer(e, "已向客户说明限流原因,建议改用批量接口并加入退避重试")),
        ("-19d2h", PRIYA, _de_escalate(
            e, DeEscalationReason.WORKAROUND_FOUND,
            "客户改用批量接口 POST /v2/orders:batch(每次 100 单)并加入指数退避后,429 已消失;"
            "限流阈值与文档一致,无需改代码。")),
        ("-19d1h", LI, _tick(e, ChecklistItem.NOTIFY_TEAM, ChecklistItem.UPDATE_TICKET,
                             ChecklistItem.INFORM_CUSTOMER)),
    )

    # -- two weeks ago: webhook endpoint disabled, worked around; checklist half done ------
    e = "ZD-51602"
    story(
        ("-12d7h", MAYA, _open(e)),
        ("-12d6h30m", ENG, _ack(e)),
        ("-12d6h", ENG, _start(e, "The delivery service ignores the per-endpoint retry window "
                                  "since the queue migration")),
        ("-12d5h", MAYA, _customer(e, "Endpoint re-enabled; replay of the missed booking "
                                      "events is being prepared")),
        ("-12d2h", ENG, _resolve(
            e, "Replayed the 1,284 missed events from the delivery log and re-enabled the "
               "endpoint; the retry-window fix ships in 2.42 (ENG-5120)",
            "Endpoints disabled by the delivery service can be re-enabled and their missed "
            "events replayed from the delivery log; until 2.42 the retry window is not "
            "honoured.",
            FixKind.WORKAROUND)),
        ("-12d1h", MAYA, _tick(e, ChecklistItem.NOTIFY_TEAM, ChecklistItem.UPDATE_TICKET)),
    )

    # -- last week: offline sync data loss, fixed in code, closed --------------------------
    e = "ZD-52018"
    story(
        ("-6d2h", MAYA, _open(e)),
        ("-6d1h45m", ENG, _ack(e)),
        ("-6d1h30m", ENG, _start(e, "Conflict resolution in iPad app 5.12 prefers the server "
                                    "copy; the offline edits are still in the revision "
                                    "history")),
        ("-6d1h", MAYA, _customer(e, "Confirmed the notes can be restored; keep editing online "
                                     "until the fix")),
        ("-6d", MAYA, _internal(e, "5.12.1 in TestFlight; restore script tested on 20 notes")),
        ("-5d22h", MAYA, _customer(e, "Fix in app review; restore of the 312 notes scheduled "
                                      "tonight")),
        ("-5d2h", ENG, _resolve(
            e, "iPad app 5.12.1 keeps the newer edit and flags conflicts; restored the 312 "
               "overwritten notes from the server revision history",
            "Offline edits must win over an older server copy; conflict handling now has a "
            "test per sync path, and the revision history is how lost notes come back.",
            FixKind.CODE_FIX)),
        ("-5d1h", MAYA, _tick(e, *_ALL_ITEMS)),
        ("-4d", SAM, _close(e)),
    )

    # -- the queue today -------------------------------------------------------------------

    # Handled in support, indexed for patterns only.
    story(
        ("-4d2h", MAYA, _index("IC-88120")),
        ("-3d1h", MAYA, _index("FD-31094")),
        ("-2d5h", LI, _index("ZD-52225")),
    )

    # A feature gap with Product, asked for by three customers (one writing in Chinese).
    e = "JSM-4410"
    story(
        ("-5d", MAYA, _open(e)),
        ("-4d20h", PRODUCT, _ack(e)),
        ("-3d", MAYA, _link(e, "JSM-4433")),
        ("-2d", PRODUCT, _start(e, "PM reviewing delivery targets; SFTP asked for by several "
                                   "accounts this quarter")),
        ("-1d", LI, _link(e, "ZD-52240")),
        ("-20h", MAYA, _internal(e, "Product: SFTP delivery is on the Q1 shortlist; PM wants "
                                    "the ARR of every requesting account")),
        ("-5h", MAYA, _customer(e, "Told Fjord it is on the Q1 shortlist; decision after the "
                                   "planning review")),
    )

    # A contract credit beyond policy with Leadership.
    e = "FD-31120"
    story(
        ("-2d", MAYA, _open(e)),
        ("-1d23h", SAM, _ack(e)),
        ("-1d20h", SAM, _start(e, "Finance is modelling credit options; VP of Customer "
                                  "Success asked to join the call")),
        ("-6h", MAYA, _internal(e, "VP of CS agreed to the call; finance proposes a 25% credit "
                                   "plus a quarterly uptime review")),
        ("-4h", MAYA, _customer(e, "Told the COO a proposal and a call slot will follow by "
                                   "tomorrow")),
    )

    # The statements regression: acknowledged, customer told, nobody checked with engineering.
    e = stalled
    story(
        (stalled_open, MAYA, _open(e)),
        (stalled_open + timedelta(hours=1), ENG, _ack(e)),
        ("-2h", MAYA, _customer(e, "Told Pinecrest engineering has it; quarter-by-quarter "
                                   "export remains the stopgap")),
    )

    # The WeCom sync case (Chinese) with L2.
    e = "ZD-52301"
    story(
        ("-9h", LI, _open(e)),
        ("-8h30m", PRIYA, _ack(e)),
        ("-8h", PRIYA, _start(e, "已拿到客户的 corp_id 和同步日志,正在比对企业微信接口返回")),
        ("-6h", LI, _customer(e, "已告知客户二线正在排查,下次更新在 4 小时内")),
        ("-2h30m", LI, _customer(e, "错误 60011 指向应用可见范围缓存,已请企业微信侧刷新,"
                                    "预计今天给出结论")),
        ("-2h", LI, _internal(e, "二线在测试企业复现了 60011:可见范围变更后缓存未刷新")),
    )

    # Checkout 500s: one escalation, more customers linked, raised to Critical; a fourth
    # customer's ticket is only indexed (the pattern index clusters all four).
    e = "ZD-52270"
    story(
        ("-12h", MAYA, _open(e)),
        ("-11h30m", ENG, _ack(e)),
        ("-11h", ENG, _start(e, "Traced to the tokenization call added in release 2.41")),
        ("-10h", MAYA, _customer(e, "Engineering has reproduced it; new cards work as a "
                                    "stopgap")),
        ("-9h", MAYA, _link(e, "ZD-52279")),
        ("-6h", MAYA, _link(e, "ZD-52288")),
        ("-5h50m", SAM, _severity(e, Severity.CRITICAL,
                                  "Three customers now report the same saved-card failure; "
                                  "revenue loss across their stores")),
        ("-4h", MAYA, _internal(e, "Fix in review; rollback of 2.41 payments prepared as "
                                   "plan B")),
        ("-4h", MAYA, _customer(e, "Told all three customers a fix is in review")),
        ("-2h", MAYA, _index("ZD-52295")),
        ("-1h15m", MAYA, _customer(e, "Fix deploying region by region; next update within "
                                      "2 hours")),
        ("-1h", MAYA, _internal(e, "Fix live in us-east; canary error rate back to normal")),
    )

    # A possible data exposure with Security.
    e = "ZD-52177"
    story(
        ("-5h30m", MAYA, _open(e)),
        ("-5h15m", SEC, _ack(e)),
        ("-5h", SEC, _start(e, "Reviewing access logs of the four revoked links")),
        ("-3h", MAYA, _customer(e, "Told the compliance officer access logs are under review")),
        ("-1h5m", MAYA, _customer(e, "Shared the access summary: two unknown IPs opened one "
                                     "link; counts only, no names")),
        ("-50m", MAYA, _internal(e, "Security: links created before SSO enforcement were not "
                                    "revoked by it; legal informed")),
    )

    # The EU outage: in progress, its customer update about to fall due.
    e = outage
    story(
        ("-3h", MAYA, _open(e)),
        ("-2h52m", ENG, _ack(e)),
        ("-2h45m", ENG, _start(e, "Incident INC-7781 declared; EU load balancer health checks "
                                  "failing after the 07:35 UTC config push")),
        ("-2h40m", MAYA, _customer(e, "Confirmed an outage on our side; engineering is on it")),
        ("-2h", MAYA, _internal(e, "Load balancer config rolled back; about 60% of requests "
                                   "succeed, connection pools still exhausted")),
        (amber_update, MAYA, _customer(e, "Partial recovery: most pages load again; next "
                                          "update as soon as the pools are healthy")),
        ("-40m", MAYA, _internal(e, "Connection pool limit raised in eu-central-1; error rate "
                                    "down to 4%")),
    )

    # Just arrived with L2, not yet acknowledged.
    story(("-40m", MAYA, _open("ZD-52318")))

    ordered = sorted(enumerate(steps), key=lambda pair: (pair[1][0], pair[0]))
    return [_Step(when, actor, act) for _, (when, actor, act) in ordered]


# -- loading ----------------------------------------------------------------------------------


def load_demo(store: Store, policy: Policy, now: datetime) -> DemoSummary:
    """Fill an empty store with the demo (see the module docstring), as of `now`."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the demo needs a timezone-aware `now` (e.g. UTC)")
    with store.unit_of_work(read_only=True) as uow:
        existing = len(uow.list_escalations())
    if existing:
        raise ValueError(f"the store already holds {existing} escalations; --demo needs an "
                         "empty database")
    quiet = replace(policy, notifications=Notifications())
    tickets = demo_tickets(now)
    run = _Run(store, quiet, tickets)
    for step in _script(now, quiet, tickets):
        step.act(run, run.desk(step.actor), step.at)
    with store.unit_of_work(read_only=True) as uow:
        escalations = uow.list_escalations()
        indexed = uow.patterns.count()
    active = sum(1 for e in escalations if e.status.is_active)
    return DemoSummary(
        opened=tuple(run.ids.values()),  # in the order they were opened
        active=active,
        ended=len(escalations) - active,
        pattern_tickets=indexed,
    )

