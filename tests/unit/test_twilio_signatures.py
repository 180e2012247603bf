"""The webhook's own signature check agrees with the Twilio SDK's on every case the SDK
distinguishes: with or without the port, SHA-1 or SHA-256, a query, a wrong or
truncated signature, non-ASCII fields, an empty form."""

from __future__ import annotations

import pytest
from twilio.request_validator import HMAC_SHA1, HMAC_SHA256, RequestValidator

from adapters.whatsapp.webhook import Signatures

TOKEN = "test-auth-token"
FORM = {
    "MessageSid": "SM" + "a" * 32,
    "From": "whatsapp:+12125550100",
    "Body": "Ótimo! 👍 & more=yes",
    "NumMedia": "0",
}


def _cases() -> list[tuple[str, str, dict[str, str], str | None]]:
    """(URL signed, URL checked, form, algorithm)."""
    cases: list[tuple[str, str, dict[str, str], str | None]] = []
    for algorithm in (None, HMAC_SHA1, HMAC_SHA256):
        for signed, checked in (
            ("https://bot.example/webhooks/whatsapp", "https://bot.example/webhooks/whatsapp"),
            ("https://bot.example:443/webhooks/whatsapp", "https://bot.example/webhooks/whatsapp"),
            ("https://bot.example/webhooks/whatsapp", "https://bot.example:443/webhooks/whatsapp"),
            ("http://127.0.0.1:8000/w?outbox=k%3A1", "http://127.0.0.1:8000/w?outbox=k%3A1"),
            ("https://bot.example/webhooks/whatsapp", "https://other.example/webhooks/whatsapp"),
        ):
            for form in (FORM, {}, {**FORM, "Body": ""}):
                cases.append((signed, checked, form, algorithm))
    return cases


@pytest.mark.parametrize(("signed", "checked", "form", "algorithm"), _cases())
def test_agrees_with_the_sdk(
    signed: str, checked: str, form: dict[str, str], algorithm: str | None
) -> None:
    sdk = RequestValidator(TOKEN)
    ours = Signatures(TOKEN)
    good = sdk.compute_signature(signed, form, algorithm)
    for signature in (good, good[:-2], good.lower(), "", "x" * len(good)):
        expected = sdk.validate(checked, form, signature, algorithm)
        assert ours.validate(checked, form, signature, algorithm) == expected
        # Twice: the second answer comes from the cached URL variants.
        assert ours.validate(checked, form, signature, algorithm) == expected


def test_a_genuine_request_passes_and_a_tampered_one_does_not() -> None:
    url = "https://bot.example/webhooks/whatsapp"
    signature = RequestValidator(TOKEN).compute_signature(url, FORM)
    ours = Signatures(TOKEN)
    assert ours.validate(url, FORM, signature)
    assert not ours.validate(url, {**FORM, "Body": "tampered"}, signature)
    assert not Signatures("another-token").validate(url, FORM, signature)


def test_an_unknown_algorithm_is_refused_as_the_sdk_does() -> None:
    url = "https://bot.example/webhooks/whatsapp"
    signature = RequestValidator(TOKEN).compute_signature(url, FORM)
    assert not Signatures(TOKEN).validate(url, FORM, signature, "HMAC_MD5")
