"""A local stand-in for Twilio, at the network edge only.

It plays both of Twilio's parts:

- the REST API the real `twilio` SDK talks to (pointed here by TWILIO_API_URL):
  POST /2010-04-01/Accounts/{Sid}/Messages.json with basic auth, answering like Twilio
  (201 + the Message resource, sid "SM" + 32 hex, status "queued"), or refusing on
  demand (a 429 burst with Retry-After, an error code for one recipient, a 5xx);
  GET the same path to list messages (To, From, DateSent> filters, newest first) and
  GET .../Messages/{Sid}.json to fetch one; media URLs that need the account's
  credentials and redirect to a "CDN";
- the webhook caller: messages and status callbacks, signed with the auth token exactly
  as Twilio signs them (RequestValidator.compute_signature over the public URL); with
  `callbacks_to` it posts a "sent" status callback for every message it accepts, on its
  own, as Twilio does (signed over the StatusCallback URL, delivered to a local server).

Every request is recorded, so tests assert on what Twilio would have received.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from twilio.request_validator import RequestValidator

from tests.fake_server import BurstServer, LocalServer

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "f4k3-4uth-t0k3n-for-tests"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@dataclass(frozen=True)
class Refusal:
    status: int
    code: int
    message: str
    retry_after: str | None = None


@dataclass
class Created:
    """A message Twilio accepted."""

    sid: str
    to: str
    from_: str | None
    body: str | None
    content_sid: str | None
    content_variables: dict[str, str] | None
    status_callback: str | None
    media_url: list[str] = field(default_factory=list)
    messaging_service_sid: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "queued"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    authorized: bool
    headers: dict[str, str]


class FakeTwilio:
    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        latency: float = 0.0,
        hold_until_in_flight: int = 0,
        callbacks_to: tuple[str, str] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        #: Seconds a create takes after the message is accepted (so a client that dies
        #: meanwhile has reached the customer, as with the real service).
        self.latency = latency
        #: Answer no create until this many are in flight at once (or 10 s have passed):
        #: shows concurrency without depending on how fast a busy machine starts threads.
        self.hold_until_in_flight = hold_until_in_flight
        #: (public base URL, local base URL): status callbacks go to the local server,
        #: signed over the public URL Twilio was given.
        self.callbacks_to = callbacks_to
        self.callbacks: Counter[int] = Counter()
        self.callback_errors: Counter[str] = Counter()
        #: Creates being answered right now, and the most at once.
        self.in_flight = 0
        self.max_in_flight = 0
        self._callback_pool = ThreadPoolExecutor(4) if callbacks_to else None
        self._callback_client = httpx.Client(timeout=10) if callbacks_to else None
        self.requests: list[Recorded] = []
        self.messages: list[Created] = []
        self._refusals: deque[Refusal | None] = deque()
        self._refuse_to: dict[str, Refusal] = {}
        self._media: dict[str, tuple[bytes, str]] = {}
        #: Requests to the CDN that carried our Authorization header (must stay empty).
        self.leaked_auth: list[str] = []
        self._lock = threading.Lock()
        self._gathered = threading.Condition(self._lock)
        # Two servers: the API, and the storage host media URLs redirect to (another
        # origin, as in production, so credentials must not follow the redirect).
        self._servers = [
            LocalServer(_handler(self), server_class=_Server, poll_interval=0.02) for _ in "ab"
        ]

    # -- life cycle ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._servers[0].url

    @property
    def cdn_url(self) -> str:
        return self._servers[1].url

    def __enter__(self) -> FakeTwilio:
        for server in self._servers:
            server.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._callback_pool is not None:
            self._callback_pool.shutdown(wait=True, cancel_futures=True)
        if self._callback_client is not None:
            self._callback_client.close()
        for server in self._servers:
            server.stop()

    # -- scripting the API ---------------------------------------------------------

    def refuse_next(
        self,
        count: int,
        status: int = 429,
        code: int = 20429,
        message: str = "Too Many Requests",
        retry_after: str | None = "0",
        *,
        after: int = 0,
    ) -> None:
        """The next `count` message creations (once `after` more are accepted) fail."""
        with self._lock:
            self._refusals.extend([None] * after)
            self._refusals.extend([Refusal(status, code, message, retry_after)] * count)

    def refuse_to(self, number: str, code: int, message: str = "", status: int = 400) -> None:
        """Every message to `number` ("+E164") fails with `code` from now on."""
        self._refuse_to[f"whatsapp:{number}"] = Refusal(status, code, message or f"error {code}")

    def add_media(self, data: bytes, content_type: str) -> str:
        """A media URL as Twilio puts it in a webhook (credentials needed, redirects)."""
        media_sid = "ME" + uuid.uuid4().hex
        self._media[media_sid] = (data, content_type)
        message_sid = "MM" + uuid.uuid4().hex
        return (
            f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages/{message_sid}"
            f"/Media/{media_sid}"
        )

    def sent_to(self, number: str) -> list[Created]:
        return [m for m in self.messages if m.to == f"whatsapp:{number}"]

    def duplicates(self) -> int:
        """Messages accepted twice for the same recipient and content."""
        seen = Counter(
            (
                m.to,
                m.body,
                m.content_sid,
                m.content_variables and json.dumps(m.content_variables, sort_keys=True),
            )
            for m in self.messages
        )
        return sum(n - 1 for n in seen.values() if n > 1)

    def _call_back(self, created: Created) -> None:
        """Post a signed "sent" status callback for `created`, as Twilio does on its own."""
        assert self.callbacks_to is not None and created.status_callback
        public, local = self.callbacks_to
        form = self.status_form(created.sid, "sent")
        signature = self.sign(created.status_callback, form)
        url = local + created.status_callback.removeprefix(public)
        for _ in range(20):  # Twilio retries a callback that did not get an answer
            try:
                response = self._callback_client.post(  # type: ignore[union-attr]
                    url, data=form, headers={"X-Twilio-Signature": signature}
                )
            except httpx.HTTPError as exc:
                self.callback_errors[type(exc).__name__] += 1
                time.sleep(0.2)
                continue
            self.callbacks[response.status_code] += 1
            if response.status_code < 500:
                return
            time.sleep(0.2)

    def create_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == MESSAGES and r.method == "POST"]

    # -- Twilio calling us ---------------------------------------------------------

    def sign(self, url: str, form: dict[str, str], token: str | None = None) -> str:
        return RequestValidator(token or self.auth_token).compute_signature(url, form)

    def inbound_form(
        self,
        number: str,
        body: str = "",
        *,
        sid: str | None = None,
        profile: str = "Alice",
        media: tuple[tuple[str, str], ...] = (),
        **extra: str,
    ) -> dict[str, str]:
        """The form Twilio posts for a WhatsApp message from `number` ("+E164")."""
        sid = sid or ("SM" if not media else "MM") + uuid.uuid4().hex
        form = {
            "SmsMessageSid": sid,
            "NumMedia": str(len(media)),
            "ProfileName": profile,
            "MessageType": "image" if media else "text",
            "SmsSid": sid,
            "WaId": number.lstrip("+"),
            "SmsStatus": "received",
            "Body": body,
            "To": "whatsapp:+14155238886",
            "NumSegments": "1",
            "ReferralNumMedia": "0",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": f"whatsapp:{number}",
            "ApiVersion": "2010-04-01",
        }
        for index, (url, content_type) in enumerate(media):
            form[f"MediaUrl{index}"] = url
            form[f"MediaContentType{index}"] = content_type
        form.update(extra)
        return form

    def status_form(self, sid: str, status: str, error_code: int | None = None) -> dict[str, str]:
        """The form of a status callback for the message `sid` we accepted."""
        message = next(m for m in self.messages if m.sid == sid)
        form = {
            "ChannelPrefix": "whatsapp",
            "ApiVersion": "2010-04-01",
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "ChannelToAddress": message.to.removeprefix("whatsapp:"),
            "To": message.to,
            "From": message.from_ or "",
            "MessageSid": sid,
            "AccountSid": self.account_sid,
        }
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
            form["ChannelStatusMessage"] = f"error {error_code}"
        return form

    async def post(
        self,
        client: httpx.AsyncClient,
        url: str,
        form: dict[str, str],
        *,
        signature: str | None = None,
    ) -> httpx.Response:
        """POST `form` to `url` as Twilio does: urlencoded, X-Twilio-Signature over it."""
        headers = {"X-Twilio-Signature": signature or self.sign(url, form)}
        return await client.post(url, data=form, headers=headers)

    async def report(
        self, client: httpx.AsyncClient, sid: str, status: str, error_code: int | None = None
    ) -> httpx.Response:
        """Post a status callback to the StatusCallback URL the message was sent with."""
        message = next(m for m in self.messages if m.sid == sid)
        assert message.status_callback, "the message was sent without a StatusCallback"
        return await self.post(
            client, message.status_callback, self.status_form(sid, status, error_code)
        )

    # -- the API itself ------------------------------------------------------------

    def _create(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        one = {k: v[-1] for k, v in form.items()}
        with self._lock:
            refusal = self._refusals.popleft() if self._refusals else None
        refusal = refusal or self._refuse_to.get(one.get("To", ""))
        if refusal is not None:
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else {}
            return refusal.status, _error(refusal.code, refusal.message, refusal.status), headers
        problem = _invalid(one)
        if problem is not None:
            return 400, _error(*problem, 400), {}
        sid = "SM" + uuid.uuid4().hex
        variables = one.get("ContentVariables")
        created = Created(
            sid=sid,
            to=one["To"],
            from_=one.get("From"),
            body=one.get("Body"),
            content_sid=one.get("ContentSid"),
            content_variables=json.loads(variables) if variables else None,
            status_callback=one.get("StatusCallback"),
            media_url=form.get("MediaUrl", []),
            messaging_service_sid=one.get("MessagingServiceSid"),
        )
        with self._lock:
            self.messages.append(created)
        if self._callback_pool is not None and created.status_callback:
            self._callback_pool.submit(self._call_back, created)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self.hold_until_in_flight:
                self._gathered.notify_all()
                self._gathered.wait_for(
                    lambda: self.max_in_flight >= self.hold_until_in_flight, timeout=10
                )
        try:
            if self.latency:
                time.sleep(self.latency)
        finally:
            with self._lock:
                self.in_flight -= 1
        return 201, self._resource(created), {}

    def _resource(self, created: Created) -> dict[str, Any]:
        """The Message resource as Twilio's API returns it."""
        sid = created.sid
        at = format_datetime(created.created_at, usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": created.body or "",
            "date_created": at,
            # Handed to WhatsApp at once here; Twilio fills this when it sends.
            "date_sent": at,
            "date_updated": at,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": created.from_,
            "messaging_service_sid": created.messaging_service_sid,
            "num_media": str(len(created.media_url)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": created.status,
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": created.to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """GET Messages.json: To, From and DateSent> filters, newest first, one page."""
        one = {k: v[-1] for k, v in query.items()}
        after = one.get("DateSent>")
        since = datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        size = int(one.get("PageSize", "50"))
        with self._lock:
            found = [
                m
                for m in self.messages
                if (not one.get("To") or m.to == one["To"])
                and (not one.get("From") or m.from_ == one["From"])
                # Twilio compares whole seconds (the filter has no fraction).
                and (since is None or m.created_at.replace(microsecond=0) >= since)
            ]
        page = [self._resource(m) for m in reversed(found)][:size]
        return {
            "messages": page,
            "end": max(0, len(page) - 1),
            "first_page_uri": MESSAGES,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": MESSAGES,
        }

    def _fetch(self, sid: str) -> Created | None:
        with self._lock:
            return next((m for m in self.messages if m.sid == sid), None)

    def _authorized(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"


class _Server(BurstServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client killed mid-request (the crash tests do it on purpose) is no news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _invalid(form: dict[str, str]) -> tuple[int, str] | None:
    """What Twilio itself would refuse in a create request."""
    if not form.get("To", "").startswith("whatsapp:+"):
        return 21211, f"The 'To' number {form.get('To')} is not a valid phone number."
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return 21603, "A 'From' or 'MessagingServiceSid' parameter is required"
    if not (form.get("Body") or form.get("ContentSid") or form.get("MediaUrl")):
        return 21619, "A text message body or media urls must be specified."
    if len(form.get("Body", "").encode("utf-16-le")) // 2 > 1600:
        return 21617, "The concatenated message body exceeds the 1600 character limit."
    variables = form.get("ContentVariables")
    if variables is not None:
        if not form.get("ContentSid"):
            return 21654, "ContentSid Required"
        try:
            json.loads(variables)
        except ValueError:
            return 21656, "The ContentVariables Parameter is invalid"
    return None


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data: dict[str, Any], headers: dict[str, str]) -> None:
            body = json.dumps(data).encode()
            self._send(status, body, {"Content-Type": "application/json", **headers})

        def _record(self, form: dict[str, list[str]]) -> bool:
            authorized = fake._authorized(self.headers.get("Authorization"))
            with fake._lock:
                fake.requests.append(
                    Recorded(
                        self.command,
                        urlsplit(self.path).path,
                        form,
                        authorized,
                        dict(self.headers.items()),
                    )
                )
            return authorized

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = parse_qs(raw, keep_blank_values=True)
            if not self._record(form):
                self._json(401, _error(20003, "Authenticate", 401), {})
                return
            if urlsplit(self.path).path != MESSAGES:
                self._json(404, _error(20404, "The requested resource was not found", 404), {})
                return
            status, data, headers = fake._create(form)
            self._json(status, data, headers)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlsplit(self.path).path
            if path.startswith("/cdn/"):
                if self.headers.get("Authorization"):
                    fake.leaked_auth.append(path)
                media = fake._media.get(path.removeprefix("/cdn/"))
                if media is None:
                    self._send(404, b"gone", {"Content-Type": "text/plain"})
                else:
                    self._send(200, media[0], {"Content-Type": media[1]})
                return
            if not self._record(parse_qs(urlsplit(self.path).query)):
                self._json(401, _error(20003, "Authenticate", 401), {})
                return
            if path == MESSAGES:
                self._json(200, fake._list(parse_qs(urlsplit(self.path).query)), {})
                return
            prefix = MESSAGES.removesuffix(".json") + "/"
            if path.startswith(prefix) and path.endswith(".json") and "/Media" not in path:
                found = fake._fetch(path.removeprefix(prefix).removesuffix(".json"))
                if found is None:
                    self._json(404, _error(20404, "The requested resource was not found", 404), {})
                else:
                    self._json(200, fake._resource(found), {})
                return
            media_sid = path.rpartition("/Media/")[2]
            if "/Media/" not in path or media_sid not in fake._media:
                self._json(404, _error(20404, "The requested resource was not found", 404), {})
                return
            # Twilio answers a media URL with a redirect to short-lived storage.
            self._send(307, b"", {"Location": f"{fake.cdn_url}/cdn/{media_sid}"})

    return Handler
