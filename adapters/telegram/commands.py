"""`postlive telegram set-webhook` and `postlive qr` (join codes for live streams)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from telegram import Bot
from telegram.error import TelegramError

from adapters.telegram.client import (
    ALLOWED_UPDATES,
    WEBHOOK_PATH,
    configured,
    make_bot,
    token_of,
)
from bot.cli_common import settings as cli_settings
from bot.errors import ConfigError, NotFound
from bot.settings import Settings

console = Console()
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add this feature's commands to the `postlive` CLI."""
    from bot.cli_common import clean_errors

    telegram_app = typer.Typer(help="Telegram bot.", no_args_is_help=True)
    app.add_typer(telegram_app, name="telegram")

    @telegram_app.command("set-webhook")
    @clean_errors
    def set_webhook(
        drop_pending: Annotated[
            bool, typer.Option(help="Discard updates Telegram queued while nothing listened.")
        ] = False,
    ) -> None:
        """Tell Telegram to call PUBLIC_BASE_URL/webhooks/telegram, with the secret."""
        settings = cli_settings()
        url, username = asyncio.run(register_webhook(settings, drop_pending=drop_pending))
        console.print(f"webhook set for @{username}: {url}")
        console.print(f"updates: {', '.join(ALLOWED_UPDATES)}")

    @app.command("qr")
    @clean_errors
    def qr_command(
        show: Annotated[str, typer.Option("--show", help="The show's join code, e.g. LUNA1125.")],
        tag: Annotated[
            str | None, typer.Option(help="Audience tag joiners get (registers the show).")
        ] = None,
        title: Annotated[str, typer.Option(help="The show's title.")] = "",
        out: Annotated[Path | None, typer.Option(help="PNG to write.")] = None,
        bot_username: Annotated[
            str | None, typer.Option(help="Telegram bot username (default: asked with getMe).")
        ] = None,
    ) -> None:
        """Write the QR codes (Telegram and WhatsApp) that join a live show's audience."""
        from adapters.telegram import qr
        from bot.cli_common import load_app
        from bot.db import session_scope
        from bot.join import find_show, register_show

        settings = cli_settings()
        if bot_username is None and configured(settings):
            bot_username = asyncio.run(fetch_username(settings))
        application = load_app()
        with session_scope(application.engine) as session:
            if tag:
                found = register_show(session, show, tag, title, application.clock.now())
            else:
                existing = find_show(session, show)
                if existing is None:
                    raise NotFound("show", f"{show} (pass --tag to register it)")
                found = existing
            code, audience = found.code, found.audience_tag
        links = []
        if bot_username:
            links.append(qr.telegram_link(bot_username, code))
        if settings.twilio_whatsapp_from:
            links.append(qr.whatsapp_link(settings.twilio_whatsapp_from, code))
        if not links:
            raise ConfigError(
                "no join link: set TELEGRAM_BOT_TOKEN (or pass --bot-username) "
                "and/or TWILIO_WHATSAPP_FROM"
            )
        path = qr.write_png(links, code, out or Path(f"{code}-join.png"))
        console.print(f"show {code}: joiners go to audience {audience!r}")
        for link in links:
            console.print(f"  {link.app}: {link.url}", highlight=False)
        console.print(f"QR codes: {path}")


async def register_webhook(settings: Settings, *, drop_pending: bool = False) -> tuple[str, str]:
    """setWebhook with the secret; returns the URL and the bot's username."""
    token_of(settings)  # the first thing missing is the first thing said
    secret = settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set (choose a random string)")
    if not settings.public_base_url.startswith("https://"):
        raise ConfigError(
            f"Telegram only calls https URLs; PUBLIC_BASE_URL is {settings.public_base_url!r} "
            "(for local use, run `postlive serve --telegram-polling` instead)"
        )
    url = settings.public_base_url.rstrip("/") + WEBHOOK_PATH

    async def work(bot: Bot) -> tuple[str, str]:
        await bot.set_webhook(
            url,
            secret_token=secret.get_secret_value(),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=drop_pending,
        )
        return url, bot.username

    return await with_bot(settings, work)


async def fetch_username(settings: Settings) -> str:
    async def work(bot: Bot) -> str:
        return bot.username

    return await with_bot(settings, work)


async def with_bot(settings: Settings, work: Callable[[Bot], Awaitable[T]]) -> T:
    """Run `work` with an initialized Bot (getMe checks the token first); a Telegram
    refusal becomes one clear CLI line. PTB's own message for a bad token quotes the
    token, so it is redacted."""
    bot = make_bot(settings)
    try:
        async with bot:
            return await work(bot)
    except TelegramError as exc:
        message = exc.message.replace(bot.token, "<token>")
        raise ConfigError(f"Telegram: {message}") from exc
