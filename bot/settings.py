"""All configuration in one typed object, read from the environment or `.env`.

Passed in from the composition root (`bot.bootstrap`), never read from os.environ
elsewhere, so tests build one with exactly the values they need.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///postlive.db"
    public_base_url: str = "http://localhost:8000"
    team_language: str = "en"
    #: Folders of survey flows searched before the shipped ones (FLOWS_DIR, several
    #: separated by os.pathsep or commas); a flow id found first wins.
    flows_dir: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Shop name customers know; used in messages ("{show}" defaults to it).
    shop_name: str = "our shop"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_whatsapp_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    #: Messages per second one WhatsApp sender may send (Twilio's default is 80 MPS).
    twilio_mps: float = 80.0

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_digest_channel: str | None = None
    slack_alert_channel: str | None = None
    slack_admin_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    #: Slack users who may reply to customers, acknowledge alerts and review answers.
    slack_agent_users: Annotated[list[str], NoDecode] = Field(default_factory=list)
    slack_api_url: str = "https://slack.com/api/"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    postlive_analyzer: Literal["auto", "openai", "offline"] = "auto"
    #: Prompt tokens per analysis request (answers are batched up to this budget).
    analysis_batch_tokens: int = 6000
    #: Tokens (prompt + completion) one campaign's analysis may spend; then the team is warned.
    analysis_campaign_token_cap: int = 2_000_000

    # -- live question radar (README: "Live question radar") -----------------------------
    #: Shared secret of the signed ingest webhook POST /live/comments; off when unset.
    live_ingest_secret: SecretStr | None = None
    #: YouTube Data API key for Live chat (liveChatMessages.list); off when unset.
    youtube_api_key: SecretStr | None = None
    #: YouTube Data API root URL (tests point it at a local server); None: Google's.
    youtube_api_url: str | None = None
    #: Slack channel where the live board is kept as one message, edited in place.
    slack_live_channel: str | None = None

    #: Time zone the team's daily digest time is read in.
    team_timezone: str = "UTC"

    #: Where downloaded media (photo answers, voice notes) are kept.
    media_dir: str = "media"
    #: Largest media file (photo, voice note) downloaded from a platform, in bytes.
    media_max_bytes: int = 16 * 1024 * 1024
    #: Largest inbound webhook body accepted, in bytes.
    max_body_bytes: int = 256 * 1024
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"
    #: Personal data (webhook payloads, message texts, inactive contacts) older than this
    #: many days is purged on schedule; 0 keeps everything.
    retention_days: int = 365

    # -- delivery at scale (docs/scaling.md) -------------------------------------------
    #: Messages per second one Telegram bot may send overall, and to one chat.
    telegram_mps: float = 30.0
    telegram_chat_mps: float = 1.0
    #: Messages per second to one Slack channel.
    slack_channel_mps: float = 1.0
    #: Processes running the outbox worker; each takes 1/N of every provider rate.
    outbox_workers: Annotated[int, Field(ge=1)] = 1
    #: Provider calls one worker keeps in flight at once.
    outbox_concurrency: Annotated[int, Field(ge=1, le=1000)] = 32
    #: A claimed message whose worker died is looked at again after this many seconds.
    outbox_lease_seconds: Annotated[float, Field(gt=0)] = 120.0
    #: How often the scheduler leader starts due conversations, reminds and expires.
    dispatch_interval_seconds: Annotated[float, Field(gt=0)] = 20.0
    #: Local hours in which no reminder goes out ("22:00-08:00"; intros follow the
    #: market's window in the flow).
    quiet_hours: str = "22:00-08:00"

    # -- Shopify (coupon codes created in the shop; off when unset) ------------------
    #: The shop's myshopify.com domain, e.g. luna-live.myshopify.com.
    shopify_shop: str | None = None
    #: Admin API access token of a custom app (write_discounts, read_orders scopes).
    shopify_admin_token: SecretStr | None = None
    shopify_api_version: str = "2025-10"
    #: Base URL of the Admin API; default https://<SHOPIFY_SHOP> (tests point it elsewhere).
    shopify_api_url: str | None = None
    #: Free codes kept created in the shop ahead of need, per pool.
    shopify_codes_ahead: Annotated[int, Field(ge=1)] = 500
    #: How often codes are topped up in the shop and its orders read for redemptions.
    shopify_sync_minutes: Annotated[float, Field(gt=0)] = 10.0

    @field_validator("flows_dir", mode="before")
    @classmethod
    def _path_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(os.pathsep, ",").split(",")
            return [part.strip() for part in parts if part.strip()]
        return value

    # -- inbound at scale and HTTP edges (docs/scaling.md) ------------------------------
    #: Inbound events one handler claims and handles per transaction.
    inbound_batch: Annotated[int, Field(ge=1, le=5000)] = 200
    #: Bearer token `/metrics` requires; unset, `/metrics` answers 404 (not exposed).
    metrics_token: SecretStr | None = None
    #: Seconds between two computations of the database figures `/metrics` shows.
    metrics_refresh_seconds: Annotated[float, Field(gt=0)] = 15.0
    #: A request body not received whole within this many seconds gets 408.
    http_body_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    #: Connections and requests one `serve` process holds at once; beyond, 503.
    http_max_connections: Annotated[int, Field(ge=1)] = 1000
    #: Idle keep-alive connections are closed after this many seconds.
    http_keepalive_seconds: Annotated[float, Field(gt=0)] = 5.0

    @field_validator("slack_admin_users", "slack_agent_users", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(
            self.twilio_account_sid and _given(self.twilio_auth_token) and self.twilio_whatsapp_from
        )

    @property
    def telegram_enabled(self) -> bool:
        return _given(self.telegram_bot_token)

    def missing_for(self, channel: str) -> list[str]:
        """The settings a channel still needs before it can send (empty: ready)."""
        needed: dict[str, tuple[tuple[str, object], ...]] = {
            "whatsapp": (
                ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                ("TWILIO_WHATSAPP_FROM", self.twilio_whatsapp_from),
            ),
            "telegram": (("TELEGRAM_BOT_TOKEN", self.telegram_bot_token),),
        }
        return [
            name
            for name, value in needed.get(channel, ())
            if not (_given(value) if isinstance(value, SecretStr) else bool(value))
        ]

    @property
    def shopify_enabled(self) -> bool:
        return bool(self.shopify_shop and self.shopify_shop.strip()) and _given(
            self.shopify_admin_token
        )

    @property
    def slack_enabled(self) -> bool:
        return _given(self.slack_bot_token) and _given(self.slack_signing_secret)


def _given(secret: SecretStr | None) -> bool:
    """`TOKEN=` in a .env file is an empty string, not a token: the channel stays off."""
    return bool(secret and secret.get_secret_value().strip())
