"""Connecting to the catalog database, sessions, and the schema version check.

SQLite is the zero-set-up default: the CLI, the API and the workers are separate processes
sharing one file, so it runs in WAL mode with a generous busy timeout.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool

from oto.domain.migrations import HEAD
from oto.errors import InUse, NotFound, OtoError, SchemaOutdated, Unavailable
from oto.settings import get_settings

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

P = ParamSpec("P")
# How long a best-effort write (``Database.attempt``) waits for a lock before it gives up.
BRIEF_WAIT = 0.1
T = TypeVar("T")
MIGRATIONS = Path(__file__).resolve().parent.parent / "domain" / "migrations"
# When PostgreSQL counts as away: 5 s to connect, 15 s for a sent packet to be acknowledged, and
# an idle connection probed after 5 s (then every 2 s, 3 times) so a silent network is noticed
# while waiting for an answer too.
POSTGRES_TIMEOUTS = {"connect_timeout": 5, "tcp_user_timeout": 15_000, "keepalives_idle": 5,
                     "keepalives_interval": 2, "keepalives_count": 3}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = 30_000) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def lost_race(error: BaseException) -> OtoError | None:
    """What to tell a writer that lost a race with another request, or None for any other error.

    A row changed or deleted under an update (StaleDataError) is gone; a foreign key that fails is
    either a new row naming something just deleted, or a delete of something just given a user.
    A unique key that fails stays an IntegrityError (the API answers 409 "created at the same time").
    """
    if isinstance(error, StaleDataError):
        return NotFound("it was deleted at the same time by another request; read it again")
    if isinstance(error, IntegrityError):
        text = str(error.orig)
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if "still referenced" in text:
            return InUse("something started using it at the same time (another request); read it again")
        if code == "23503" or "FOREIGN KEY constraint failed" in text:
            return NotFound("something it names was deleted at the same time by another request; read it again")
    return None


def make_engine(url: str, *, busy_ms: int = 30_000, **options: Any) -> Engine:
    """An engine for ``url``; on SQLite, a writer waits ``busy_ms`` for the lock before it fails."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:" and "poolclass" not in options:
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Readable by OTO's user only: it holds the catalog and run history (SQLite gives its
            # -wal and -shm files the database file's mode).
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
            # A connection is cheap to keep and costly to open (the pragmas below write): keep one
            # per concurrent request rather than closing the overflow after every burst.
            options.setdefault("pool_size", 20)
            options.setdefault("max_overflow", 20)
        engine = create_engine(url, connect_args={"timeout": busy_ms / 1000}, **options)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, busy_ms=busy_ms))
        return engine
    # A database that is away must be an error within seconds, not a request that hangs: libpq's
    # defaults wait on a silent network for minutes. The URL's own query settings win.
    connect_args = dict(options.pop("connect_args", {}))
    for name, value in POSTGRES_TIMEOUTS.items():
        if name not in make_url(url).query:
            connect_args.setdefault(name, value)
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **options)


def head_revision() -> str:
    """The newest schema revision, known without loading Alembic (a test holds it to Alembic's)."""
    return HEAD


class Database:
    """An engine and its sessions; one per process and database URL."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_options)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._checked = False
        self._brief: Engine | None = None

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration (``oto init``)."""
        from alembic import command  # only what changes the schema pays for loading Alembic
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as error:
            raise Unavailable(f"cannot reach the database at {self.safe_url}: {error.orig}") from error
        self._checked = True

    def current_revision(self) -> str | None:
        """The schema revision the database is at (Alembic's ``alembic_version``), None without one."""
        with self.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        return found[0] if len(found) == 1 else None

    def check_schema(self, *, again: bool = False) -> None:
        """Refuse to work on a missing or out-of-date schema; checked once per process unless ``again``."""
        if self._checked and not again:
            return
        try:
            current = self.current_revision()
        except OperationalError as error:
            raise Unavailable(f"cannot reach the database at {self.safe_url}: {error.orig}") from error
        if current != head_revision():
            state = "has no OTO schema" if current is None else "has an out-of-date schema"
            raise SchemaOutdated(f"the database {self.safe_url} {state}: run `oto init`")
        self._checked = True

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back (nothing written) on error."""
        self.check_schema()
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException as error:
                session.rollback()
                race = lost_race(error)
                if race is not None:
                    raise race from None
                raise

    def call(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(session, ...)`` in a unit of work of its own."""
        with self.session() as db:
            return fn(db, *args, **kwargs)

    async def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call`` off the event loop: database work never blocks an async server."""
        import asyncio  # not at the top: a CLI verb that never awaits does not pay for loading it

        return await asyncio.to_thread(functools.partial(self.call, fn, *args, **kwargs))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        """An open unit of work for async code: entered, committed (or rolled back) off the event loop.

        Use ``asyncio.to_thread`` for the session's own calls inside the block.
        """
        import asyncio

        manager = self.session()
        db = await asyncio.to_thread(manager.__enter__)
        loop = asyncio.get_running_loop()
        # Ended on threads of their own: the block's writes run on the shared threads, where other
        # requests' writers may all be waiting for the lock this transaction holds; its commit
        # queued behind them would wait for their busy timeout (30 s), and they would fail.
        try:
            yield db
        except BaseException as error:
            await loop.run_in_executor(_finishers(), manager.__exit__, type(error), error, error.__traceback__)
            raise
        await loop.run_in_executor(_finishers(), manager.__exit__, None, None, None)

    def attempt(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """``call`` for a best-effort write: gives up after BRIEF_WAIT seconds waiting for a lock,
        and returns None then, instead of waiting (SQLite's 30 s busy timeout) for a long writer.

        On SQLite it writes through connections of their own, opened with the short timeout (the
        pool's keep their patience); on PostgreSQL a ``lock_timeout`` bounds its one transaction.
        """
        self.check_schema()
        wait = round(BRIEF_WAIT * 1000)
        sqlite = self.engine.dialect.name == "sqlite"
        engine = self._brief_engine() if sqlite else self.engine
        try:
            with engine.connect() as connection:
                if not sqlite:
                    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{wait}ms'")
                # a savepoint in the connection's transaction: the session's commit leaves it to ours
                with Session(bind=connection, join_transaction_mode="create_savepoint") as db:
                    result = fn(db, *args, **kwargs)
                    db.commit()
                connection.commit()
                return result
        except OperationalError:
            return None

    def _brief_engine(self) -> Engine:
        if self._brief is None:
            self._brief = make_engine(self.url, poolclass=NullPool, busy_ms=round(BRIEF_WAIT * 1000))
        return self._brief

    def dry_run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn``'s answer, or its refusal, with everything it wrote rolled back."""
        self.check_schema()
        with self._sessions() as db:
            try:
                return fn(db, *args, **kwargs)
            finally:
                db.rollback()

    async def check(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``dry_run`` off the event loop: a change's refusals, before anyone else (Temporal) is asked."""
        import asyncio

        return await asyncio.to_thread(functools.partial(self.dry_run, fn, *args, **kwargs))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._brief is not None:
            self._brief.dispose()


@cache
def _finishers() -> ThreadPoolExecutor:
    """The threads that commit or roll back ``Database.transaction`` blocks: a commit never waits
    for a lock, so these are never all taken by writers waiting for one."""
    from concurrent.futures import ThreadPoolExecutor  # only async code pays for loading it

    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="oto-commit")


@cache
def _database_for(url: str) -> Database:
    return Database(url)


def get_database() -> Database:
    """The database named by the settings, shared by the whole process."""
    return _database_for(get_settings().database_url)
