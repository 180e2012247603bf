"""Database engine, sessions and migrations.

SQLite (WAL) is the zero-configuration default; PostgreSQL is the production engine.
Code that must behave differently (row locks) asks `dialect_supports_skip_locked`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, **kw: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN until the first write, which lets
        # two writers read the same row and then collide; BEGIN IMMEDIATE takes the write
        # lock at the start, the SQLite counterpart of SELECT ... FOR UPDATE.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


#: Execution option of a connection that only reads (see `reading`).
READ_ONLY = "postlive_read_only"


def _sqlite_begin(conn: Connection) -> None:
    read_only = conn.get_execution_options().get(READ_ONLY)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only. On SQLite its transaction is deferred: it reads a
    snapshot of the write-ahead log without taking the write lock, so a monitor that
    looks twice a second (handling lag, a benchmark's sampler) never makes an
    acknowledgement or a batch wait behind it. Elsewhere an ordinary connection."""
    with engine.connect() as conn:
        yield conn.execution_options(**{READ_ONLY: True})


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see make_engine)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # Deleted and overwritten rows are zeroed on disk, not left in free pages for anyone
    # reading the file: an erased customer's words must not survive in the database file.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def checkpoint_wal(engine: Engine) -> tuple[int, int, int] | None:
    """Copy the SQLite write-ahead log into the database and truncate it to zero bytes,
    so old versions of erased rows do not stay in the -wal file. Returns SQLite's
    (busy, log frames, checkpointed frames); None on other engines (nothing to do)."""
    if engine.dialect.name != "sqlite":
        return None
    # On the DBAPI connection: SQLAlchemy would open a transaction first (BEGIN
    # IMMEDIATE, see make_engine), and a checkpoint cannot truncate inside one.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        raw.close()
    return int(row[0]), int(row[1]), int(row[2])


def upsert_insert(session: Session) -> Any:
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL both do)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def supports_skip_locked(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commits only when the block ends without error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    if _at_head(engine):
        return  # nothing to do: skip importing Alembic, a third of a short command's time
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+)$", re.MULTILINE)


def _script_heads() -> set[str] | None:
    """The newest revisions of bot/migrations, read from the files' own `revision` and
    `down_revision` lines; None when a file does not read plainly (Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    return revisions - parents or None


def _at_head(engine: Engine) -> bool:
    heads = _script_heads()
    if heads is None:
        return False
    try:
        with engine.connect() as conn:
            stored = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except Exception:  # noqa: BLE001 - no table yet, or unreachable: let Alembic say
        return False
    return stored == heads


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - health check reports, never raises
        return False


def affected(result: Any) -> int:
    """Rows an UPDATE or DELETE matched (its CursorResult's rowcount; the ORM's
    `Session.execute` is typed as returning a plain Result), the same on SQLite and
    PostgreSQL. Not an INSERT's: psycopg reports -1 rows for INSERT ... ON CONFLICT, so
    an insert tells a new row with RETURNING (as `outbox.enqueue` does)."""
    context = getattr(result, "context", None)
    if context is None or not (context.isupdate or context.isdelete):
        raise TypeError("affected() counts UPDATE and DELETE rows; count an INSERT with RETURNING")
    count = int(result.rowcount)
    if count < 0:  # pragma: no cover - no driver we use does this for UPDATE/DELETE
        raise RuntimeError("the database driver did not say how many rows changed")
    return count
