"""`campaign status` fits a 100-column terminal, headers whole, even at 100,000s."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

from rich.console import Console

from bot.models import Campaign
from bot.status import CampaignReport, MarketStatus


def test_campaign_status_fits_100_columns_with_whole_headers() -> None:
    big = 123_456
    markets = {
        name: MarketStatus(
            name,
            planned=big,
            scheduled=big,
            next_send=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
            timezone=zone,
            sent=big,
            delivered=big,
            read=big,
            started=big,
            completed=big,
            expired=big,
            failed=big,
            opted_out=big,
            skipped=big,
        )
        for name, zone in (("US", "America/New_York"), ("JP", "Asia/Tokyo"))
    }
    report = CampaignReport(
        Campaign(id=12, flow_id="post-live", audience_tag="show-1", show="Winter Knits"),
        markets=markets,
        deliveries={"US": Counter({"sent": big, "delivered": big, "read": big, "failed": 3})},
    )
    screen = io.StringIO()
    Console(file=screen, width=100).print(report.render())
    lines = screen.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "…" not in screen.getvalue()
    header = next(line for line in lines if "market" in line and "planned" in line)
    for word in ("waiting", "sent", "deliv.", "read", "started", "done", "opt-out", "skipped"):
        assert word in header
    assert "123456" in screen.getvalue()
