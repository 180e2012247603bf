"""What Twilio's error codes mean for postlive, in one table.

The same codes arrive two ways: synchronously, as a `TwilioRestException` when the REST
call is refused, and later, as the `ErrorCode` of a failed status callback. Both paths
read this table, so a code means the same thing wherever it shows up.
"""

from __future__ import annotations

from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from bot.errors import (
    DeliveryError,
    OutsideWindow,
    RateLimited,
    RecipientOptedOut,
    RecipientUnreachable,
    TransientDeliveryError,
)
from bot.receipts import Reason

#: 63016: free-form message outside the 24-hour customer-service window.
OUTSIDE_WINDOW = frozenset({63016})
#: 21610: the recipient unsubscribed (replied STOP to this sender).
UNSUBSCRIBED = frozenset({21610})
#: 21211 invalid To, 21614 not a mobile number, 63003 channel could not find the To
#: address, 63024 invalid message recipient: nobody on WhatsApp at this number.
INVALID_ADDRESS = frozenset({21211, 21614, 63003, 63024})
#: 20429 too many requests, 63018 rate limit exceeded for the channel.
RATE_LIMITED = frozenset({20429, 63018})


def reason_for(code: int | None) -> Reason | None:
    """The neutral meaning of a Twilio error code, if it has one we act on."""
    if code in OUTSIDE_WINDOW:
        return Reason.OUTSIDE_WINDOW
    if code in UNSUBSCRIBED:
        return Reason.UNSUBSCRIBED
    if code in INVALID_ADDRESS:
        return Reason.INVALID_ADDRESS
    return None


def parse_code(value: object) -> int | None:
    """An error code from a callback field or an SDK exception ("63016", 63016, "")."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def delivery_error(
    exc: TwilioRestException | TwilioServiceException, retry_after: float | None
) -> DeliveryError:
    """The DeliveryError the outbox understands for a refused REST call."""
    status = int(exc.status or 0)
    code = parse_code(exc.code)
    text = str(getattr(exc, "msg", "") or getattr(exc, "title", "") or "").strip()
    detail = f"twilio {code or status}: {text}" if text else f"twilio {code or status}"
    if status == 429 or code in RATE_LIMITED:
        return RateLimited(retry_after, detail)
    reason = reason_for(code)
    if reason is Reason.UNSUBSCRIBED:
        return RecipientOptedOut(f"unsubscribed ({code})")
    if reason is Reason.INVALID_ADDRESS:
        return RecipientUnreachable(f"invalid or not a WhatsApp number ({code})")
    if reason is Reason.OUTSIDE_WINDOW:
        return OutsideWindow(f"outside the 24-hour window ({code})")
    if status >= 500 or status == 0:
        return TransientDeliveryError(detail)
    # Anything else (a bad ContentSid, auth) is not the customer's fault: the outbox
    # retries it a bounded number of times and then shows it failed with this text.
    return DeliveryError(detail)
