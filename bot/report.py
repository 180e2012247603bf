"""Terminal rendering of a digest (Rich). Slack's Block Kit rendering is in adapters.slack."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from bot.digest import Digest, Figures, Quote


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _stars(f: Figures) -> str:
    return " ".join(f"{k}★{f.ratings[k]}" for k in range(1, 6) if f.ratings[k])


def render_digest(digest: Digest) -> Group:
    c = digest.campaign
    t = digest.total
    head = Text.assemble(
        (f"Campaign {c.id} · {c.show} · {c.flow_id} · {c.status}\n", "bold"),
        f"sent {t.sent} · answered {t.started} ({_pct(t.response_rate)}) · completed "
        f"{t.completed} ({_pct(t.completion_rate)}) · opted out {t.opted_out} · "
        f"skipped {t.skipped} · waiting {t.planned}\n",
        f"average rating {t.average_rating:.2f} · CSAT {_pct(t.csat)}"
        if t.average_rating is not None
        else "no ratings yet",
        f" · NPS {t.nps:+.0f}" if t.nps is not None else "",
        f"\ncoupons issued {digest.coupons_issued}",
        (
            f" · {digest.coupon_shortfall} customers owed a code (pool ran out)"
            if digest.coupon_shortfall
            else ""
        ),
    )
    table = Table(
        "market", "sent", "answered", "completed", "avg", "CSAT", "ratings", title="Per market"
    )
    for market, f in digest.markets.items():
        table.add_row(
            market,
            str(f.sent),
            str(f.started),
            str(f.completed),
            f"{f.average_rating:.2f}" if f.average_rating is not None else "-",
            _pct(f.csat),
            _stars(f),
        )
    parts: list[object] = [head, table]
    if digest.choices:
        choices = Table("question", "answers", title="Choices")
        for question, counts in digest.choices.items():
            choices.add_row(question, ", ".join(f"{k} {v}" for k, v in counts.most_common()))
        parts.append(choices)
    if digest.categories:
        parts.append(
            Text("categories: " + ", ".join(f"{k} {v}" for k, v in digest.categories.most_common()))
        )
    if digest.themes:
        themes = Table(
            "theme", "answers", "what customers said (original · translation)", title="Top themes"
        )
        for theme in digest.themes:
            quotes = "\n".join(_quote(q) for q in theme.quotes)
            label = f"{theme.label} ✓ adopted" if theme.adopted_at else theme.label
            themes.add_row(label, str(theme.count), quotes)
        parts.append(themes)
    if digest.keywords:
        hot = (f"{k.text} {k.count}" + (" (hot)" if k.recent else "") for k in digest.keywords[:12])
        parts.append(Text("keywords: " + ", ".join(hot)))
    if digest.viewers_asked:
        asked = Table(
            "question", "viewers", "answered", "how they asked", title="What viewers asked"
        )
        for q in digest.viewers_asked:
            asked.add_row(
                q.label, str(q.viewers), "yes" if q.answered else "no", " · ".join(q.originals)
            )
        parts.append(asked)
    notes = []
    if digest.complaints_open:
        notes.append(f"{digest.complaints_open} urgent complaints awaiting action")
    if digest.awaiting_review:
        notes.append(f"{digest.awaiting_review} answers awaiting human review")
    if digest.text_answers:
        notes.append(f"{digest.analysed}/{digest.text_answers} free-text answers analysed")
    if notes:
        parts.append(Text(" · ".join(notes)))
    if digest.redemptions and digest.redemptions.redeemed:
        parts.append(Text("\n".join(digest.redemptions.lines())))
    return Group(*parts)  # type: ignore[arg-type]


def _quote(quote: Quote) -> str:
    where = f"[{quote.market}{', ' + quote.language if quote.language else ''}]"
    if quote.translation:
        return f"{where} “{quote.original}” · {quote.translation}"
    return f"{where} “{quote.original}” (untranslated)"
