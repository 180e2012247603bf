"""A connection that only reads never waits for the writer (bot.db.reading).

SQLite transactions here begin IMMEDIATE (the write lock, see bot.db.make_engine); a
monitor that looked at the lag that way twice a second made every acknowledgement and
batch queue behind it. `reading` begins a deferred transaction instead: a snapshot of
the write-ahead log, taken while another connection holds the write lock."""

from __future__ import annotations

import threading

from sqlalchemy import text

from bot.db import make_engine, reading


def test_a_reading_connection_reads_the_last_commit_while_a_writer_holds_the_lock(
    database_url: str,
) -> None:
    writer, reader = make_engine(database_url), make_engine(database_url)
    try:
        with writer.begin() as conn:
            conn.execute(text("CREATE TABLE tally (n INTEGER)"))
            conn.execute(text("INSERT INTO tally VALUES (1)"))
        seen: list[int] = []
        with writer.begin() as holding:  # the write lock, held until the block ends
            holding.execute(text("INSERT INTO tally VALUES (2)"))

            def look() -> None:
                with reading(reader) as conn:
                    seen.append(conn.execute(text("SELECT count(*) FROM tally")).scalar_one())

            looking = threading.Thread(target=look)
            looking.start()
            looking.join(timeout=5)  # an IMMEDIATE begin would wait the 30 s busy timeout
            assert not looking.is_alive(), "the reader waited for the writer"
        assert seen == [1]  # the committed row, not the one still being written
        with reading(reader) as conn:
            assert conn.execute(text("SELECT count(*) FROM tally")).scalar_one() == 2
    finally:
        writer.dispose()
        reader.dispose()
