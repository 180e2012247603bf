"""A digest as Block Kit: the figures first (useful with ratings and counts alone), then
what customers said, each theme with an "adopt" button that closes the loop.

Returns a list of messages, each within Slack's limits (`blocks.fit`).
"""

from __future__ import annotations

from adapters.slack.blocks import (
    Block,
    button,
    context,
    divider,
    escape,
    fields,
    fit,
    header,
    paragraphs,
    section,
)
from adapters.slack.labels import TeamLanguage
from bot.digest import CATEGORIES, Digest, Figures, Quote, ThemeSummary

ADOPT = "theme_adopt"
ADOPTED = "theme_adopted"
#: Quotes are for reading at a glance: a long answer is cut, the full text stays in the DB.
QUOTE_CHARS = 280
BAR_WIDTH = 20


def render(digest: Digest, team: TeamLanguage, *, final: bool = False) -> list[list[Block]]:
    c = digest.campaign
    title = team.label("final_digest" if final else "digest")
    blocks: list[Block] = [
        header(f"📊 {title} · #{c.id} {c.show}"),
        context(f"`{c.flow_id}` · {c.status} · audience `{c.audience_tag}`"),
    ]
    blocks.extend(fields(_headline(digest, team)))
    warnings = _warnings(digest, team)
    if warnings:
        blocks.append(section("\n".join(f"⚠️ {w}" for w in warnings)))
    if sum(digest.total.ratings.values()):
        blocks.append(section(f"*{team.label('ratings')}*\n{_distribution(digest.total, team)}"))
    blocks.append(divider())
    blocks.append(header(team.label("markets")))
    blocks.extend(paragraphs([_market_line(m, f, team) for m, f in digest.markets.items()]))
    if digest.redemptions and digest.redemptions.redeemed:  # codes used at checkout
        blocks.extend(paragraphs(digest.redemptions.lines()))
    blocks.append(divider())
    blocks.extend(_said(digest, team))
    blocks.extend(_viewers_asked(digest, team))
    if digest.choices:
        lines = [
            f"*{question}*: " + ", ".join(f"{k} {team.number(v)}" for k, v in counts.most_common())
            for question, counts in digest.choices.items()
        ]
        blocks.extend(paragraphs([f"*{team.label('choices')}*", *lines]))
    footer = [
        f"{team.number(digest.analysed)}/{team.number(digest.text_answers)} "
        f"{team.label('analysed')}"
    ]
    if digest.token_cap:
        footer.append(
            f"{team.label('tokens')}: {team.number(digest.tokens_used)} / "
            f"{team.number(digest.token_cap)}"
        )
    if note := team.note():
        footer.append(note)
    blocks.append(context(*footer))
    return fit(blocks, continued=f"#{c.id} {c.show} {title} (…)")


def _headline(d: Digest, team: TeamLanguage) -> list[str]:
    t = d.total
    items = [
        f"*{team.label('sent')}*\n{team.number(t.sent)}",
        f"*{team.label('answered')}*\n{team.number(t.started)} ({team.percent(t.response_rate)})",
        f"*{team.label('completed')}*\n{team.number(t.completed)} "
        f"({team.percent(t.completion_rate)})",
        f"*{team.label('opted_out')}* / *{team.label('skipped')}*\n"
        f"{team.number(t.opted_out)} / {team.number(t.skipped)}",
    ]
    if t.average_rating is not None:
        items.append(
            f"*{team.label('rating')}*\n{team.number(t.average_rating, 2)} ★ · "
            f"{team.label('csat')} {team.percent(t.csat)}"
        )
    else:
        items.append(f"*{team.label('rating')}*\n{team.label('no_ratings')}")
    if t.nps is not None:
        items.append(f"*{team.label('nps')}*\n{t.nps:+.0f}")
    coupons = f"*{team.label('coupons')}*\n{team.number(d.coupons_issued)}"
    if d.coupon_shortfall:
        coupons += f" (⚠️ {team.number(d.coupon_shortfall)} owed)"
    items.append(coupons)
    if t.planned:
        items.append(f"*{team.label('waiting')}*\n{team.number(t.planned)}")
    if d.awaiting_review:
        items.append(f"*{team.label('awaiting_review')}*\n{team.number(d.awaiting_review)}")
    if d.complaints_open:
        items.append(f"*{team.label('complaints')}*\n🚨 {team.number(d.complaints_open)}")
    return items


def _warnings(d: Digest, team: TeamLanguage) -> list[str]:
    notes = []
    if d.coupon_shortfall:
        notes.append(f"{team.number(d.coupon_shortfall)} {team.label('shortfall')}")
    share = d.token_share
    if share is not None and share >= 0.8:
        notes.append(team.label("token_warning", share=team.percent(share)))
    return notes


def _distribution(f: Figures, team: TeamLanguage) -> str:
    n = sum(f.ratings.values())
    lines = []
    for star in range(5, 0, -1):
        share = f.ratings[star] / n if n else 0.0
        bar = "█" * round(share * BAR_WIDTH) or "▏"
        lines.append(f"`{star}★` {bar} {team.percent(share)} ({team.number(f.ratings[star])})")
    return "\n".join(lines)


def _market_line(market: str, f: Figures, team: TeamLanguage) -> str:
    parts = [
        f"*{team.market(market)}*",
        f"{team.label('sent')} {team.number(f.sent)}",
        f"{team.label('answered')} {team.number(f.started)} ({team.percent(f.response_rate)})",
        f"{team.label('completed')} {team.number(f.completed)}",
    ]
    if f.average_rating is not None:
        parts.append(f"★ {team.number(f.average_rating, 2)}")
        parts.append(f"{team.label('csat')} {team.percent(f.csat)}")
    if f.nps is not None:
        parts.append(f"{team.label('nps')} {f.nps:+.0f}")
    if f.categories["complaint"]:
        parts.append(f"{team.label('complaint')} {team.number(f.categories['complaint'])}")
    return " · ".join(parts)


def _said(d: Digest, team: TeamLanguage) -> list[Block]:
    """Categories, themes with quotes, keywords, complaints: what customers said."""
    blocks: list[Block] = [header(team.label("categories"))]
    if d.categories or d.awaiting_review:
        ordered = [c for c in CATEGORIES if d.categories[c]] + sorted(
            c for c in d.categories if c not in CATEGORIES
        )
        parts = [f"{team.label(c)} *{team.number(d.categories[c])}*" for c in ordered]
        if d.awaiting_review:
            parts.append(f"_{team.label('awaiting_review')}_ *{team.number(d.awaiting_review)}*")
        blocks.append(section(" · ".join(parts)))
    else:
        blocks.append(section(team.label("nothing_yet")))
    if d.themes:
        blocks.append(header(team.label("themes")))
        blocks.extend(theme_block(i, t, team) for i, t in enumerate(d.themes, 1))
    if d.keywords:
        words = [
            f"{'🔥 ' if k.recent and k.recent * 2 >= k.count else ''}{escape(k.text)} "
            f"({team.number(k.count)})"
            for k in d.keywords
        ]
        blocks.append(section(f"*{team.label('keywords')}*\n" + " · ".join(words)))
    if d.complaints_open:
        lines = [f"*🚨 {team.label('complaints')}: {team.number(d.complaints_open)}*"]
        lines.extend(quote_line(q, team) for q in d.complaints)
        blocks.extend(paragraphs(lines))
    return blocks


def _viewers_asked(d: Digest, team: TeamLanguage) -> list[Block]:
    """The live show's questions by distinct viewers, unanswered first: a ready FAQ for
    the next show (the radar kept them; bot.radar.store.asked_in)."""
    if not d.viewers_asked:
        return []
    lines = []
    for rank, asked in enumerate(d.viewers_asked, 1):
        status = f"✅ _{team.label('answered_live')}_" if asked.answered else "❓"
        lines.append(
            f"*{rank}. {escape(asked.label)}* — 👤 {team.number(asked.viewers)} · {status}"
        )
        said = [f"“{escape(_short(o))}”" for o in asked.originals[:2] if o != asked.label]
        if said:
            lines.append("> " + " · ".join(said))
    return [header(team.label("viewers_asked")), *paragraphs(lines)]


def theme_block(rank: int, theme: ThemeSummary, team: TeamLanguage) -> Block:
    category = f" · {team.label(theme.category)}" if theme.category else ""
    lines = [
        f"*{rank}. {escape(theme.label)}* — {team.number(theme.count)} "
        f"{team.label('answers')}{category}"
    ]
    lines.extend(quote_line(q, team) for q in theme.quotes)
    if theme.adopted_at is not None and theme.loop_message:
        lines.append(f"✅ _{escape(theme.loop_message)}_")
    if theme.adopted_at is not None:
        accessory = button(team.label("adopted"), ADOPTED, str(theme.id))
    else:
        accessory = button(team.label("adopt"), ADOPT, str(theme.id), style="primary")
    return section("\n".join(lines), accessory=accessory)


def quote_line(q: Quote, team: TeamLanguage) -> str:
    """`> “translation”` with the original beside it; an untranslated one says so."""
    original = escape(_short(q.original))
    flag = team.market(q.market).split(" ")[0] if q.market != "??" else "🌐"
    if q.translation:
        return f"> “{escape(_short(q.translation))}” {flag} _{original}_"
    if q.untranslated:
        return f"> {flag} “{original}” _({team.label('untranslated')})_"
    return f"> {flag} “{original}”"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
