"""The review queue: answers the analysis was unsure about wait for a human, who confirms
the machine's category or changes it. Until then the digest leaves them out of category
and theme figures and counts them as "awaiting review"."""

from __future__ import annotations

import json

from adapters.slack.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    header,
    option,
    quote,
    section,
    static_select,
)
from adapters.slack.labels import TeamLanguage
from adapters.slack.team import SlackTeam
from bot.digest import CATEGORIES
from bot.models import Answer
from bot.services import review as reviewing

CONFIRM = "review_confirm"
CHANGE = "review_category"
#: Answers per message: three blocks each keeps a queue message far under 50 blocks.
PAGE = 10


def queue_blocks(team: SlackTeam, campaign_id: int | None, note: str = "") -> list[Block]:
    lang = team.language
    found = reviewing.queue(team.app.engine, campaign_id, PAGE)
    waiting, rows = found.waiting, found.rows
    scope = f"campaign #{campaign_id}" if campaign_id is not None else "all campaigns"
    blocks: list[Block] = [header(f"Review queue · {scope}")]
    if note:
        blocks.append(context(note))
    if not rows:
        blocks.append(section("✅ Nothing awaits review."))
        return blocks
    shown = f"showing {len(rows)}" if waiting > len(rows) else "all shown"
    blocks.append(context(f"{lang.number(waiting)} {lang.label('awaiting_review')} ({shown})"))
    for answer, market, cid in rows:
        blocks.extend(answer_blocks(answer, market, cid, campaign_id, lang))
    return blocks


def answer_blocks(
    answer: Answer, market: str | None, cid: int, scope: int | None, lang: TeamLanguage
) -> list[Block]:
    original = quote(answer.raw_text or "", italic=True)
    said = original
    if answer.translation and answer.translation.strip() != (answer.raw_text or "").strip():
        said = f"{quote(f'“{answer.translation}”')}\n{original}\n({lang.language(answer.language)})"
    score = f" ({answer.sentiment_score:+.2f})" if answer.sentiment_score is not None else ""
    confidence = f" · confidence {answer.confidence:.2f}" if answer.confidence is not None else ""
    machine = (
        f"machine: *{lang.label(answer.category or 'other')}* · "
        f"{answer.sentiment_label or '?'}{score}{confidence}"
    )
    if answer.review_reason:
        machine += f" · {escape(answer.review_reason)}"
    value = json.dumps({"a": answer.id, "c": scope})
    options = [option(lang.label(c), f"{answer.id}:{c}:{scope or ''}") for c in CATEGORIES]
    return [
        divider(),
        section(f"{lang.market(market or '??')} · #{cid} · answer {answer.id}\n{said}\n{machine}"),
        actions(
            button("Confirm", CONFIRM, value, style="primary"),
            static_select("Change category", CHANGE, options),
            block_id=f"review:{answer.id}",
        ),
    ]


def parse_choice(value: str) -> tuple[int, str, int | None]:
    answer, category, scope = value.split(":", 2)
    return int(answer), category, int(scope) if scope else None
