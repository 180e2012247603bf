"""`postlive demo`: a whole campaign on the embedded default, with simulated customers.

Several hundred customers in eleven markets answer through the real engine, database,
outbox and dispatcher, in their own languages and habits: buttons, digits in their own
script, number words, emoji, off-script questions, a STOP, a photo, silence. Only the
platform is simulated (adapters.simulator), and the clock runs fast.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import phonenumbers

from bot import campaigns, coupons
from bot.analysis.runner import analyze_pending_now
from bot.bootstrap import App, build, simulator
from bot.clock import FrozenClock
from bot.db import session_scope
from bot.delivery import Sender
from bot.messages import Channel, Inbound, Media, Outbound
from bot.models import AudienceMember, Contact
from bot.services.delivery_now import drain_blocking
from bot.settings import Settings


@dataclass(frozen=True)
class Market:
    country: str
    locale: str
    customers: int
    channel: Channel
    #: How this market writes a 4 and a 5, and free text about the product.
    ratings: tuple[str, ...]
    problems: tuple[str, ...]
    ideas: tuple[str, ...]
    off_script: str
    #: Which of `ideas` is praise (the others are complaints or suggestions).
    praise: int = 2


MARKETS = (
    Market(
        "US",
        "en-US",
        45,
        Channel.WHATSAPP,
        ("5", "⭐⭐⭐⭐", "4", "👍", "five"),
        ("late", "1", "damaged, colour"),
        (
            "Honestly the color looked way brighter on the stream, kinda disappointed.",
            "Ship faster please! Took 12 days to get here.",
            "Love it, do more live shows with discount codes!",
        ),
        "wait who is this?",
    ),
    Market(
        "DE",
        "de",
        30,
        Channel.WHATSAPP,
        ("4", "fünf", "3"),
        ("verspätet", "1", "beschädigt"),
        (
            "Die Verpackung war beschädigt, Ware aber ok.",
            "Bitte Größentabelle im Stream zeigen.",
            "Lieferung hat zu lange gedauert.",
        ),
        "Was ist das für eine Nachricht?",
        praise=1,
    ),
    Market(
        "JP",
        "ja",
        30,
        Channel.WHATSAPP,
        ("５", "４", "よん"),
        ("1", "色", "遅延"),
        (
            "配信で見た色と少し違いました。",
            "梱包がとても丁寧でした。ありがとうございます。",
            "サイズ表をもっと詳しくしてほしいです。",
        ),
        "これは何ですか？",
        praise=1,
    ),
    Market(
        "MX",
        "es-MX",
        30,
        Channel.WHATSAPP,
        ("5", "cinco", "😍", "4"),
        ("1", "tarde", "dañado"),
        (
            "El color no es igual al del live, se veía más bonito.",
            "Llegó rapidísimo, me encantó!",
            "Hagan más lives en la noche por favor.",
        ),
        "hola, qué es esto?",
        praise=1,
    ),
    Market(
        "BR",
        "pt-BR",
        35,
        Channel.WHATSAPP,
        ("5", "quatro", "🤩"),
        ("1", "atrasado", "danificado"),
        (
            "A cor é diferente da live, fiquei chateada.",
            "Entrega demorou demais.",
            "Amei! Façam mais lives com cupom.",
        ),
        "oi? quem é?",
    ),
    Market(
        "FR",
        "fr",
        25,
        Channel.WHATSAPP,
        ("4", "cinq", "3"),
        ("1", "en retard", "2"),
        (
            "La couleur ne correspond pas au live.",
            "Livraison trop lente.",
            "Produit conforme, merci !",
        ),
        "C'est quoi ce message ?",
    ),
    Market(
        "ID",
        "id",
        35,
        Channel.TELEGRAM,
        ("5", "empat", "👍"),
        ("1", "terlambat", "rusak"),
        (
            "Warnanya beda dengan yang di live kak.",
            "Pengiriman lama banget.",
            "Bagus kak, mau live lagi jam 7 malam ya.",
        ),
        "ini apa kak?",
    ),
    Market(
        "TH",
        "th",
        25,
        Channel.TELEGRAM,
        ("5", "สี่", "4"),
        ("1", "ช้า", "เสียหาย"),
        ("สีไม่เหมือนในไลฟ์ค่ะ", "ส่งช้ามากค่ะ", "ชอบมากค่ะ อยากให้ไลฟ์บ่อยๆ"),
        "นี่คืออะไรคะ",
    ),
    Market(
        "VN",
        "vi",
        25,
        Channel.TELEGRAM,
        ("5", "bốn", "4"),
        ("1", "trễ", "hư hỏng"),
        (
            "Màu khác với trên livestream.",
            "Giao hàng chậm quá.",
            "Sản phẩm tốt, shop livestream thêm nhé!",
        ),
        "đây là gì vậy?",
    ),
    Market(
        "SA",
        "ar",
        20,
        Channel.WHATSAPP,
        ("٥", "٤", "خمسة"),
        ("1", "متأخر", "تالف"),
        ("اللون مختلف عن البث المباشر.", "التوصيل كان بطيئاً جداً.", "منتج رائع، شكراً لكم!"),
        "ما هذا؟",
    ),
    Market(
        "CN",
        "zh-CN",
        25,
        Channel.TELEGRAM,
        ("5", "四", "五"),
        ("1", "延迟", "损坏"),
        ("颜色和直播里看到的不一样。", "物流太慢了。", "很喜欢，希望多开直播！"),
        "这是什么？",
    ),
)


@dataclass(frozen=True)
class DemoResult:
    app: App
    campaign_id: int
    chart: Path
    duplicates: int
    messages: int
    #: The live show replayed before the campaign: its top questions and page.
    live: str = ""


def run(
    workdir: Path,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    scale: float = 1.0,
) -> DemoResult:
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "postlive-demo.db"
    for leftover in (db, db.with_suffix(".db-wal"), db.with_suffix(".db-shm")):
        leftover.unlink(missing_ok=True)
    clock = FrozenClock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # after a US evening show
    settings = Settings(
        database_url=f"sqlite:///{db}",
        shop_name="Luna Live Shop",
        postlive_analyzer="offline",  # the demo needs no key and spends nothing
        _env_file=None,
    )
    channel = simulator()
    app = build(
        settings, clock=clock, senders={Channel.WHATSAPP: channel, Channel.TELEGRAM: channel}
    )

    say("replaying the live show into the question radar")
    live = app.replay_live_demo("demo-show")
    say("importing simulated customers")
    people = _audience(app, rng, scale)
    with session_scope(app.engine) as session:
        coupons.generate(session, "post-live", len(people) - 5, prefix="LUNA-")
        flow = app.flows["post-live"]
        campaign = campaigns.start(
            session,
            flow,
            "demo-show",
            clock.now(),
            clock.now(),
            show="Luna Live: Winter Knits",
            created_by="demo",
        )
        campaign_id = campaign.id
    assert campaign_id is not None

    say("running the campaign (simulated clock)")
    answered: dict[str, int] = {}
    for _hour in range(120):
        app.dispatcher.run_once()
        _drain(app, channel)
        for _round in range(12):  # customers answer, bot replies, until quiet this hour
            replies = 0
            for address, person in people.items():
                last = channel.last(address)
                if last is None or answered.get(address) == len(channel.transcripts[address]):
                    continue
                answered[address] = len(channel.transcripts[address])
                reply = person(last, rng)
                if reply is not None:
                    app.intake.receive(reply)
                    replies += 1
            _drain(app, channel)
            if not replies:
                break
        clock.advance(hours=1)
    app.dispatcher.run_once()
    say("analysing free-text answers (offline analyzer)")
    analyze_pending_now(app, limit=100_000)

    from bot import digest as digest_module

    with session_scope(app.engine) as session:
        camp = campaigns.get(session, campaign_id)
        built = digest_module.build(session, camp, flow)
    path = digest_module.chart(built, workdir / f"campaign-{campaign_id}.png")
    total = sum(len(m) for m in channel.transcripts.values())
    return DemoResult(app, campaign_id, path, channel.duplicates, total, live)


def _drain(app: App, channel: Sender) -> None:
    drain_blocking(app.engine, app.senders, app.clock, limit=500)


Persona = Callable[[Outbound, random.Random], Inbound | None]


def _audience(app: App, rng: random.Random, scale: float) -> dict[str, Persona]:
    people: dict[str, Persona] = {}
    with session_scope(app.engine) as session:
        for market in MARKETS:
            example = phonenumbers.example_number_for_type(
                market.country, phonenumbers.PhoneNumberType.MOBILE
            )
            assert example is not None, market.country  # the library knows every market
            base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            for i in range(max(5, round(market.customers * scale))):
                address = (
                    f"{base[:-3]}{i:03d}"
                    if market.channel == Channel.WHATSAPP
                    else f"{700_000_000 + len(people)}"
                )
                from bot.windows import infer_from_phone

                country, tz = infer_from_phone(base)
                contact = Contact(
                    channel=market.channel,
                    address=address,
                    locale=market.locale,
                    country=country or market.country,
                    timezone=tz,
                    consent=i % 17 != 16,
                    created_at=app.clock.now(),
                    name=f"Customer {len(people) + 1}",
                )
                session.add(contact)
                session.flush()
                assert contact.id is not None
                session.add(AudienceMember(tag="demo-show", contact_id=contact.id, source="demo"))
                people[address] = _persona(market, address, i, rng)
    return people


def _persona(market: Market, address: str, index: int, rng: random.Random) -> Persona:
    """How one customer behaves: most answer, some never do, one says STOP, some wander;
    a happy customer rates high and praises, an unhappy one rates low and complains."""
    silent = rng.random() < 0.12
    quits_midway = rng.random() < 0.08
    stops = index == 3
    wanders = rng.random() < 0.15
    happy = rng.random() < 0.6
    counter = iter(range(1, 1000))
    complaints = [i for i in range(len(market.ideas)) if i != market.praise]
    problems = [p for p in market.problems if p != "1"] or ["2"]

    def reply(message: Outbound, r: random.Random) -> Inbound | None:
        n = next(counter)
        sid = f"{address}-{n}"
        kind, _, question = message.kind.partition(":")
        if silent or not question:  # thank-you, confirmations: nothing to answer
            return None
        if stops and n == 1:
            return _inbound(market, address, sid, text=r.choice(("STOP", "stop", "Stop")))
        if wanders and n == 1:
            return _inbound(market, address, sid, text=market.off_script)
        if quits_midway and n >= 3:
            return None

        def say(text: str | None = None, choice: str | None = None) -> Inbound:
            return _inbound(market, address, sid, text=text, choice=choice)

        match question:
            case "overall" if happy and r.random() < 0.3:
                return say(choice=f"overall:{r.choice((4, 5))}")
            case "overall" if happy:
                return say(r.choice(market.ratings))
            case "overall":
                return (
                    say(r.choice(("1", "2", "3", "😡")))
                    if r.random() < 0.5
                    else say(choice=f"overall:{r.choice((1, 2, 3))}")
                )
            case "product" if r.random() < 0.6:
                picks = ("love", "as_expected") if happy else ("not_as_shown", "not_for_me")
                return say(choice=f"product:{r.choice(picks)}")
            case "product":
                return say(r.choice(("1", "2")) if happy else r.choice(("3", "4")))
            case "problems":
                return say("1") if happy else say(r.choice(problems))
            case "photo":
                return _inbound(
                    market,
                    address,
                    sid,
                    media=(Media(f"sim://photos/{address}.jpg", "image/jpeg"),),
                )
            case _:
                pick = market.praise if happy else r.choice(complaints)
                return say(market.ideas[pick])

    return reply


def _inbound(
    market: Market,
    address: str,
    sid: str,
    text: str | None = None,
    choice: str | None = None,
    media: tuple[Media, ...] = (),
) -> Inbound:
    return Inbound(
        channel=market.channel,
        address=address,
        external_id=sid,
        text=text,
        choice=choice,
        media=media,
        language_hint=market.locale,
        received_at=datetime.now(UTC) - timedelta(seconds=1),
    )
