"""`/postlive status ID`: the CLI's campaign report (bot.status) as Block Kit."""

from __future__ import annotations

from adapters.slack.blocks import Block, context, escape, header, paragraphs
from adapters.slack.team import SlackTeam
from bot.services import campaign_control


def status_blocks(team: SlackTeam, campaign_id: int) -> list[Block]:
    lang = team.language
    report = campaign_control.report(team.app.engine, campaign_id)
    c = report.campaign
    blocks: list[Block] = [
        header(f"Campaign #{c.id} · {c.show} · {c.status}"),
        context(f"`{c.flow_id}` · audience `{c.audience_tag}` · by {c.created_by or '?'}"),
    ]
    lines = ["*Conversations*"]
    for market, counts in sorted(report.states.items()):
        parts = " · ".join(f"{state} {lang.number(n)}" for state, n in sorted(counts.items()))
        lines.append(f"{lang.market(market)}: {parts}")
    if report.deliveries:
        lines.append("*Messages*")
        for market, counts in sorted(report.deliveries.items()):
            parts = " · ".join(f"{state} {lang.number(n)}" for state, n in sorted(counts.items()))
            lines.append(f"{lang.market(market)}: {parts}")
    notes = (report.skipped + report.failures).most_common(20)
    if notes:
        lines.append("*Skipped and failed*")
        lines.extend(f"• {lang.number(n)} {escape(reason)}" for reason, n in notes)
    blocks.extend(paragraphs(lines))
    return blocks[:50]
