"""Test-only entry point: `postlive worker` with the fake provider as its Telegram channel.

    python tests/integration/scale/run_worker.py --database-url URL --provider URL
    python tests/integration/scale/run_worker.py --database-url URL \
        --twilio FAKE_TWILIO_URL --public-base-url URL

It builds the app through the one composition root (bot.bootstrap.build) exactly as the
CLI does, swaps in HTTP senders for the fake provider (a fake at the network edge,
nothing else: as "telegram" one that can look messages up, as "whatsapp" one that
cannot), and runs bot.worker.run_forever until SIGTERM, or until a test kills it. With
--twilio, WhatsApp is the real TwilioSender (twilio SDK) pointed at a fake Twilio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bot.bootstrap import build, channel_senders  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.worker import run_forever  # noqa: E402
from tests.integration.scale.provider import HttpSender, LookupHttpSender  # noqa: E402
from tests.integration.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--provider")
    parser.add_argument("--twilio", help="a fake Twilio's base URL: the real WhatsApp sender")
    parser.add_argument("--public-base-url", default="http://localhost:8000")
    parser.add_argument("--lease", type=float, default=120.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--chat-rate", type=float, default=100.0)
    parser.add_argument("--name", default="worker")
    parser.add_argument(
        "--start-when", type=Path, help="stand by (imported and built) until this file exists"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=args.database_url,
        telegram_mps=args.rate,
        twilio_mps=args.rate,
        telegram_chat_mps=args.chat_rate,
        outbox_lease_seconds=args.lease,
        outbox_concurrency=args.concurrency,
        public_base_url=args.public_base_url,
        **(
            {
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token": AUTH_TOKEN,
                "twilio_whatsapp_from": "whatsapp:+14155238886",
                "twilio_api_url": args.twilio,
            }
            if args.twilio
            else {}
        ),
    )
    senders: list[HttpSender] = []
    if args.twilio:
        # WhatsApp through the real SDK to the fake Twilio; no Telegram.
        channels = {k: v for k, v in channel_senders(settings).items() if k != "telegram"}
    else:
        # Telegram can look messages up, WhatsApp cannot: one run shows both recoveries.
        senders = [
            LookupHttpSender(args.provider, args.name),
            HttpSender(args.provider, args.name),
        ]
        channels = dict(zip(("telegram", "whatsapp"), senders, strict=True))
    app = build(settings, migrate=False, senders=channels)
    while args.start_when and not args.start_when.exists():
        time.sleep(0.01)

    async def work() -> None:
        try:
            await run_forever(app, interval=0.1)
        finally:
            for sender in senders:
                await sender.aclose()

    asyncio.run(work())


if __name__ == "__main__":
    main()
