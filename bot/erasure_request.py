"""A customer's own "delete my data": asked back in their language, erased only on "yes".

    "Quero apagar meus dados"  ->  forget_ask ("... Responda SIM para confirmar ...")
    "sim" (within a day)       ->  erased (bot.privacy.forget), then forget_confirm
    anything else              ->  nothing erased; forget_kept, and the message goes on to
                                   the survey if one is open (it may be an answer)

Detection (bot.answers.is_delete_request) can be wrong: "please don't delete my data,
I want my coupon" must never erase anyone, so nothing is erased on a request alone. The
confirmation word is the locale's `forget_yes` phrase; "yes" is accepted everywhere. The
pending request (ErasureRequest) holds ids only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from bot import outbox
from bot.messages import Channel, Inbound, Outbound
from bot.models import Contact, Conversation, ConversationState, ErasureRequest
from bot.phrases import phrase
from bot.privacy import GOODBYE_KIND, expect_goodbye, forget

#: How long a "yes" still confirms the question.
CONFIRM_WITHIN = timedelta(hours=24)
#: Spellings of the confirmation word the `forget_yes` phrase does not list itself.
_ALSO_YES = {
    "si",
    "sì",
    "sí",
    "oui",
    "ja",
    "sim",
    "ya",
    "はい",
    "是",
    "确认",
    "네",
    "예",
    "да",
    "evet",
}


def _fold(text: str) -> str:
    """'Sí!' -> 'si', ' YES. ' -> 'yes', 'はい。' -> 'はい': case, accents, punctuation off."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", bare)


def confirm_words(locale: str) -> set[str]:
    """The words that confirm in `locale`: its own, and 'yes'."""
    return {_fold(phrase("forget_yes", locale)), "yes"}


def is_confirmation(text: str | None, locale: str) -> bool:
    """Only the confirmation word itself (any case, accents or punctuation) confirms."""
    folded = _fold(text or "")
    if not folded:
        return False
    return folded in confirm_words(locale) or folded in {_fold(w) for w in _ALSO_YES}


def handle(
    session: Session,
    contact: Contact,
    inbound: Inbound,
    now: datetime,
    *,
    shop: str,
    default_locale: str = "en",
    media_dir: str | None = None,
) -> bool:
    """Ask, erase or cancel; True when the message was consumed here (the caller handles
    it no further), False when it goes on to the survey as usual."""
    from bot.answers import is_delete_request

    assert contact.id is not None
    locale = contact.locale or default_locale
    pending = session.get(ErasureRequest, contact.id, with_for_update=True)
    if pending is not None and pending.asked_at is not None:
        asked_at = pending.asked_at
        if asked_at.tzinfo is None:  # SQLite gives naive UTC back
            asked_at = asked_at.replace(tzinfo=now.tzinfo)
        if now - asked_at > CONFIRM_WITHIN:
            session.delete(pending)
            pending = None
    if pending is not None and is_confirmation(inbound.text, locale):
        address, channel = contact.address, contact.channel
        forget(session, contact, now, media_dir=media_dir)
        # After forget: the goodbye must keep the address until it leaves, so it is not
        # linked to the contact; bot.privacy.scrub_goodbyes removes the address then.
        key = f"forget:{inbound.channel}:{inbound.external_id}"
        text = phrase("forget_confirm", locale, shop=shop)
        _send(session, channel, address, key, text, GOODBYE_KIND, now, None)
        expect_goodbye(session, key, now)
        return True
    if is_delete_request(inbound.text):
        if pending is None:
            session.add(
                ErasureRequest(contact_id=contact.id, external_id=inbound.external_id, asked_at=now)
            )
        else:
            pending.asked_at, pending.external_id = now, inbound.external_id
            session.add(pending)
        _send(
            session,
            contact.channel,
            contact.address,
            f"forget-ask:{inbound.channel}:{inbound.external_id}",
            phrase("forget_ask", locale, shop=shop),
            "forget_ask",
            now,
            contact.id,
        )
        return True
    if pending is None:
        return False
    session.execute(delete(ErasureRequest).where(col(ErasureRequest.contact_id) == contact.id))
    _send(
        session,
        contact.channel,
        contact.address,
        f"forget-kept:{inbound.channel}:{inbound.external_id}",
        phrase("forget_kept", locale, shop=shop),
        "forget_kept",
        now,
        contact.id,
    )
    # The reply may be an answer to the open question: it is not lost.
    return not _has_open_conversation(session, contact.id)


def _has_open_conversation(session: Session, contact_id: int) -> bool:
    return bool(
        session.exec(
            select(func.count())
            .select_from(Conversation)
            .where(
                Conversation.contact_id == contact_id,
                Conversation.state == ConversationState.ACTIVE,
            )
        ).one()
    )


def _send(
    session: Session,
    channel: str,
    address: str,
    key: str,
    text: str,
    kind: str,
    now: datetime,
    contact_id: int | None,
) -> None:
    message = Outbound(channel=Channel(channel), address=address, text=text, kind=kind)
    outbox.enqueue(session, key, message, kind=kind, now=now, contact_id=contact_id)
