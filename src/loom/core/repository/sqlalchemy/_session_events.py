"""Mutation events from the ORM session: what ``@with_session_scope`` and ``get_session()`` write.

The sessions Loom hands out record their writes as :class:`~loom.core.events.MutationEvent` s,
so the cache (and every other post-commit consumer) sees them as it sees the repositories' own:

- a flush: the inserted, updated and deleted instances of mapped classes, by primary key;
- a DML statement run through the session (``session.execute(update(Record)...)``, ORM bulk
  or Core): its table, without ids (every cached value of the entity is invalidated);
- a textual statement that writes (``session.execute(text("UPDATE products ..."))``): every
  table of the application's metadata that the SQL names.

Inside a Loom transaction the events go to its unit of work (delivered after the outermost
commit, dropped on rollback). A session opened by ``SessionManager.session()`` outside any
transaction collects the events of what it commits, delivered when the block ends. Writes on
the raw connection (``session.connection()``, ``exec_driver_sql``) are not seen: record them
with ``current_unit_of_work().record(MutationEvent(...))``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from loom.core.events import MutationEvent, MutationOp
from loom.core.repository.sqlalchemy._compiler import registry_for
from loom.core.transaction import UnitOfWork

UOW_KEY = "loom_unit_of_work"
"""``session.info`` key of the unit of work the session's writes are recorded in."""
TABLES_KEY = "loom_tables"
"""``session.info`` key of the table names a textual statement is matched against."""
COMMITTED_KEY = "loom_committed"
"""``session.info`` key of a standalone session's committed events (a list)."""

_WRITES = re.compile(r"\b(insert|update|delete|merge|replace|upsert|truncate)\b", re.IGNORECASE)
"""A keyword that makes SQL text a write (``SELECT ... FOR UPDATE`` too: a harmless extra)."""


class RecordingSession(Session):
    """A ``Session`` whose writes are recorded in the unit of work in ``info[UOW_KEY]``."""


def session_info(uow: UnitOfWork, base: type[Any] | None) -> dict[str, Any]:
    """The ``info`` of a session recording into ``uow``, matching textual statements against
    the tables of ``base`` (``Base`` when ``None``)."""
    # A live view: tables compiled after the session opened are matched too.
    return {UOW_KEY: uow, TABLES_KEY: registry_for(base).metadata.tables.keys()}


def _records(session: Session) -> UnitOfWork | None:
    uow = session.info.get(UOW_KEY)
    return uow if isinstance(uow, UnitOfWork) else None


def _instance_events(op: MutationOp, instances: Iterable[Any]) -> list[MutationEvent]:
    ids: dict[str, list[Any] | None] = {}
    for instance in instances:
        mapper = sa.inspect(instance).mapper
        key = mapper.primary_key_from_instance(instance)
        for table in mapper.tables:
            known = ids.setdefault(table.name, [])
            if known is None:
                continue
            if len(key) == 1 and key[0] is not None:
                known.append(key[0])
            else:
                ids[table.name] = None  # composite or unknown key: the whole entity
    return [
        MutationEvent(entity, op, () if found is None else tuple(dict.fromkeys(found)))
        for entity, found in ids.items()
    ]


@event.listens_for(RecordingSession, "after_flush")
def _after_flush(session: Session, _flush_context: Any) -> None:
    # The new, dirty and deleted collections still show what this flush wrote.
    uow = _records(session)
    if uow is None:
        return
    dirty = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    written: list[tuple[MutationOp, Iterable[Any]]] = [
        ("created", session.new),
        ("updated", dirty),
        ("deleted", session.deleted),
    ]
    for op, instances in written:
        for mutation in _instance_events(op, instances):
            uow.record(mutation)


@event.listens_for(RecordingSession, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    uow = _records(state.session)
    if uow is None:
        return
    statement = state.statement
    op: MutationOp = "updated"
    if state.is_insert:
        op = "created"
    elif state.is_delete:
        op = "deleted"
    elif not state.is_update:
        if isinstance(statement, TextClause) and _WRITES.search(statement.text):
            tables: Collection[str] = state.session.info.get(TABLES_KEY, ())
            for name in _named(statement.text, tables):
                uow.record(MutationEvent(name, "updated"))
        return
    table = getattr(statement, "table", None)
    entity = getattr(table, "name", None)
    if isinstance(entity, str):
        uow.record(MutationEvent(entity, op))


def _named(sql: str, tables: Collection[str]) -> list[str]:
    return [
        name
        for name in tables
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", sql, re.IGNORECASE) is not None
    ]


@event.listens_for(RecordingSession, "after_commit")
def _after_commit(session: Session) -> None:
    committed = session.info.get(COMMITTED_KEY)
    uow = _records(session)
    if committed is None or uow is None:
        return  # inside a Loom transaction: its own commit delivers the events
    committed.extend(uow.events)
    uow.events.clear()


@event.listens_for(RecordingSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    uow = _records(session)
    if session.info.get(COMMITTED_KEY) is not None and uow is not None:
        uow.events.clear()
