"""The twilio SDK's REST client, built from settings.

Three things the stock client does not do for us:

- `TWILIO_API_URL` moves every request to another base URL (tests point it at a local
  fake Twilio). The SDK has no base-URL option for the whole client, so its HTTP client
  rewrites the `https://api.twilio.com` prefix of each request URL: the SDK itself, its
  resource paths and its error parsing stay exactly what production runs.
- `TwilioRestException` does not carry response headers, yet a 429 says in
  `Retry-After` when to come back. The HTTP client keeps the last response per thread,
  so the sender (which calls the SDK in a worker thread) can read it after an error.
- It pools only min(32, cpus + 4) connections; we keep one per send in flight
  (OUTBOX_CONCURRENCY).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.settings import Settings

TWILIO_API = "https://api.twilio.com"
#: Seconds one REST call may take before we give up and let the outbox retry it.
TIMEOUT = 15.0
#: A Retry-After longer than this is read as this: the outbox retries within the hour.
MAX_RETRY_AFTER = 3600.0


class RedirectingHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends `https://api.twilio.com/...` to `base_url/...`."""

    def __init__(
        self, base_url: str = TWILIO_API, timeout: float = TIMEOUT, connections: int = 32
    ) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()
        # The SDK pools min(32, cpus + 4) connections (6 on two cores): every send beyond
        # that would wait for a socket. Keep one per send the worker keeps in flight.
        if self.session is not None:
            for scheme in ("https://", "http://"):
                self.session.mount(scheme, HTTPAdapter(pool_maxsize=connections))

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self.base_url != TWILIO_API and url.startswith(TWILIO_API + "/"):
            url = self.base_url + url[len(TWILIO_API) :]
        self._local.response = None
        response = super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )
        self._local.response = response
        return response

    def last_response(self) -> Response | None:
        """The response this thread received last (None before any, or after a network
        error)."""
        return getattr(self._local, "response", None)


def build_client(settings: Settings) -> Client:
    """The SDK client for `settings` (which must enable WhatsApp)."""
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    return Client(
        settings.twilio_account_sid,
        token,
        http_client=RedirectingHttpClient(
            settings.twilio_api_url, connections=settings.outbox_concurrency
        ),
        # Settings come from one typed object: keep the SDK from reading TWILIO_EDGE or
        # TWILIO_REGION out of os.environ behind our back (an empty mapping would not do:
        # the SDK falls back to os.environ when it is falsy).
        environment=_NO_ENVIRONMENT,
    )


_NO_ENVIRONMENT = {"POSTLIVE_SETTINGS": "bot.settings.Settings"}


def retry_after(response: Response | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), if there is one."""
    if response is None or not response.headers:
        return None
    headers: Any = response.headers
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
