"""The one rendering layer: what each channel's declared capabilities make of a message."""

from __future__ import annotations

from bot import rendering
from bot.messages import Channel, Choice, Outbound
from bot.rendering import Capabilities, Markup, MediaPlacement, Part

PICKS = (Choice("product:love", "Love it"), Choice("product:meh", "Not for me"))
STARS = (Choice("overall:5", "5 ⭐⭐⭐⭐⭐"), Choice("overall:4", "4 ⭐⭐⭐⭐"))
NUMBERED = Capabilities(max_text=1600)
BUTTONS = Capabilities(
    max_text=4096,
    buttons=True,
    max_buttons=3,
    max_button_title=8,
    media=MediaPlacement.SEPARATE_FIRST,
    placeholder="…",
)


def out(text: str, choices: tuple[Choice, ...] = (), **extra: object) -> Outbound:
    return Outbound(Channel.TELEGRAM, "42", text, choices, **extra)  # type: ignore[arg-type]


def test_a_channel_without_buttons_gets_a_numbered_list_and_ratings_keep_their_numbers() -> None:
    assert rendering.render(out("Which?", PICKS), NUMBERED) == [
        Part("Which?\n\n1. Love it\n2. Not for me")
    ]
    [rating] = rendering.render(out("Rate", STARS), NUMBERED)
    assert rating == Part("Rate\n\n5 ⭐⭐⭐⭐⭐\n4 ⭐⭐⭐⭐")


def test_buttons_go_under_the_last_part_titles_clipped_blank_ones_shown_as_payload() -> None:
    choices = (Choice("a", "Absolutely yes"), Choice("b", "  "))
    parts = rendering.render(out("word " * 1000, choices), BUTTONS)
    assert len(parts) == 2 and parts[0].buttons == ()
    assert parts[-1].buttons == (Choice("a", "Absolut…"), Choice("b", "b"))


def test_more_choices_than_buttons_allowed_fall_back_to_the_numbered_list() -> None:
    many = tuple(Choice(f"c:{n}", f"opt {n}") for n in range(4))
    [part] = rendering.render(out("Pick", many), BUTTONS)
    assert part.buttons == ()
    assert part.text == "Pick\n\n1. opt 0\n2. opt 1\n3. opt 2\n4. opt 3"


def test_multiple_choice_gets_both_buttons_and_the_list_to_type_several() -> None:
    [part] = rendering.render(out("Which?", PICKS, multiple=True), BUTTONS)
    assert part.text == "Which?\n\n1. Love it\n2. Not for me"
    assert [b.payload for b in part.buttons] == ["product:love", "product:meh"]


def test_media_placement_and_empty_text_follow_the_capabilities() -> None:
    photo = "https://cdn.example/p.jpg"
    assert rendering.render(out("", media_url=photo), BUTTONS) == [Part(media_url=photo)]
    assert rendering.render(out("Hi", media_url=photo), BUTTONS) == [
        Part(media_url=photo),
        Part("Hi"),
    ]
    assert rendering.render(out("", media_url=photo), NUMBERED) == [Part("", media_url=photo)]
    assert rendering.render(out("", PICKS[:1]), BUTTONS) == [Part("…", (PICKS[0],))]


def test_slack_mrkdwn_escapes_its_control_characters_only() -> None:
    caps = Capabilities(max_text=3000, markup=Markup.SLACK_MRKDWN)
    [part] = rendering.render(out("a < b & *c*"), caps)
    assert part.text == "a &lt; b &amp; *c*"


def test_split_counts_utf16_units_and_prefers_paragraphs_then_lines_then_words() -> None:
    assert rendering.split("😀" * 10, 6) == ["😀😀😀", "😀😀😀", "😀😀😀", "😀"]
    text = "a" * 40 + "\n\n" + "b" * 30 + "\n" + "c" * 20
    assert rendering.split(text, 80) == ["a" * 40, "b" * 30 + "\n" + "c" * 20]
    words = rendering.split("kata " * 100, 50)
    assert all(not p.endswith("kat") and rendering.utf16_units(p) <= 50 for p in words)
    assert rendering.split("   ", 10) == []


def test_a_hard_cut_never_separates_a_combining_mark_modifier_or_flag() -> None:
    accented = "e\u0301" * 30  # é as e + combining acute
    pieces = rendering.split(accented, 7)
    assert "".join(pieces) == accented
    assert all(not p.startswith("\u0301") for p in pieces)
    thumbs = "👍🏽" * 10  # each 4 units: thumb + skin tone
    assert all(p.startswith("👍") and p.endswith("🏽") for p in rendering.split(thumbs, 10))
    flags = "🇫🇷🇧🇷🇯🇵"  # regional indicator pairs, 4 units each
    assert rendering.split(flags, 6) == ["🇫🇷", "🇧🇷", "🇯🇵"]
    family = "👩\u200d👩\u200d👧\u200d👦"
    assert all(p.startswith("👩") and p.endswith("👦") for p in rendering.split(family * 30, 100))


def test_clip_shortens_with_an_ellipsis_between_graphemes() -> None:
    assert rendering.clip("short", 10) == "short"
    assert rendering.clip("abcdefghij", 5) == "abcd…"
    assert rendering.clip("e\u0301e\u0301e\u0301", 4) == "e\u0301…"
