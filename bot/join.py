"""Joining a live show's audience by its code, on any channel.

During a live stream the shop shows a QR code (`postlive qr`). A viewer who scans it
lands in a chat with the show's code ready to send: on Telegram a deep link sends
"/start CODE", on WhatsApp the click-to-chat link pre-fills the code as the message.
Sending it is the viewer's own request to hear from the shop, so it is recorded as
consent (`consent_source` "join:<channel>") and the contact joins the show's audience
tag, which a campaign then surveys after the show. A code nobody registered is just a
message, and goes to the engine like any other.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.effects import send_to_contact
from bot.engine import Send
from bot.errors import ConfigError
from bot.messages import Channel, Inbound
from bot.models import AudienceMember, Contact, Show
from bot.phrases import phrase

#: Telegram's deep-link alphabet (start parameters are 1-64 of these), so one code works
#: in both links.
_CODE = re.compile(r"[A-Za-z0-9_-]{4,64}")
_START = re.compile(r"/start(?:@\w+)?\s+(\S+)", re.IGNORECASE)


def valid_code(code: str) -> bool:
    """4-64 letters, digits, `_` or `-`, with at least one letter and one digit, so that
    no ordinary answer ("yes", "5", "STOP") is ever mistaken for a show code."""
    return (
        bool(_CODE.fullmatch(code))
        and any(c.isalpha() for c in code)
        and any(c.isdigit() for c in code)
    )


def code_in(inbound: Inbound) -> str | None:
    """The show code a message carries, if it looks like one (not yet looked up)."""
    # NFKC: a code typed on a Japanese keyboard arrives in full width ("ＬＩＶＥ１").
    text = unicodedata.normalize("NFKC", inbound.text or "").strip()
    if inbound.channel == Channel.TELEGRAM and (start := _START.fullmatch(text)):
        text = start.group(1)
    return text if valid_code(text) else None


def find_show(session: Session, code: str) -> Show | None:
    """Codes are matched without case: viewers retype them as they please."""
    return session.exec(select(Show).where(func.lower(Show.code) == code.lower())).first()


def register_show(
    session: Session, code: str, audience_tag: str, title: str, now: datetime
) -> Show:
    """Create or update a show's join code."""
    if not valid_code(code):
        raise ConfigError(
            f"show code {code!r}: use 4-64 letters, digits, _ or -, "
            "with at least one letter and one digit (e.g. LUNA1125)"
        )
    show = find_show(session, code)
    if show is None:
        show = Show(code=code, audience_tag=audience_tag, title=title, created_at=now)
    else:
        show.audience_tag = audience_tag
        show.title = title or show.title
    session.add(show)
    session.flush()
    return show


def join_by_code(
    session: Session,
    contact: Contact,
    inbound: Inbound,
    now: datetime,
    *,
    shop: str,
    default_locale: str = "en",
) -> bool:
    """Join `contact` to the show whose code `inbound` carries; False if it carries none.

    Called by bot.intake inside its transaction, before the engine sees the message.
    """
    code = code_in(inbound)
    show = find_show(session, code) if code else None
    if show is None:
        return False
    source = f"join:{inbound.channel}"
    contact.consent = True
    contact.consent_source = source
    # Asking to join is a fresh opt-in: it lifts an earlier STOP, and they are reachable.
    contact.opted_out_at = None
    contact.unreachable_reason = None
    session.add(contact)
    if session.get(AudienceMember, (show.audience_tag, contact.id)) is None:
        session.add(AudienceMember(tag=show.audience_tag, contact_id=contact.id, source=source))  # type: ignore[arg-type]
    locale = contact.locale or default_locale
    send_to_contact(
        session,
        None,
        contact,
        Send("join_welcome", phrase("join_welcome", locale, shop=shop)),
        f"inbound:{inbound.channel}:{inbound.external_id}",
        now,
        conversation_id=None,
        in_reply=True,
        locale=locale,
    )
    return True
