"""Prometheus metrics.

Queue depth, message statuses and analysis tokens are read from the database, so every
replica reports the same truth however many workers share the outbox; they are computed
on a schedule (`Metrics.refresh`, every METRICS_REFRESH_SECONDS), never per scrape, so
scrapers cannot put load on the database whatever their number. Request counts,
latencies and the inbound handler's lag are per process, as Prometheus expects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.clock import Clock, utc
from bot.models import Campaign, InboundEvent, Outbox, OutboxStatus


class DatabaseCollector(Collector):
    """Yields the figures of the last `refresh`, computed on a schedule."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock
        self._last: list[GaugeMetricFamily] = []
        self.refreshed = False

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._last

    def refresh(self) -> None:
        self._last = list(self._compute())
        self.refreshed = True

    def _compute(self) -> Iterator[GaugeMetricFamily]:
        outbound = GaugeMetricFamily(
            "postlive_outbox_messages",
            "Outbox rows by channel and status",
            labels=["channel", "status"],
        )
        depth = GaugeMetricFamily("postlive_outbox_queue_depth", "Messages waiting to be sent")
        age = GaugeMetricFamily(
            "postlive_outbox_oldest_age_seconds", "Age of the oldest waiting message"
        )
        failures = GaugeMetricFamily(
            "postlive_outbox_failures", "Failed messages by error code", labels=["channel", "code"]
        )
        inbound = GaugeMetricFamily(
            "postlive_inbound_events",
            "Inbound events by channel and status",
            labels=["channel", "status"],
        )
        tokens = GaugeMetricFamily(
            "postlive_analysis_tokens", "Analysis tokens spent", labels=["kind"]
        )
        with Session(self.engine) as session:
            for channel, status, n in session.execute(
                select(Outbox.channel, Outbox.status, func.count()).group_by(
                    Outbox.channel, Outbox.status
                )
            ):
                outbound.add_metric([channel, status], n)
            waiting, oldest = session.execute(
                select(func.count(), func.min(Outbox.created_at)).where(
                    col(Outbox.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            ).one()
            depth.add_metric([], waiting)
            age.add_metric([], _age(self.clock.now(), oldest))
            for channel, code, n in session.execute(
                select(Outbox.channel, Outbox.error_code, func.count())
                .where(Outbox.status == OutboxStatus.FAILED)
                .group_by(col(Outbox.channel), col(Outbox.error_code))
            ):
                failures.add_metric([channel, code or "unknown"], n)
            for channel, status, n in session.execute(
                select(InboundEvent.channel, InboundEvent.status, func.count()).group_by(
                    InboundEvent.channel, InboundEvent.status
                )
            ):
                inbound.add_metric([channel, status], n)
            prompt, completion = session.execute(
                select(
                    func.coalesce(func.sum(Campaign.analysis_prompt_tokens), 0),
                    func.coalesce(func.sum(Campaign.analysis_completion_tokens), 0),
                )
            ).one()
            tokens.add_metric(["prompt"], prompt)
            tokens.add_metric(["completion"], completion)
        yield from (outbound, depth, age, failures, inbound, tokens)


def _age(now: datetime, oldest: datetime | None) -> float:
    return max(0.0, (now - utc(oldest)).total_seconds()) if oldest else 0.0


class Metrics:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.registry = CollectorRegistry()
        self.database = DatabaseCollector(engine, clock)
        self.registry.register(self.database)
        self.inbound_lag = Gauge(
            "postlive_inbound_lag_seconds",
            "How long the oldest unhandled inbound event has waited (this process's view)",
            registry=self.registry,
        )
        self.inbound_pending = Gauge(
            "postlive_inbound_pending",
            "Inbound events waiting to be handled",
            registry=self.registry,
        )
        self.requests = Counter(
            "postlive_http_requests", "HTTP requests", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "postlive_http_request_seconds",
            "HTTP request latency",
            ["path"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def refresh(self) -> None:
        """Recompute the database figures (the web app does it on a schedule)."""
        self.database.refresh()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request by route path (not the raw URL: bounded labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.paths else "other"
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            self.metrics.requests.labels(path, str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)
