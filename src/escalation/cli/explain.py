"""`escalate explain`: what was read from a ticket's words, and what it changes."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from escalation.cli.common import (
    DataFormat,
    NowOption,
    SkipOption,
    app,
    current_policy,
    dump,
    now_from,
    read_tickets,
    user_errors,
)
from escalation.formats import Lang

# Labels of the text output, per language (the facts, phrases and reasons stay as written).
_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "read": "read from the words",
        "nothing": "no facts read from the words",
        "off": "derivation is turned off by the policy ([derive] enabled = false); "
               "shown for reference",
        "derived": "derived facts",
        "stated": "stated by the ticket (wins over the reading)",
        "set_aside": "read but set aside",
        "outcome": "outcome",
        "with": "with derived facts",
        "without": "without derived facts",
        "same": "the derived facts do not change the decision",
        "escalate": "ESCALATE to {target}, severity {severity}",
        "support": "handle in support",
        "also": "also notify {targets}",
        "languages": "languages",
        "reasons": "reasons",
    },
    "zh": {
        "read": "从工单文字中读出",
        "nothing": "未从工单文字中读出任何事实",
        "off": "策略已关闭推断（[derive] enabled = false），以下仅供参考",
        "derived": "推断出的事实",
        "stated": "工单自述的事实（优先于推断）",
        "set_aside": "读到但未采用",
        "outcome": "结论",
        "with": "采用推断事实",
        "without": "不采用推断事实",
        "same": "推断出的事实不改变结论",
        "escalate": "升级至 {target}，严重程度 {severity}",
        "support": "由支持团队处理",
        "also": "同时通知 {targets}",
        "languages": "语言",
        "reasons": "理由",
    },
}


@app.command("explain")
def explain_command(
    source: Annotated[str, typer.Argument(
        metavar="FILE|-", help="Ticket JSON (or a list), - for standard input.")],
    now: NowOption = None,
    fmt: Annotated[DataFormat, typer.Option("--format", help="text or json.")]
    = DataFormat.text,
    lang: Annotated[Lang, typer.Option("--lang", help="en or zh (labels of the text).")]
    = Lang.en,
    skip_invalid: SkipOption = False,
) -> None:
    """Show what was read from the ticket's words: each derived fact with all its evidence
    (field, phrase as written, lexicon entry), the facts the ticket stated itself that won over
    a reading, every phrase read but set aside and why (negated, hedged, a question, quoted …),
    and the decision, target and severity with and without the derived facts.

    A file holding a JSON list gives a JSON list with --format json.
    """
    from escalation.domain.explain import explanation_to_mapping  # noqa: PLC0415
    from escalation.services import batch_mode, explain_ticket  # noqa: PLC0415

    with user_errors(), batch_mode():
        policy = current_policy()
        moment = now_from(now)
        tickets, as_list = read_tickets(source, skip_invalid)
        explanations = [explain_ticket(t, policy, moment) for t in tickets]
        mapped = [explanation_to_mapping(e) for e in explanations]
    if fmt is DataFormat.json:
        sys.stdout.write(dump(mapped if as_list else mapped[0], as_list) + "\n")
        return
    if lang is Lang.en:
        typer.echo("\n\n".join(explanation_text(m) for m in mapped))
        return
    from escalation.render.values import render_reason  # noqa: PLC0415 - loads the catalogs

    typer.echo("\n\n".join(
        explanation_text(m, lang.value, [(render_reason(r, lang.value), r.code)
                                         for r in e.with_derived.reasons])
        for m, e in zip(mapped, explanations, strict=True)))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "-"
    return str(value)


def _evidence(e: dict[str, Any]) -> str:
    return f'{e["field"]}: "{e["phrase"]}"  [{e["source"]}]'


def _outcome(o: dict[str, Any], labels: dict[str, str]) -> str:
    if o["decision"] == "handle_in_support":
        head = labels["support"]
    else:
        head = labels["escalate"].format(target=o["target"], severity=o["severity"])
        if o["also_notify"]:
            head += "; " + labels["also"].format(targets=", ".join(o["also_notify"]))
    return head


def explanation_text(m: dict[str, Any], lang: str = "en",
                     reasons: list[tuple[str, str]] | None = None) -> str:
    """The explanation (`explanation_to_mapping`) as text for a person; `reasons` are the
    reasons with derived facts as (text, code) in `lang` (default: the mapping's English)."""
    labels = _LABELS.get(lang, _LABELS["en"])
    derived, stated, aside = m["derived"], m["stated"], m["set_aside"]
    if derived:
        head = f"{m['ticket_id']}: {labels['read']}: {len(derived)}"
    else:
        head = f"{m['ticket_id']}: {labels['nothing']}"
    if m["languages"]:
        head += f" ({labels['languages']}: {', '.join(m['languages'])})"
    lines = [head]
    if not m["derive_enabled"]:
        lines.append(f"  ! {labels['off']}")
    if derived:
        lines.append(f"  {labels['derived']}:")
        for fact in derived:
            lines.append(f"    {fact['fact']} = {_value(fact['value'])}")
            lines += [f"      {_evidence(e)}" for e in fact["evidence"]]
    if stated:
        lines.append(f"  {labels['stated']}:")
        for fact in stated:
            lines.append(f"    {fact['fact']} = {_value(fact['value'])}")
            lines += [f"      {_evidence(e)}" for e in fact["evidence"]]
    if aside:
        lines.append(f"  {labels['set_aside']}:")
        for mention in aside:
            lines.append(f"    {mention['fact']} — {mention['why']}")
            lines.append(f"      {_evidence(mention['evidence'])}")
    lines.append(f"  {labels['outcome']}:")
    width = max(len(labels["with"]), len(labels["without"])) + 1
    lines.append(f"    {(labels['with'] + ':').ljust(width)} "
                 f"{_outcome(m['with_derived'], labels)}")
    lines.append(f"    {(labels['without'] + ':').ljust(width)} "
                 f"{_outcome(m['without_derived'], labels)}")
    if not m["changed"]:
        lines.append(f"    ({labels['same']})")
    if reasons is None:
        reasons = [(r["text"], r["code"]) for r in m["with_derived"]["reasons"]]
    if reasons:
        lines.append(f"  {labels['reasons']}:")
        lines += [f"    - {text}  [{code}]" for text, code in reasons]
    return "\n".join(lines)
