"""The unit of work: the one way a use case opens a database session.

Unlike `bot.db.session_scope`, nothing is committed unless the use case says so with
`commit()`; leaving the block without it (an error, an early return) rolls back. A use
case that forgot to commit loses its change in a test, never half-writes in production.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session


class UnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() ends the transaction with a rollback (anything not committed is undone)
        # and detaches what was loaded without expiring it, so results stay readable.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
