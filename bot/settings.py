"""All configuration in one typed object, read from the environment or `.env`.

Passed in from the composition root (`bot.bootstrap`), never read from os.environ
elsewhere, so tests build one with exactly the values they need.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite:///postlive.db"
    public_base_url: str = "http://localhost:8000"
    team_language: str = "en"
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
    slack_api_url: str = "https://slack.com/api/"

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    openai_model: str = "gpt-4.1-mini"
    postlive_analyzer: Literal["auto", "openai", "offline"] = "auto"
    #: Prompt tokens per analysis request (answers are batched up to this budget).
    analysis_batch_tokens: int = 6000
    #: Tokens (prompt + completion) one campaign's analysis may spend; then the team is warned.
    analysis_campaign_token_cap: int = 2_000_000

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

    @field_validator("slack_admin_users", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(
            self.twilio_account_sid and self.twilio_auth_token and self.twilio_whatsapp_from
        )

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None
