"""Lint an escalation brief the way a demanding receiving team reads it: stable codes and fixes.

Every finding names a stable dotted `code`, a `level`, the ticket or brief `field` to fix, a
one-line `message` that quotes the offending text where there is one, and a `hint` saying
exactly what to write. The checks follow the seed's "Structured Escalation Format", its
"Writing Reproduction Steps" (seven practices), "Using This Skill" and each tier's "What to
include". A brief built by `build_brief` is read through its values (`Said` versus `Needed`);
the ticket, when given, only adds detail the brief does not carry (start state, frequency,
evidence, what was ruled out, and the fields `missing_for` reports).

| code                         | level   | what it checks / hint
|------------------------------|---------|--------------------------------------------------------
| severity.missing             | error   | Severity is [needed].
|                              |         | hint: Pick Critical / High / Medium by the seed's rules.
| target.missing               | error   | Target is [needed].
|                              |         | hint: Name the team: Engineering, Product, Security...
| summary.vague                | warning | One-line summary missing, under 4 words, or generic.
|                              |         | hint: Say what fails, where and for whom.
| impact.not_quantified        | error   | No number for customers affected nor revenue at risk.
|                              |         | hint: Give the customer count and the ARR at risk.
| impact.partly_quantified     | warning | Customers affected or revenue at risk lacks a number.
|                              |         | hint: Give the missing number.
| impact.sla_status            | info    | SLA status is [needed].
|                              |         | hint: Within SLA / At risk / Breached, with hours used.
| description.missing          | error   | Issue description is [needed].
|                              |         | hint: 3-5 sentences: what, since when, how, scope.
| description.length           | warning | Description is not 3-5 sentences.
|                              |         | hint: Rewrite it as 3-5 sentences.
| repro.missing                | error   | Bug (or Engineering) brief without repro steps.
|                              |         | hint: Numbered steps from a clean start state.
| repro.start_state            | warning | No clean start state (account, configuration, perms).
|                              |         | hint: Describe the starting point (start_state).
| repro.vague_step             | warning | A step is vague: "try to export", "etc", < 3 words.
|                              |         | hint: Name the action and the control.
| repro.exact_values           | warning | No exact value in steps/Expected/Actual; "some data".
|                              |         | hint: Use exact inputs, dates, IDs, URLs, paths.
| repro.environment            | error   | Environment is [needed].
|                              |         | hint: Browser, OS, account type, flags, plan level.
| repro.expected_actual        | warning | Expected or Actual is [needed] (one finding each).
|                              |         | hint: Write what should happen and what happens.
| repro.frequency              | warning | No frequency (always, intermittent, only when ...).
|                              |         | hint: Say how often it reproduces.
| repro.evidence               | warning | No logs, exact error text or screenshots.
|                              |         | hint: Attach screenshots, error text, logs, console.
| repro.ruled_out              | info    | Nothing ruled out.
|                              |         | hint: Say what was ruled out (browsers, accounts).
| tried.none                   | warning | WHAT'S BEEN TRIED is empty.
|                              |         | hint: List each action and its result.
| tried.no_result              | info    | An attempt has no result.
|                              |         | hint: Add what happened: "action -> result".
| communication.missing        | warning | Last customer update is [needed].
|                              |         | hint: Date and what was said.
| communication.expectation    | info    | Customer expectation is [needed].
|                              |         | hint: What the customer expects, and by when.
| ask.unclear                  | error   | No ask says investigate / fix / decide / approve.
|                              |         | hint: State one explicit ask.
| leadership.decision_missing  | error   | Leadership brief without a decide / approve ask.
|                              |         | hint: Name the specific decision or action.
| security.containment_missing | error   | Security brief without containment taken.
|                              |         | hint: Write the containment steps taken.
| deadline.missing             | error   | Deadline is [needed] or empty.
|                              |         | hint: A date and time.
| deadline.vague               | warning | Deadline names no date or time ("ASAP", "soon").
|                              |         | hint: A date and time.
| target.missing_field         | error   | Something the target needs ("What to include").
|                              |         | hint: Fill that field in the ticket.

`target.missing_field` is reported once per field and never for a field that a more specific
code already reported. `ask.unclear` is left out when `leadership.decision_missing` fires.
Findings are sorted by level (error, warning, info), then field, code and message.
Message and hint templates are marked with `N_` so the renderers can translate them later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from escalation.domain.assess import missing_for
from escalation.domain.brief import (
    Attempt,
    Brief,
    Line,
    Moment,
    Money,
    Needed,
    Number,
    Phrase,
    ReproductionSection,
    Said,
    Term,
    Value,
)
from escalation.domain.model import N_, Target, Ticket


class LintLevel(StrEnum):
    """How much a finding matters to the receiving team."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_LEVEL_ORDER = {LintLevel.ERROR: 0, LintLevel.WARNING: 1, LintLevel.INFO: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a receiving team would send back, and how to fix it."""

    code: str
    level: LintLevel
    field: str
    message: str
    hint: str


_ERR, _WARN, _INFO = LintLevel.ERROR, LintLevel.WARNING, LintLevel.INFO

# Every code and its level; the module docstring's table documents the same set.
CODES: Mapping[str, LintLevel] = {
    "severity.missing": _ERR,
    "target.missing": _ERR,
    "summary.vague": _WARN,
    "impact.not_quantified": _ERR,
    "impact.partly_quantified": _WARN,
    "impact.sla_status": _INFO,
    "description.missing": _ERR,
    "description.length": _WARN,
    "repro.missing": _ERR,
    "repro.start_state": _WARN,
    "repro.vague_step": _WARN,
    "repro.exact_values": _WARN,
    "repro.environment": _ERR,
    "repro.expected_actual": _WARN,
    "repro.frequency": _WARN,
    "repro.evidence": _WARN,
    "repro.ruled_out": _INFO,
    "tried.none": _WARN,
    "tried.no_result": _INFO,
    "communication.missing": _WARN,
    "communication.expectation": _INFO,
    "ask.unclear": _ERR,
    "leadership.decision_missing": _ERR,
    "security.containment_missing": _ERR,
    "deadline.missing": _ERR,
    "deadline.vague": _WARN,
    "target.missing_field": _ERR,
}


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (the CLI exits 1 then)."""
    return any(f.level is LintLevel.ERROR for f in findings)


def lint_brief(brief: Brief, ticket: Ticket | None = None) -> tuple[Finding, ...]:
    """Every finding on `brief`, sorted by level, then field; `ticket` adds detail when given."""
    linter = _Linter(brief, ticket)
    linter.run()
    return tuple(sorted(
        linter.findings,
        key=lambda f: (_LEVEL_ORDER[f.level], f.field, f.code, f.message),
    ))


# -- reading values ------------------------------------------------------------------------


def _plain(value: Value | None) -> str | None:
    """The English text of a value; None for a `[needed]` marker."""
    if value is None or isinstance(value, Needed):
        return None
    if isinstance(value, Said):
        return value.text
    if isinstance(value, Phrase):
        params = {key: _plain(param) or "" for key, param in value.params.items()}
        try:
            return value.template.format_map(params)
        except (KeyError, IndexError, ValueError, AttributeError):
            return value.template
    if isinstance(value, Number):
        return f"{value.value:g}"
    if isinstance(value, Money):
        return f"{value.amount:,.2f} {value.currency}"
    if isinstance(value, Moment):
        return value.at.isoformat()
    if isinstance(value, Term):
        return value.value
    return None


def _needed_in(value: Value | None) -> Needed | None:
    """The first `[needed]` marker inside a value, if any."""
    if isinstance(value, Needed):
        return value
    if isinstance(value, Phrase):
        for param in value.params.values():
            found = _needed_in(param)
            if found is not None:
                return found
    return None


def _has_kind(value: Value | None, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, kinds):
        return True
    if isinstance(value, Phrase):
        return any(_has_kind(param, kinds) for param in value.params.values())
    return False


def _quote(text: str, limit: int = 80) -> str:
    one_line = " ".join(text.split())
    if len(one_line) > limit:
        one_line = one_line[: limit - 1].rstrip() + "…"
    return f'"{one_line}"'


# -- text heuristics -----------------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(_CJK.sub(" ", text))]


def _word_count(text: str) -> int:
    """Words in mixed text; a run of CJK characters counts one word per two characters."""
    cjk = len(_CJK.findall(text))
    return len(_tokens(text)) + (cjk + 1) // 2


_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens"
)
_HAS_NUMBER = re.compile(
    rf"\d|\b(?:{_NUMBER_WORDS})\b|[一二两三四五六七八九十百千万亿]+\s*[个家位名万千百元]",
    re.IGNORECASE,
)

_QUOTED = re.compile(
    r"\"[^\"]+\"|“[^”]+”|‘[^’]+’|「[^」]+」|『[^』]+』|`[^`]+`|(?<!\w)'[^']+'(?!\w)"
)

_VALUE = re.compile(
    r"\d"
    r"|\w+://"
    r"|(?<![\w.])/[\w.-]+"
    r"|\b[\w-]+\.(?:csv|json|xml|pdf|png|jpe?g|gif|txt|log|har|xlsx?|zip|html?)\b"
    r"|[\w.+-]+@[\w-]+\.[\w.]+",
    re.IGNORECASE,
)


def _has_value(text: str) -> bool:
    """Whether `text` holds a concrete value: a number, quoted text, ID, date, URL or path."""
    return bool(_VALUE.search(text) or _QUOTED.search(text))

_PLACEHOLDER = re.compile(
    r"\bsome\s+(?:data|values?|text|input|inputs|numbers?|info|information|fields?|records?|"
    r"details|dates?|ids?|files?)\b|\bsomething\b|\ba\s+few\b|\ba\s+couple\b|\brandom\s+\w+"
    r"|\bany\s+(?:value|data|text)\b|\bdummy\b|一些数据|某些|随便输入|几个",
    re.IGNORECASE,
)

_ALWAYS_VAGUE = re.compile(
    r"\bstuff\b|\bthings?\b|\betc\b\.?|\band\s+so\s+on\b|\bwhatever\b|\bsomehow\b"
    r"|\bthe\s+usual\b|\bas\s+usual\b|\.\.\.|…|等等|之类|随便|一些操作",
    re.IGNORECASE,
)
_WEAK_VAGUE = re.compile(r"\btry(?:ing)?\s+to\b|\battempt(?:ing)?\s+to\b|尝试|试着|试一下",
                         re.IGNORECASE)

_ACTION_VERB = re.compile(
    r"\b(?:click|double-click|right-click|tap|press|select|choose|open|close|enter|type|fill|"
    r"paste|navigate|go|visit|browse|log|login|logout|sign|upload|download|submit|send|save|"
    r"export|import|create|add|delete|remove|edit|update|rename|drag|drop|scroll|hover|toggle|"
    r"enable|disable|check|uncheck|set|change|run|call|invoke|execute|request|post|get|put|"
    r"refresh|reload|switch|expand|collapse|filter|sort|search|schedule|share|invite|connect|"
    r"install|configure|apply|copy|move|attach|print|preview|wait|restart|authenticate|"
    r"generate|sync|trigger|reply|assign|load|start|stop|resize|zoom|pick|mark|archive|"
    r"restore|duplicate|publish|invoke|query|curl)(?:s|es|ed|d|ing)?\b"
    r"|点击|单击|双击|打开|输入|选择|进入|登录|登入|上传|下载|提交|保存|导出|导入|创建|删除|"
    r"编辑|切换|填写|勾选|运行|执行|刷新|拖动|搜索|访问|发送|设置",
    re.IGNORECASE,
)
_UI_ELEMENT = re.compile(
    r"\b(?:button|link|tab|menu|page|field|dialog|modal|drop-?down|checkbox|toggle|icon|form|"
    r"screen|panel|sidebar|toolbar|header|footer|column|row|table|widget|card|banner|pop-?up|"
    r"endpoint|api|url|input|textbox|option|section|window|view|dashboard|settings)s?\b"
    r"|按钮|链接|页面|菜单|标签|对话框|弹窗|输入框|下拉|复选框|图标|表单|面板|仪表盘|设置",
    re.IGNORECASE,
)

_START_STATE = re.compile(
    r"\b(?:log(?:ged)?\s+in\s+as|sign(?:ed)?\s+in\s+as|as\s+an?\s+(?:admin|administrator|owner|"
    r"member|user|viewer|editor|guest)|(?:free|pro|enterprise|trial|team|business|starter)\s+"
    r"(?:plan|account|tier|workspace)|permissions?|role|fresh|new\s+(?:account|workspace|project|"
    r"user)|clean\s+(?:state|profile|browser|account|install))\b|以.+身份|权限|角色|套餐|新账户",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(
    r"\b(?:always|every\s+time|each\s+time|consistently|intermittent(?:ly)?|sometimes|"
    r"occasionally|randomly|rarely|only\s+(?:when|on|under|if|with|after)|reproducible|"
    r"reproduces|never)\b|\d+\s*(?:/|of|out\s+of|in)\s*\d+|\d+\s*%|每次|总是|偶尔|间歇|有时|必现",
    re.IGNORECASE,
)
_EVIDENCE = re.compile(
    r"\blogs?\b(?!\s+(?:in|on|out|into)\b)|\b(?:screenshots?|screen\s*recording|recording|video|console|har|trace|"
    r"stack\s*trace|traceback|exception|network|request\s+id|error\s+(?:text|message|code))\b"
    r"|\.(?:png|jpe?g|gif|log|har|txt|mp4|mov)\b|截图|日志|控制台|报错|错误信息",
    re.IGNORECASE,
)
_RULED_OUT = re.compile(
    r"\bruled\s+out\b|\bnot\s+(?:account|browser|user|workspace|device|network)[- ]specific\b"
    r"|\bnot\s+specific\s+to\b|\bsame\s+(?:behaviou?r|result|error)\b|\balso\s+(?:happens|"
    r"reproduc\w*|fails)\b|\breproduced\s+on\s+(?:a\s+)?test\s+account\b|\bexcluded\b"
    r"|已排除|排除了|同样|一致",
    re.IGNORECASE,
)

_INVESTIGATE = (
    r"investigat\w*|look(?:s|ed|ing)?\s+into|find\w*\s+(?:out\s+)?(?:the\s+)?root[- ]cause|"
    r"root[- ]cause|diagnos\w*|debug\w*|triag\w*|analy[sz]\w*|troubleshoot\w*|调查|排查|诊断"
)
_FIX = r"fix\w*|hotfix\w*|patch\w*|repair\w*|resolv\w*|restor\w*|修复|修正|解决"
_DECIDE = (
    r"decid\w*|decision\w*|choos\w*|chose\w*|pick\s+(?:between|one)|prioriti[sz]\w*|"
    r"决策|决定|选择|定夺"
)
_APPROVE = (
    r"approv\w*|sign(?:s|ed|ing)?[- ]off|sign-?off|authori[sz]\w*|greenlight\w*|"
    r"审批|批准|授权"
)
_ASK_VERB = re.compile(
    rf"(?<![A-Za-z])(?:{_INVESTIGATE}|{_FIX}|{_DECIDE}|{_APPROVE})", re.IGNORECASE
)
_DECISION_VERB = re.compile(rf"(?<![A-Za-z])(?:{_DECIDE}|{_APPROVE})", re.IGNORECASE)

_DATE_WORD = re.compile(
    r"\b(?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tue|wed|thu|fri|sat|sun|eod|eow|cob|noon|midnight|end\s+of\s+(?:day|week|month|"
    r"business)|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b|今天|明天|后天|周[一二三四五六日]|"
    r"星期|\d+\s*[月日号点]",
    re.IGNORECASE,
)

_GENERIC = frozenset({
    "issue", "issues", "problem", "problems", "help", "urgent", "asap", "broken", "bug", "bugs",
    "error", "errors", "please", "question", "request", "ticket", "stuff", "thing", "things",
    "support", "working", "work", "works", "critical", "important", "emergency",
})
_GENERIC_CJK = ("问题", "帮助", "紧急", "无法使用", "不能用", "故障", "求助", "急")
_STOPWORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that",
    "with", "for", "of", "on", "in", "to", "and", "or", "our", "my", "we", "i", "me", "us",
    "they", "their", "has", "have", "having", "not", "no", "doesn't", "isn't", "don't",
    "won't", "can't", "cannot", "can", "from", "at", "by", "as", "need", "needed", "needs",
    "customer", "customers", "some", "very", "again", "still", "re", "fw", "fwd",
})
_NOT_WORKING = re.compile(r"\bnot\s+working\b|\bdoesn[’']?t\s+work\b|\bdoes\s+not\s+work\b",
                          re.IGNORECASE)

# Sentence ends: ASCII terminators must be followed by space or the end (so decimals,
# versions, file names and domains do not split); CJK terminators end a sentence as they are.
# A URL never ends in the punctuation that ends its sentence.
_URL = re.compile(r"\b(?:\w+://|www\.)\S*[^\s.,;:!?)\]\"'”’」。！？]", re.IGNORECASE)
_ABBREVIATION = re.compile(
    r"\b(?:e\.g|i\.e|vs|cf|approx|incl|esp|mr|mrs|ms|dr|st|no|fig|ca|resp)\.", re.IGNORECASE
)
_ETC_MID = re.compile(r"\betc\.(?=\s*[,;:a-z\u3400-\u9fff])")
_TERMINATOR = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』)）]*")


def count_sentences(text: str) -> int:
    """Sentences in `text`, ignoring "e.g.", decimals, version numbers, URLs and file names."""
    cleaned = _URL.sub("URL", text)
    cleaned = _ABBREVIATION.sub("ABBR", cleaned)
    cleaned = _ETC_MID.sub("etc", cleaned)
    parts = _TERMINATOR.split(cleaned)
    return sum(1 for part in parts if re.search(r"[^\W_]", part))


# -- what each target needs (the seed's "What to include") ---------------------------------

_TARGET_NEEDS: Mapping[str, tuple[str, ...]] = {
    Target.L2.value: ("subject", "description", "steps_tried", "customer",
                      "facts.customers_affected"),
    Target.ENGINEERING.value: ("reproduction", "facts.customers_affected", "customer.arr",
                               "facts.blocked", "communications", "customer_expectation"),
    Target.PRODUCT.value: ("description", "facts.customers_affected", "customer.arr",
                           "facts.blocked"),
    Target.SECURITY.value: ("description", "facts.customers_affected", "facts.containment",
                            "severity"),
    Target.LEADERSHIP.value: ("description", "customer.arr", "steps_tried", "ask", "deadline"),
}
_TARGET_WHAT: Mapping[str, str] = {
    Target.L2.value: N_("ticket summary, steps already tried, customer context"),
    Target.ENGINEERING.value: N_("full reproduction steps, environment details, logs or error "
                                 "messages, business impact, customer timeline"),
    Target.PRODUCT.value: N_("customer use case, business impact, frequency of request, "
                             "competitive pressure (if known)"),
    Target.SECURITY.value: N_("what was observed, who/what is potentially affected, immediate "
                              "containment steps taken, urgency assessment"),
    Target.LEADERSHIP.value: N_("full business context, revenue at risk, what's been tried, "
                                "specific decision or action needed, deadline"),
}
_TARGET_NAMES: Mapping[str, str] = {
    "l2": "l2", "engineering": "engineering", "product": "product", "security": "security",
    "leadership": "leadership", "工程": "engineering", "工程团队": "engineering",
    "产品": "product", "产品团队": "product", "安全": "security", "安全团队": "security",
    "领导层": "leadership", "领导": "leadership",
}
# Ticket fields `missing_for` can name that have no `[needed]` marker in the brief.
_FIELD_WHAT: Mapping[str, str] = {
    "customer": N_("customer context: who the customer is (customer.id or customer.name)"),
}


def _covers(covered: Iterable[str], field: str) -> bool:
    return any(
        field == c or field.startswith((c + ".", c + "[")) for c in covered if c
    )


def _target_code(brief: Brief) -> str | None:
    if brief.target_name:
        return brief.target_name.lower()
    target = brief.target
    if isinstance(target, Term):
        return target.value.lower()
    if isinstance(target, Said):
        return _TARGET_NAMES.get(target.text.strip().lower())
    return None


# -- the linter ----------------------------------------------------------------------------


class _Linter:
    """Collects findings for one brief; each `_check_*` method owns its codes."""

    def __init__(self, brief: Brief, ticket: Ticket | None) -> None:
        self.brief = brief
        self.ticket = ticket
        self.target = _target_code(brief)
        self.findings: list[Finding] = []
        # Fields a specific code already reported, beyond the findings' own fields.
        self.covered: set[str] = set()

    def add(self, code: str, field: str, message: str, hint: str, /, **params: str) -> None:
        self.findings.append(Finding(
            code=code,
            level=CODES[code],
            field=field,
            message=" ".join(message.format(**params).split()),
            hint=hint.format(**params),
        ))

    def run(self) -> None:
        self._check_header()
        self._check_impact()
        self._check_description()
        self._check_reproduction()
        self._check_tried()
        self._check_communication()
        self._check_asks()
        self._check_deadline()
        self._check_target_needs()

    # -- ESCALATION / Severity / Target ----------------------------------------------------

    def _check_header(self) -> None:
        brief = self.brief
        if isinstance(brief.severity, Needed):
            self.add("severity.missing", brief.severity.field or "severity",
                     N_("Severity is missing: [needed: {what}]"),
                     N_("Write 'Severity: Critical', 'High' or 'Medium' by the seed's "
                        "definitions (Critical: production down, data at risk, security "
                        "breach, multiple high-value customers; High: major functionality "
                        "broken, key customer blocked, SLA at risk) and say what drove it."),
                     what=brief.severity.what)
        if isinstance(brief.target, Needed):
            self.add("target.missing", brief.target.field or "target",
                     N_("Target is missing: [needed: {what}]"),
                     N_("Write 'Target: Engineering', 'Product', 'Security' or 'Leadership' "
                        "(from L1, 'L2' first) — the team that must act."),
                     what=brief.target.what)
        self._check_summary()

    def _check_summary(self) -> None:
        summary = self.brief.summary
        hint = N_("Write one line naming what fails, where and for whom, e.g. 'CSV export "
                  "returns HTTP 500 for Enterprise workspaces since 24 Nov'.")
        field = "subject"
        if isinstance(summary, Needed) and summary.field:
            field = summary.field
        text = _plain(summary)
        if text is None or not text.strip():
            self.add("summary.vague", field,
                     N_("One-line summary is missing"), hint)
            return
        words = _word_count(text)
        if words < 4:
            self.add("summary.vague", field,
                     N_("Summary {quoted} has {count} words; a receiving team cannot triage "
                        "it"), hint, quoted=_quote(text), count=str(words))
            return
        tokens = _tokens(text)
        generic = [t for t in tokens if t in _GENERIC]
        generic.extend(term for term in _GENERIC_CJK if term in text)
        if _NOT_WORKING.search(text):
            generic.append("not working")
        if not generic:
            return
        cjk_left = text
        for term in _GENERIC_CJK:
            cjk_left = cjk_left.replace(term, "")
        specific = sum(1 for t in tokens if t not in _GENERIC and t not in _STOPWORDS)
        specific += len(_CJK.findall(cjk_left)) // 2
        if specific < 3:
            self.add("summary.vague", field,
                     N_("Summary {quoted} is generic ({generic}): it says there is a problem, "
                        "not what fails"),
                     hint, quoted=_quote(text), generic=", ".join(dict.fromkeys(generic)))

    # -- IMPACT ----------------------------------------------------------------------------

    def _impact_line(self, keys: tuple[str, ...], words: tuple[str, ...]) -> Line | None:
        for line in self.brief.impact:
            if line.key in keys:
                return line
        for line in self.brief.impact:
            label = line.label.lower()
            if any(word in label for word in words):
                return line
        return None

    def _check_impact(self) -> None:
        customers = self._impact_line(("customers_affected",), ("customer", "客户"))
        revenue = self._impact_line(("revenue_at_risk",), ("revenue", "arr", "收入"))
        sla = self._impact_line(("sla_status",), ("sla",))
        if sla is not None and isinstance(sla.value, Needed):
            self.add("impact.sla_status", sla.value.field or "impact.sla_status",
                     N_("SLA status is missing: [needed: {what}]"),
                     N_("Write 'SLA status: Within SLA', 'At risk' or 'Breached', with hours "
                        "used, e.g. 'At risk (20 of 24 h used)'; set customer.sla_hours (or "
                        "the plan) and created_at."),
                     what=sla.value.what)
        if customers is None and revenue is None:
            if not any(self._quantified(line.value) for line in self.brief.impact
                       if line is not sla):
                self.add("impact.not_quantified", "impact",
                         N_("Impact has no number: no customer count and no revenue at risk"),
                         _IMPACT_HINT)
                self.covered.update(("facts.customers_affected", "customer.arr"))
            return
        lacking = [
            (line, key, default)
            for line, key, default in (
                (customers, "customers_affected", "facts.customers_affected"),
                (revenue, "revenue_at_risk", "customer.arr"),
            )
            if line is None or not self._quantified(line.value)
        ]
        if len(lacking) == 2:
            self.add("impact.not_quantified", "impact",
                     N_("Impact is not quantified: customers affected {customers}, revenue at "
                        "risk {revenue}"),
                     _IMPACT_HINT,
                     customers=self._shown(customers), revenue=self._shown(revenue))
            self.covered.update(self._field_of(line, default) for line, _, default in lacking)
            self.covered.update(("facts.customers_affected", "customer.arr"))
            return
        for line, key, default in lacking:
            field = self._field_of(line, default)
            if key == "customers_affected":
                self.add("impact.partly_quantified", field,
                         N_("Customers affected has no number: {shown}"),
                         N_("Write the count and the names that matter, e.g. 'Customers "
                            "affected: 3 (Acme, Globex, Initech)'; set "
                            "facts.customers_affected."),
                         shown=self._shown(line))
            else:
                self.add("impact.partly_quantified", field,
                         N_("Revenue at risk has no number: {shown}"),
                         N_("Write the ARR at risk and pending deals, e.g. 'Revenue at risk: "
                            "$120,000 ARR, renewal due 15 Dec'; set customer.arr."),
                         shown=self._shown(line))

    @staticmethod
    def _quantified(value: Value) -> bool:
        if _has_kind(value, (Number, Money)):
            return True
        text = _plain(value)
        return bool(text) and _needed_in(value) is None and bool(_HAS_NUMBER.search(text or ""))

    @staticmethod
    def _field_of(line: Line | None, default: str) -> str:
        if line is not None:
            needed = _needed_in(line.value)
            if needed is not None and needed.field:
                return needed.field
        return default

    @staticmethod
    def _shown(line: Line | None) -> str:
        if line is None:
            return N_("(no line)")
        needed = _needed_in(line.value)
        if needed is not None:
            return f"[needed: {needed.what}]"
        return _quote(_plain(line.value) or "")

    # -- ISSUE DESCRIPTION -----------------------------------------------------------------

    def _check_description(self) -> None:
        description = self.brief.description
        if isinstance(description, Needed):
            self.add("description.missing", description.field or "description",
                     N_("Issue description is missing: [needed: {what}]"), _DESCRIPTION_HINT,
                     what=description.what)
            return
        text = _plain(description) or ""
        count = count_sentences(text)
        if not 3 <= count <= 5:
            self.add("description.length", "description",
                     N_("Description has {count} sentences, the format asks for 3-5: "
                        "{quoted}"),
                     _DESCRIPTION_HINT, count=str(count), quoted=_quote(text))

    # -- REPRODUCTION STEPS ----------------------------------------------------------------

    def _check_reproduction(self) -> None:
        repro = self.brief.reproduction
        if repro is None:
            if self.target == Target.ENGINEERING.value:
                self.add("repro.missing", "reproduction",
                         N_("An Engineering brief has no REPRODUCTION STEPS section"),
                         _REPRO_HINT)
            return
        steps = [(i, _plain(step)) for i, step in enumerate(repro.steps)]
        written = [(i, text) for i, text in steps if text and text.strip()]
        if not written:
            needed = next((s for s in repro.steps if isinstance(s, Needed)), None)
            self.add("repro.missing", needed.field if needed and needed.field
                     else "reproduction.steps",
                     N_("Bug brief without reproduction steps: {shown}"), _REPRO_HINT,
                     shown=f"[needed: {needed.what}]" if needed else N_("(no steps)"))
        else:
            self._check_steps(written)
        self._check_exact_values(repro, written)
        for key, value in (("expected", repro.expected), ("actual", repro.actual)):
            if isinstance(value, Needed) or not (_plain(value) or "").strip():
                field = value.field if isinstance(value, Needed) and value.field else (
                    f"reproduction.{key}")
                self.add("repro.expected_actual", field,
                         N_("{label} is missing from the reproduction steps"),
                         N_("Write 'Expected: …' (what should happen, e.g. 'a file "
                            "dashboard-2026-11.csv downloads') and 'Actual: …' (what happens, "
                            "with the exact error text, e.g. 'banner \"Export failed (code "
                            "EXP-500)\"')."),
                         label=N_("Expected") if key == "expected" else N_("Actual"))
        environment = repro.environment
        if isinstance(environment, Needed) or not (_plain(environment) or "").strip():
            self.add("repro.environment",
                     environment.field if isinstance(environment, Needed) and environment.field
                     else "reproduction.environment",
                     N_("Environment is missing from the reproduction steps"),
                     N_("Write the environment: browser, OS, account type, feature flags, plan "
                        "level, e.g. 'Chrome 131 on macOS 15.1, Enterprise plan, flag "
                        "new_exports on'."))
        self._check_practices(repro, written)

    def _check_steps(self, written: list[tuple[int, str]]) -> None:
        for i, text in written:
            reason: str | None = None
            always = _ALWAYS_VAGUE.search(text)
            concrete = bool(_UI_ELEMENT.search(text)) or _has_value(text)
            if always:
                reason = N_("says {word}").format(word=_quote(always.group(0)))
            elif _word_count(text) < 3:
                reason = N_("has fewer than 3 words")
            elif (weak := _WEAK_VAGUE.search(text)) and not concrete:
                reason = N_("says {word} without naming the control").format(
                    word=_quote(weak.group(0)))
            elif not (_ACTION_VERB.search(text) or concrete):
                reason = N_("names no action and no UI element")
            if reason is not None:
                self.add("repro.vague_step", f"reproduction.steps[{i}]",
                         N_("Step {n} {quoted} {reason}"),
                         N_("Name the exact action and the control: 'Click the Export button "
                            "in the top-right of the Dashboard page' not 'try to export'."),
                         n=str(i + 1), quoted=_quote(text), reason=reason)

    def _check_exact_values(self, repro: ReproductionSection,
                            written: list[tuple[int, str]]) -> None:
        if not written:
            return
        hint = N_("Use the exact inputs, dates and IDs, e.g. 'Set the date range to 2026-11-01 "
                  "– 2026-11-24 on workspace 8812', not 'enter some data'.")
        placeholders = False
        for i, text in written:
            match = _PLACEHOLDER.search(text)
            if match:
                placeholders = True
                self.add("repro.exact_values", f"reproduction.steps[{i}]",
                         N_("Step {n} {quoted} uses {word} instead of an exact value"), hint,
                         n=str(i + 1), quoted=_quote(text), word=_quote(match.group(0)))
        if placeholders:
            return
        texts = [text for _, text in written]
        texts.extend(t for t in (_plain(repro.expected), _plain(repro.actual)) if t)
        if not any(_has_value(t) for t in texts):
            self.add("repro.exact_values", "reproduction.steps",
                     N_("No step, Expected or Actual holds an exact value (number, quoted "
                        "text, ID, date, URL or path)"), hint)

    def _extra(self, repro: ReproductionSection, key: str) -> str | None:
        for line in repro.extra:
            if line.key == key:
                text = _plain(line.value)
                if text and text.strip():
                    return text
        return None

    def _check_practices(self, repro: ReproductionSection,
                         written: list[tuple[int, str]]) -> None:
        ticket_repro = self.ticket.reproduction if self.ticket is not None else None
        texts = [text for _, text in written]
        texts.extend(t for t in (_plain(repro.expected), _plain(repro.actual),
                                 _plain(repro.environment)) if t)
        texts.extend(t for t in (_plain(line.value) for line in repro.extra) if t)
        joined = "\n".join(texts)

        start_state = self._extra(repro, "start_state") or (
            ticket_repro.start_state if ticket_repro else None)
        first_step = written[0][1] if written else ""
        if not start_state and not _START_STATE.search(first_step):
            self.add("repro.start_state", "reproduction.start_state",
                     N_("No clean start state: account type, configuration and permissions "
                        "are not described"),
                     N_("Describe the starting point in reproduction.start_state, e.g. "
                        "'Enterprise plan workspace, Admin role, SSO on, feature flag "
                        "new_exports on'."))

        frequency = self._extra(repro, "frequency") or (
            ticket_repro.frequency if ticket_repro else None)
        if not frequency and not _FREQUENCY.search(joined):
            self.add("repro.frequency", "reproduction.frequency",
                     N_("Frequency is not stated: always, intermittent, or only under certain "
                        "conditions?"),
                     N_("Say how often it happens, e.g. 'Always (10 of 10 attempts)', "
                        "'Intermittent (about 1 in 5)' or 'Only when the range spans more "
                        "than 31 days'."))

        evidence_needed = next(
            (s for s in self.brief.supporting if isinstance(s, Needed)
             and s.field == "reproduction.evidence"), None)
        if evidence_needed is not None:
            has_evidence = False
        elif ticket_repro is not None and ticket_repro.evidence:
            has_evidence = True
        else:
            # Steps are left out: "Log in as …" is not a log. Exact error text quoted in
            # Actual is evidence too (the seed: "error messages (exact text)").
            actual = _plain(repro.actual) or ""
            found = [t for t in (_plain(s) for s in self.brief.supporting) if t]
            found.extend(t for t in (_plain(line.value) for line in repro.extra) if t)
            found.append(actual)
            has_evidence = bool(_EVIDENCE.search("\n".join(found)) or _QUOTED.search(actual))
        if not has_evidence:
            self.add("repro.evidence", "reproduction.evidence",
                     N_("No evidence: no logs, exact error text or screenshots"),
                     N_("Attach evidence in reproduction.evidence: screenshots, the exact "
                        "error text, network logs (HAR), console output, e.g. 'Console: "
                        "TypeError at exporter.js:212'."))
            self.covered.add("reproduction.evidence")

        ruled_out = self._extra(repro, "ruled_out") or (
            "; ".join(ticket_repro.ruled_out) if ticket_repro else None)
        description = _plain(self.brief.description) or ""
        if not ruled_out and not _RULED_OUT.search(joined + "\n" + description):
            self.add("repro.ruled_out", "reproduction.ruled_out",
                     N_("Nothing is ruled out (browsers, accounts, configurations)"),
                     N_("Say what you ruled out, e.g. 'Tested in Chrome and Firefox — same "
                        "behavior', 'Not account-specific — reproduced on test account'."))

    # -- WHAT'S BEEN TRIED -----------------------------------------------------------------

    def _check_tried(self) -> None:
        tried = self.brief.tried
        hint = N_("List each action support took and its result, e.g. 'Cleared cache and "
                  "retried in Firefox → same HTTP 500'.")
        if isinstance(tried, Needed) or not tried:
            field = tried.field if isinstance(tried, Needed) and tried.field else "steps_tried"
            self.add("tried.none", field, N_("Nothing tried is listed"), hint)
            return
        for i, attempt in enumerate(tried):
            self._check_attempt(i, attempt)

    def _check_attempt(self, i: int, attempt: Attempt) -> None:
        result = attempt.result
        if isinstance(result, Needed) or not (_plain(result) or "").strip():
            field = result.field if isinstance(result, Needed) and result.field else (
                f"steps_tried[{i}].result")
            action = _plain(attempt.action) or ""
            self.add("tried.no_result", field,
                     N_("Attempt {n} {quoted} has no result"),
                     N_("Add what happened: '{action} → <result>', e.g. '… → same error', "
                        "'… → worked for 10 minutes, then failed again'."),
                     n=str(i + 1), quoted=_quote(action), action=" ".join(action.split()))

    # -- CUSTOMER COMMUNICATION ------------------------------------------------------------

    def _check_communication(self) -> None:
        lines = {line.key: line for line in self.brief.communication}
        last = lines.get("last_update")
        if last is None or isinstance(last.value, Needed):
            field = last.value.field if last is not None and isinstance(
                last.value, Needed) and last.value.field else "communications"
            self.add("communication.missing", field,
                     N_("Last customer update is missing"),
                     N_("Record the last update: date and what was said, e.g. '2026-11-25 "
                        "15:00 UTC — told them engineering is investigating; next update by "
                        "18:00'. Update the customer even when there is nothing new."))
        expectation = lines.get("customer_expectation")
        if expectation is None or isinstance(expectation.value, Needed):
            field = expectation.value.field if expectation is not None and isinstance(
                expectation.value, Needed) and expectation.value.field else (
                "customer_expectation")
            self.add("communication.expectation", field,
                     N_("Customer expectation is missing: what they expect, and by when"),
                     N_("Write what the customer expects and by when, e.g. 'A fix or "
                        "workaround before month-end close on 30 Nov'."))

    # -- WHAT'S NEEDED ---------------------------------------------------------------------

    def _check_asks(self) -> None:
        asks = [(ask, _plain(ask)) for ask in self.brief.asks]
        texts = [text for _, text in asks if text and text.strip()]
        needed = next((ask for ask, _ in asks if isinstance(ask, Needed)), None)
        field = needed.field if needed is not None and needed.field else "ask"
        shown = "; ".join(_quote(t) for t in texts) or (
            f"[needed: {needed.what}]" if needed else N_("(no ask)"))
        if self.target == Target.LEADERSHIP.value and not any(
                _DECISION_VERB.search(t) for t in texts):
            self.add("leadership.decision_missing", field,
                     N_("Leadership brief names no specific decision: {shown}"),
                     N_("Name the decision or action needed from leadership, e.g. 'Approve a "
                        "20% service credit for Acme' or 'Decide whether we offer a contract "
                        "extension'."),
                     shown=shown)
            return
        if not any(_ASK_VERB.search(t) for t in texts):
            self.add("ask.unclear", field,
                     N_("No explicit ask (investigate, fix, decide or approve): {shown}"),
                     N_("State one ask: 'Investigate: find the root cause of …', 'Fix: ship a "
                        "patch for …', 'Decide: …' or 'Approve: …' — these are different "
                        "asks."),
                     shown=shown)

    def _check_deadline(self) -> None:
        deadline = self.brief.deadline
        hint = N_("Set a date and time, e.g. 'Deadline: 2026-11-27 17:00 America/New_York "
                  "(before the customer's month-end close)' — urgency without a deadline is "
                  "ambiguous.")
        if isinstance(deadline, Needed):
            self.add("deadline.missing", deadline.field or "deadline",
                     N_("Deadline is missing: [needed: {what}]"), hint, what=deadline.what)
            return
        if _has_kind(deadline, (Moment,)):
            return
        text = _plain(deadline) or ""
        if not text.strip():
            self.add("deadline.missing", "deadline", N_("Deadline is empty"), hint)
        elif not (re.search(r"\d", text) or _DATE_WORD.search(text)):
            self.add("deadline.vague", "deadline",
                     N_("Deadline {quoted} names no date or time"), hint, quoted=_quote(text))

    # -- the target's "What to include" ----------------------------------------------------

    def _check_target_needs(self) -> None:
        target = self.target
        if target is None or target not in _TARGET_NEEDS:
            return
        if target == Target.SECURITY.value:
            line = self._impact_line(("containment",), ("containment", "遏制"))
            if line is None or _needed_in(line.value) is not None or not (
                    _plain(line.value) or "").strip():
                self.add("security.containment_missing", "facts.containment",
                         N_("Security brief does not say what containment was taken"),
                         N_("Write the immediate containment steps already taken, e.g. "
                            "'Revoked the leaked API key at 09:40 UTC; forced logout of all "
                            "sessions in workspace 8812' — or 'None yet' and why."))
        needs = _TARGET_NEEDS[target]
        covered = self.covered | {f.field for f in self.findings}
        reported: set[str] = set()
        wanted: list[tuple[str, str]] = [
            (n.field, n.what) for n in self.brief.needed if n.field
        ]
        if self.ticket is not None:
            # `missing_for` judges the ticket, and the brief may fill a gap itself (a derived
            # ask, a deadline from the severity); only needs the brief has no marker for count.
            wanted.extend((field, _FIELD_WHAT[field])
                          for field in missing_for(self.ticket, Target(target))
                          if field in _FIELD_WHAT)
        for field, what in wanted:
            if field in reported or not _covers(needs, field) or _covers(covered, field):
                continue
            reported.add(field)
            self.add("target.missing_field", field,
                     N_("{target} needs this and the brief lacks it: [needed: {what}]"),
                     N_("{target} needs: {needs} (the seed's \"What to include\"). Fill "
                        "{field} in the ticket."),
                     target=target.capitalize() if target != "l2" else "L2",
                     what=what, needs=_TARGET_WHAT[target], field=field)


_IMPACT_HINT = N_("Quantify the impact: 'Customers affected: 3 (Acme, Globex, Initech)' and "
                  "'Revenue at risk: $120,000 ARR'; set facts.customers_affected and "
                  "customer.arr — vague escalations get deprioritized.")
_DESCRIPTION_HINT = N_("Write 3-5 sentences: what is happening, when it started, how it "
                       "manifests, and the scope of impact.")
_REPRO_HINT = N_("Add numbered steps from a clean start state in reproduction.steps, e.g. "
                 "'1. Log in as an Admin on an Enterprise workspace 2. Click the Export button "
                 "in the top-right of the Dashboard page' — reproduction steps are the #1 thing "
                 "engineering needs.")
