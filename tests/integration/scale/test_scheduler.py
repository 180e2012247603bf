"""Periodic jobs: stored in the database, resumed after a restart with clear misfire
rules, and run by one leader however many processes share the database."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from bot.bootstrap import App
from bot.db import make_engine
from bot.scheduler import JobScheduler, Leadership, every, run_job, standard_jobs


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def left_behind(database_url: str, job_id: str, next_run: datetime, hours: float = 1) -> None:
    """What a process that died leaves in the job table: a job due at `next_run`."""
    engine = make_engine(database_url)
    store = SQLAlchemyJobStore(engine=engine)
    scheduler = BackgroundScheduler(timezone=UTC)  # never started: only writes the row
    store.start(scheduler, "default")
    job = Job(
        scheduler,
        id=job_id,
        func=run_job,
        args=("a-process-that-died", job_id),
        kwargs={},
        name=job_id,
        trigger=IntervalTrigger(hours=hours, timezone=UTC),
        executor="default",
        misfire_grace_time=60,
        coalesce=True,
        max_instances=1,
        next_run_time=next_run,
    )
    store.add_job(job)
    store.shutdown()


def test_adding_a_job_is_one_line_and_the_standard_jobs_are_there(app: App) -> None:
    names = [job.name for job in standard_jobs(app)]
    assert names[:2] == ["dispatch", "intake-retry"]
    runs: Counter[str] = Counter()
    scheduler = JobScheduler(
        app.settings.database_url,
        [every("count", lambda: runs.update(["count"]), seconds=0.2)],
    )
    scheduler.start()
    try:
        wait_until(lambda: runs["count"] >= 2)
    finally:
        scheduler.shutdown()


def test_after_a_restart_jobs_keep_their_schedule(app: App) -> None:
    jobs = [every("digest", lambda: None, hours=6)]
    first = JobScheduler(app.settings.database_url, jobs)
    first.start()
    planned = first.next_run_times()["digest"]
    first.shutdown()

    second = JobScheduler(app.settings.database_url, jobs)
    second.start()
    try:
        assert second.next_run_times() == {"digest": planned}  # not postponed, not rerun
    finally:
        second.shutdown()


def test_a_run_missed_while_down_is_made_up_once_within_its_grace_time(app: App) -> None:
    now = datetime.now(UTC)
    left_behind(app.settings.database_url, "dispatch", now - timedelta(seconds=30))
    runs: Counter[str] = Counter()
    scheduler = JobScheduler(
        app.settings.database_url,
        [every("dispatch", lambda: runs.update(["dispatch"]), hours=1, grace=60)],
    )
    scheduler.start()
    try:
        wait_until(lambda: scheduler.runs.get("dispatch", 0) >= 1)
        time.sleep(0.2)
        assert runs["dispatch"] == 1
        assert scheduler.next_run_times()["dispatch"] > now + timedelta(minutes=59)
    finally:
        scheduler.shutdown()


def test_runs_missed_longer_ago_than_the_grace_time_are_skipped(app: App) -> None:
    now = datetime.now(UTC)
    # A two-hourly run missed 90 minutes ago, far beyond its minute of grace: skipped,
    # and the job waits for its next time (30 minutes from now).
    due = now - timedelta(minutes=90)
    left_behind(app.settings.database_url, "digest", due, hours=2)
    runs: Counter[str] = Counter()
    scheduler = JobScheduler(
        app.settings.database_url,
        [every("digest", lambda: runs.update(["digest"]), hours=2, grace=60)],
    )
    scheduler.start()
    try:
        wait_until(lambda: scheduler.next_run_times()["digest"] > now)
        time.sleep(0.3)
        assert runs["digest"] == 0
        assert scheduler.next_run_times()["digest"] == due + timedelta(hours=2)
    finally:
        scheduler.shutdown()


def test_a_job_removed_from_the_code_is_removed_from_the_store(app: App) -> None:
    left_behind(app.settings.database_url, "old-job", datetime.now(UTC) + timedelta(hours=1))
    scheduler = JobScheduler(app.settings.database_url, [every("new", lambda: None, hours=1)])
    scheduler.start()
    try:
        assert set(scheduler.next_run_times()) == {"new"}
    finally:
        scheduler.shutdown()


@pytest.mark.timeout(30)
async def test_only_one_process_leads_and_another_takes_over_when_it_stops(app: App) -> None:
    runs: Counter[str] = Counter()
    url = app.settings.database_url

    def leader(name: str) -> Leadership:
        job = every("tick", lambda: runs.update([name]), seconds=0.1)
        return Leadership(url, [job], retry=0.1)

    first, second = leader("first"), leader("second")
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(first.run(stop_first)),
        asyncio.create_task(second.run(stop_second)),
    ]
    try:
        await _until(lambda: first.leading or second.leading)
        await asyncio.sleep(0.5)
        assert first.leading != second.leading, "exactly one leader"
        lead, follow = (first, second) if first.leading else (second, first)
        lead_name, follow_name = ("first", "second") if lead is first else ("second", "first")
        assert runs[lead_name] > 0 and runs[follow_name] == 0

        (stop_first if lead is first else stop_second).set()
        await _until(lambda: follow.leading)
        before = runs[follow_name]
        await _until(lambda: runs[follow_name] > before)
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(*tasks)


@pytest.mark.timeout(30)
async def test_a_leader_that_loses_its_database_connection_stops_running_jobs(
    app: App,
) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock lives in a PostgreSQL session; SQLite uses a file lock")
    url = app.settings.database_url
    leader = Leadership(url, [every("tick", lambda: None, seconds=1)], retry=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(leader.run(stop))
    try:
        await _until(lambda: leader.leading)
        with app.engine.connect() as conn:  # what a database failover does to the session
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                )
            )
        await _until(lambda: not leader.leading)
        await _until(lambda: leader.leading)  # it may lead again once it holds the lock
    finally:
        stop.set()
        await task


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
