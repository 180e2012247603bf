"""The team's language (TEAM_LANGUAGE) in Slack: labels, numbers, market names.

Numbers, percentages and country names come from Babel (CLDR), so they follow any
language Babel knows. Labels come from the small catalogue below; a TEAM_LANGUAGE
without a catalogue gets English labels and the digest says so once, in its footer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal, format_percent

from bot.locales import negotiate, normalize_tag

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "digest": "Digest",
        "final_digest": "Final digest",
        "sent": "Sent",
        "answered": "Answered",
        "completed": "Completed",
        "opted_out": "Opted out",
        "skipped": "Skipped",
        "waiting": "Waiting for their local hour",
        "rating": "Average rating",
        "csat": "CSAT",
        "nps": "NPS",
        "no_ratings": "no ratings yet",
        "coupons": "Coupons issued",
        "shortfall": "customers owed a code: the pool ran out",
        "ratings": "Ratings",
        "markets": "Per market",
        "categories": "What they wrote about",
        "awaiting_review": "awaiting review",
        "themes": "Top themes",
        "keywords": "Hot keywords",
        "complaints": "Complaints awaiting action",
        "choices": "Choices",
        "tokens": "Analysis tokens",
        "token_warning": "analysis budget {share} used: new answers may go unanalysed",
        "adopted": "Adopted ✓",
        "adopt": "Mark adopted",
        "untranslated": "untranslated",
        "answers": "answers",
        "analysed": "free-text answers analysed",
        "nothing_yet": "No free-text answers analysed yet.",
        "product_question": "Product question",
        "usage_experience": "Usage experience",
        "suggestion": "Suggestion",
        "complaint": "Complaint / after-sales",
        "praise": "Praise",
        "other": "Other",
    },
    "zh-CN": {
        "digest": "摘要",
        "final_digest": "最终摘要",
        "sent": "已发送",
        "answered": "已回复",
        "completed": "已完成",
        "opted_out": "已退订",
        "skipped": "已跳过",
        "waiting": "等待当地发送时间",
        "rating": "平均评分",
        "csat": "满意度 (CSAT)",
        "nps": "净推荐值 (NPS)",
        "no_ratings": "暂无评分",
        "coupons": "已发放优惠码",
        "shortfall": "位顾客待补发优惠码：码池已用完",
        "ratings": "评分分布",
        "markets": "各市场",
        "categories": "反馈类别",
        "awaiting_review": "待人工审核",
        "themes": "热门主题",
        "keywords": "热门关键词",
        "complaints": "待处理投诉",
        "choices": "选项统计",
        "tokens": "分析用量 (tokens)",
        "token_warning": "分析预算已用 {share}：新回复可能无法分析",
        "adopted": "已采纳 ✓",
        "adopt": "标记为已采纳",
        "untranslated": "未翻译",
        "answers": "条回复",
        "analysed": "条文字回复已分析",
        "nothing_yet": "暂无已分析的文字回复。",
        "product_question": "产品咨询",
        "usage_experience": "使用体验",
        "suggestion": "建议",
        "complaint": "投诉 / 售后",
        "praise": "好评",
        "other": "其他",
    },
    "de": {
        "digest": "Zusammenfassung",
        "final_digest": "Abschlussbericht",
        "sent": "Gesendet",
        "answered": "Geantwortet",
        "completed": "Abgeschlossen",
        "opted_out": "Abgemeldet",
        "skipped": "Übersprungen",
        "waiting": "Warten auf ihre Ortszeit",
        "rating": "Durchschnittsbewertung",
        "csat": "CSAT",
        "nps": "NPS",
        "no_ratings": "noch keine Bewertungen",
        "coupons": "Gutscheine ausgegeben",
        "shortfall": "Kunden warten auf einen Code: der Pool ist leer",
        "ratings": "Bewertungen",
        "markets": "Nach Markt",
        "categories": "Worüber sie schrieben",
        "awaiting_review": "warten auf Prüfung",
        "themes": "Wichtigste Themen",
        "keywords": "Aktuelle Stichwörter",
        "complaints": "Offene Beschwerden",
        "choices": "Auswahl",
        "tokens": "Analyse-Tokens",
        "token_warning": (
            "Analysebudget zu {share} verbraucht: neue Antworten bleiben evtl. unanalysiert"
        ),
        "adopted": "Umgesetzt ✓",
        "adopt": "Als umgesetzt markieren",
        "untranslated": "nicht übersetzt",
        "answers": "Antworten",
        "analysed": "Freitextantworten analysiert",
        "nothing_yet": "Noch keine Freitextantworten analysiert.",
        "product_question": "Produktfrage",
        "usage_experience": "Nutzungserfahrung",
        "suggestion": "Vorschlag",
        "complaint": "Beschwerde / Kundendienst",
        "praise": "Lob",
        "other": "Sonstiges",
    },
    "ja": {
        "digest": "ダイジェスト",
        "final_digest": "最終ダイジェスト",
        "sent": "送信",
        "answered": "回答あり",
        "completed": "完了",
        "opted_out": "配信停止",
        "skipped": "スキップ",
        "waiting": "現地の送信時間待ち",
        "rating": "平均評価",
        "csat": "CSAT",
        "nps": "NPS",
        "no_ratings": "評価はまだありません",
        "coupons": "発行済みクーポン",
        "shortfall": "名にコード未送付：プールが空です",
        "ratings": "評価の分布",
        "markets": "市場別",
        "categories": "回答の分類",
        "awaiting_review": "確認待ち",
        "themes": "主なテーマ",
        "keywords": "注目キーワード",
        "complaints": "対応待ちの苦情",
        "choices": "選択肢",
        "tokens": "分析トークン",
        "token_warning": "分析予算の {share} を使用：新しい回答は分析されない可能性があります",
        "adopted": "対応済み ✓",
        "adopt": "対応済みにする",
        "untranslated": "未翻訳",
        "answers": "件",
        "analysed": "件の自由記述を分析済み",
        "nothing_yet": "分析済みの自由記述はまだありません。",
        "product_question": "商品についての質問",
        "usage_experience": "使用感",
        "suggestion": "提案",
        "complaint": "苦情・アフターサービス",
        "praise": "称賛",
        "other": "その他",
    },
}


@dataclass(frozen=True)
class TeamLanguage:
    """Formats for the team: `team.label("sent")`, `team.percent(0.42)`, `team.market("DE")`."""

    tag: str

    @cached_property
    def catalogue(self) -> str:
        return negotiate(self.tag, tuple(LABELS), "en")

    @property
    def has_catalogue(self) -> bool:
        wanted = normalize_tag(self.tag) or "en"
        return self.catalogue != "en" or wanted.split("-")[0] == "en"

    @cached_property
    def babel(self) -> Locale:
        try:
            return Locale.parse((normalize_tag(self.tag) or "en").replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            return Locale.parse("en")

    def label(self, key: str, **values: str) -> str:
        text = LABELS[self.catalogue].get(key) or LABELS["en"].get(key) or key
        return text.format(**values) if values else text

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.babel)

    def percent(self, value: float | None) -> str:
        return "-" if value is None else format_percent(value, locale=self.babel)

    def market(self, code: str) -> str:
        """Flag and country name in the team's language ("🇩🇪 Deutschland")."""
        if len(code) != 2 or not code.isalpha():
            return code
        name = self.babel.territories.get(code.upper(), code)
        flag = "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in code.upper())
        return f"{flag} {name}"

    def language(self, tag: str | None) -> str:
        if not tag:
            return "?"
        try:
            return Locale.parse(tag.replace("-", "_")).get_display_name(self.babel) or tag
        except (ValueError, UnknownLocaleError):
            return tag

    def note(self) -> str | None:
        """Said once in the digest when labels are not in the team's language."""
        if self.has_catalogue:
            return None
        return f"Labels in English: no catalogue for TEAM_LANGUAGE={self.tag}"
