"""Periodic jobs (dispatch, inbound retries, digests) on APScheduler 3, run by one leader.

Jobs live in a persistent APScheduler `SQLAlchemyJobStore` on the same database
(APScheduler creates and owns its `apscheduler_jobs` table; it is not part of our
migrations). After a restart the stored jobs resume where they were, and runs missed
while nobody was up follow one rule: `coalesce` makes any number of missed runs one run,
made only if the scheduler is back within the job's `misfire_grace_time`; older ones are
skipped (APScheduler logs each skip) and the job waits for its next time.

With several processes sharing the database, each job must run once, so only the leader
runs the scheduler: on PostgreSQL the process holding a session-level advisory lock
(`pg_try_advisory_lock`) on a dedicated connection. The lock goes with the connection,
so a leader that dies or loses the database frees it and another process takes over
within `retry` seconds. On SQLite (one machine) an exclusive lock on a file beside the
database plays the same part. The outbox worker is not a job: every process runs it,
since claims are exclusive.

Jobs are stored as a reference to `run_job` plus (scheduler key, job name), never as
pickled closures: the live callables stay in memory with the scheduler that registered
them, so adding a job is one line in `standard_jobs`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import inspect
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.db import make_engine

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
#: The advisory lock every postlive process on one database competes for.
LEADER_LOCK_KEY = int.from_bytes(hashlib.sha256(b"postlive:scheduler").digest()[:8], signed=True)


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: a name (its id in the store), when, and what to call."""

    name: str
    trigger: BaseTrigger
    run: Callable[[], object]
    #: A run missed by more than this many seconds is skipped, not made up.
    misfire_grace_time: int = 60


def every(
    name: str,
    run: Callable[[], object],
    *,
    seconds: float = 0,
    minutes: float = 0,
    hours: float = 0,
    grace: int | None = None,
) -> JobSpec:
    interval = timedelta(seconds=seconds, minutes=minutes, hours=hours).total_seconds()
    trigger = IntervalTrigger(seconds=interval, timezone=UTC)
    return JobSpec(name, trigger, run, grace if grace is not None else max(60, int(interval)))


def cron(
    name: str, run: Callable[[], object], *, grace: int = 3600, timezone: str = "UTC", **fields: Any
) -> JobSpec:
    """A job at wall-clock times, e.g. cron("digest", post, hour=9, timezone="Asia/Tokyo")."""
    return JobSpec(name, CronTrigger(timezone=timezone, **fields), run, grace)


def standard_jobs(app: App) -> list[JobSpec]:
    """The jobs every deployment runs, in the order `worker.tick` runs them. Add one with
    one line here; a job may be a plain or an async function."""
    from bot.analysis.runner import analyze_pending_logged

    return [
        every("dispatch", app.dispatcher.run_once, seconds=app.settings.dispatch_interval_seconds),
        every(
            "intake-retry",
            lambda: app.intake.retry_pending(app.clock.now() - timedelta(seconds=30)),
            minutes=1,
        ),
        every("analysis", lambda: analyze_pending_logged(app), minutes=1),
        every("retention", lambda: purge_expired_data(app), hours=6),
        every("erasure", lambda: finish_erasures(app), minutes=1),
        # The team's side (Slack): alerts, daily and final digests (registered by the
        # composition root from adapters.jobs).
        *app.adapter_jobs(app),
    ]


def finish_erasures(app: App) -> None:
    """Goodbyes to forgotten customers lose their address once sent; SQLite's -wal file
    is truncated after an erasure (bot.privacy.finish_erasures)."""
    from bot import privacy

    privacy.finish_erasures(app.engine)


def purge_expired_data(app: App) -> None:
    """Personal data past RETENTION_DAYS goes (bot.privacy.purge_expired)."""
    from bot.db import session_scope
    from bot.privacy import purge_expired

    with session_scope(app.engine) as session:
        report = purge_expired(session, app.clock.now(), app.settings.retention_days)
    if report.contacts or report.events or report.messages:
        log.info("retention purge: %s", report)


#: Live schedulers of this process by key: what a stored job reference resolves to.
_LIVE: dict[str, JobScheduler] = {}


def run_job(scheduler_key: str, name: str) -> None:
    """The callable stored in the job table (a module-level function, as APScheduler's
    persistent stores require); finds the live job of the scheduler that added it."""
    scheduler = _LIVE.get(scheduler_key)
    if scheduler is None:
        log.warning("job %s belongs to a scheduler that is gone; skipped", name)
        return
    scheduler.run(name)


class JobScheduler:
    """A BackgroundScheduler (its own thread; jobs run in a small thread pool, so the
    event loop never waits for the database) on a persistent job store."""

    def __init__(
        self,
        database_url: str,
        jobs: Sequence[JobSpec],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        workers: int = 4,
    ) -> None:
        self.database_url = database_url
        self.jobs = {job.name: job for job in jobs}
        self.loop = loop
        self.key = uuid.uuid4().hex
        self.runs: dict[str, int] = {}
        self._store_engine: Engine | None = None
        self._scheduler: BackgroundScheduler | None = None
        self.workers = workers

    def start(self) -> None:
        # APScheduler logs two INFO lines per run: 8,640 a day for the dispatch job alone.
        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
        self._store_engine = make_engine(self.database_url)
        self._scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self._store_engine)},
            executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        _LIVE[self.key] = self
        self._scheduler.start(paused=True)
        self._sync()
        self._scheduler.resume()

    def _sync(self) -> None:
        """Make the stored jobs match ours, keeping each unchanged job's next run time
        (a restart must not postpone, nor rerun, what was already scheduled)."""
        assert self._scheduler is not None
        stored = {job.id: job for job in self._scheduler.get_jobs()}
        for job_id in stored.keys() - self.jobs.keys():
            self._scheduler.remove_job(job_id)
        for spec in self.jobs.values():
            args = (self.key, spec.name)
            job = stored.get(spec.name)
            if job is not None and str(job.trigger) == str(spec.trigger):
                job.modify(args=args, misfire_grace_time=spec.misfire_grace_time)
                continue
            self._scheduler.add_job(
                run_job,
                trigger=spec.trigger,
                args=args,
                id=spec.name,
                name=spec.name,
                replace_existing=True,
                misfire_grace_time=spec.misfire_grace_time,
            )

    def run(self, name: str) -> None:
        spec = self.jobs.get(name)
        if spec is None:
            log.warning("no job %s in this process; skipped", name)
            return
        try:
            result = spec.run()
            if inspect.isawaitable(result):
                self._wait(result)
        except Exception:
            log.exception("job %s failed", name)
        finally:
            self.runs[name] = self.runs.get(name, 0) + 1

    def _wait(self, awaitable: Awaitable[object]) -> None:
        """An async job runs on the worker's event loop (where its clients live)."""
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(_coroutine(awaitable), self.loop).result()
        else:
            asyncio.run(_coroutine(awaitable))

    def next_run_times(self) -> dict[str, Any]:
        assert self._scheduler is not None
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=wait)  # also disposes the store's engine
        self._scheduler = None
        _LIVE.pop(self.key, None)


async def _coroutine(awaitable: Awaitable[object]) -> object:
    return await awaitable


# -- leadership --------------------------------------------------------------------------


class LeaderLock(Protocol):
    def try_acquire(self) -> bool: ...

    def is_held(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLeaderLock:
    """pg_try_advisory_lock on a connection of its own, held as long as we lead."""

    def __init__(self, database_url: str, key: int = LEADER_LOCK_KEY) -> None:
        self.engine = make_engine(database_url, poolclass=NullPool)
        self.key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def is_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it
            self._close()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._close()
        self.engine.dispose()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


class FileLeaderLock:
    """SQLite: one machine, so an exclusive lock on a file beside the database."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def is_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AlwaysLeader:
    """An in-memory database belongs to one process."""

    def try_acquire(self) -> bool:
        return True

    def is_held(self) -> bool:
        return True

    def release(self) -> None:
        return None


def leader_lock(database_url: str) -> LeaderLock:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeaderLock(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return FileLeaderLock(f"{url.database}.scheduler.lock")
    return AlwaysLeader()


class Leadership:
    """Runs the scheduler in this process while it holds the leader lock."""

    def __init__(
        self,
        database_url: str,
        jobs: Sequence[JobSpec],
        *,
        retry: float = 5.0,
        lock: LeaderLock | None = None,
    ) -> None:
        self.database_url = database_url
        self.jobs = jobs
        self.retry = retry
        self.lock = lock or leader_lock(database_url)
        self.scheduler: JobScheduler | None = None

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                try:
                    await self._check(loop)
                except Exception:  # noqa: BLE001 - database away: try again next round
                    log.exception("scheduler leadership check failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.retry)
        finally:
            await asyncio.to_thread(self._step_down)

    async def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.scheduler is None:
            if await asyncio.to_thread(self.lock.try_acquire):
                scheduler = JobScheduler(self.database_url, self.jobs, loop=loop)
                try:
                    await asyncio.to_thread(scheduler.start)
                except Exception:
                    await asyncio.to_thread(self.lock.release)
                    raise
                self.scheduler = scheduler
                log.info("this process leads the scheduler: %s", ", ".join(scheduler.jobs))
        elif not await asyncio.to_thread(self.lock.is_held):
            # Another process may already lead: stop at once rather than run jobs twice.
            log.error("lost the scheduler lock; this process stops running jobs")
            scheduler, self.scheduler = self.scheduler, None
            await asyncio.to_thread(scheduler.shutdown, False)

    def _step_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
        self.lock.release()
