"""Repository scenarios: each operation through Loom and through a hand-written baseline.

The baseline is what a careful service without Loom would write: SQLAlchemy Core statements
built once with bind parameters, ``async with engine.begin()`` around each operation (one
transaction per operation, as the repository opens), one statement, and
``msgspec.convert(row._mapping, Product)`` per row. Both sides take the same inputs (decoded
request Structs, ids, category names) and return the same ``Product`` Structs; the SQL they
send has the same shape (same columns, predicates, ``ORDER BY``, ``LIMIT``, ``RETURNING``).

Where Loom does more by design, the baseline does the smallest equivalent: a cursor page hands
the client an opaque token (msgpack + base64, where Loom also signs and binds it to the query),
and a create stamps ``created_at``/``updated_at``.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from bench._backends import CATEGORIES, Backend, category
from bench._harness import Scenario
from bench._models import CreateProduct, Product, UpdateProduct
from loom.core.query import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.trace import current_trace_id, new_trace_id

PAGE = 20
BATCH = 1000
"""Rows per ``create_many`` call."""

NAMES = ("get_by_id", "create", "update", "list_offset", "list_cursor", "create_many")
"""Every operation, in report order."""

_UNSET = msgspec.UNSET


def _convert(row: sa.Row[Any]) -> Product:
    return msgspec.convert(row._mapping, Product)


def _category_filter(name: str) -> FilterGroup:
    return FilterGroup(filters=(FilterSpec(field="category", op=FilterOp.EQ, value=name),))


_SORT = (SortSpec(field="price_cents"),)

_OffsetRequest = tuple[str, QuerySpec]


class _Inputs:
    """Deterministic inputs; skus are unique over the whole run."""

    def __init__(self, seeded: int) -> None:
        self._seeded = seeded
        self._serial = itertools.count()

    def ids(self, n: int) -> list[int]:
        # A fixed stride over the seeded ids: spread out, and the same on every run.
        start = next(self._serial)
        return [1 + (start + i * 7919) % self._seeded for i in range(n)]

    def creates(self, n: int) -> list[CreateProduct]:
        return [
            CreateProduct(
                sku=f"bench-{serial:08d}",
                name=f"Bench product {serial}",
                category=category(serial),
                price_cents=serial % 997,
                stock=serial % 50,
            )
            for serial in itertools.islice(self._serial, n)
        ]

    def updates(self, n: int) -> list[tuple[int, UpdateProduct]]:
        return [(i, UpdateProduct(stock=i % 37)) for i in self.ids(n)]

    def categories(self, n: int) -> list[str]:
        start = next(self._serial)
        return [category(start + i) for i in range(n)]


class _Baseline:
    """The hand-written side: Core statements built once, one transaction per operation."""

    def __init__(self, backend: Backend) -> None:
        self.engine = backend.engine
        t = self.table = backend.table
        columns = list(t.c)
        self.get = sa.select(t).where(t.c.id == sa.bindparam("pk"))
        self.insert = sa.insert(t).returning(*columns)
        self.insert_many = sa.insert(t).returning(*columns, sort_by_parameter_order=True)
        self.update_stmt = sa.update(t).where(t.c.id == sa.bindparam("pk")).returning(*columns)
        page = (
            sa.select(t)
            .where(t.c.category == sa.bindparam("category"))
            .order_by(t.c.price_cents.asc(), t.c.id.asc())
            .limit(PAGE + 1)
        )
        self.first_page = page
        self.after_page = page.where(
            sa.tuple_(t.c.price_cents, t.c.id)
            > sa.tuple_(sa.bindparam("after_price"), sa.bindparam("after_id"))
        )

    async def get_by_id(self, ids: Sequence[int]) -> Product | None:
        item = None
        for obj_id in ids:
            async with self.engine.begin() as conn:
                row = (await conn.execute(self.get, {"pk": obj_id})).first()
            item = None if row is None else _convert(row)
        return item

    @staticmethod
    def _values(data: CreateProduct, now: datetime) -> dict[str, Any]:
        values = msgspec.structs.asdict(data)
        values["created_at"] = values["updated_at"] = now
        return values

    async def create(self, items: Sequence[CreateProduct]) -> Product | None:
        item = None
        for data in items:
            values = self._values(data, datetime.now(UTC))
            async with self.engine.begin() as conn:
                row = (await conn.execute(self.insert, values)).one()
            item = _convert(row)
        return item

    async def update(self, changes: Sequence[tuple[int, UpdateProduct]]) -> Product | None:
        item = None
        for obj_id, patch in changes:
            values = {
                name: value
                for name in patch.__struct_fields__
                if (value := getattr(patch, name)) is not _UNSET
            }
            values["updated_at"] = datetime.now(UTC)
            values["pk"] = obj_id
            async with self.engine.begin() as conn:
                row = (await conn.execute(self.update_stmt, values)).first()
            item = None if row is None else _convert(row)
        return item

    async def list_offset(self, requests: Sequence[_OffsetRequest]) -> tuple[list[Product], bool]:
        page: tuple[list[Product], bool] = ([], False)
        for name, _ in requests:
            async with self.engine.begin() as conn:
                rows = (await conn.execute(self.first_page, {"category": name})).all()
            page = ([_convert(row) for row in rows[:PAGE]], len(rows) > PAGE)
        return page

    async def list_cursor(self, steps: Sequence[None]) -> list[Product]:
        items: list[Product] = []
        walk = itertools.count()
        name, token = category(0), None
        for _ in steps:
            params: dict[str, Any] = {"category": name}
            statement = self.first_page
            if token is not None:
                params["after_price"], params["after_id"] = msgspec.msgpack.decode(
                    base64.urlsafe_b64decode(token)
                )
                statement = self.after_page
            async with self.engine.begin() as conn:
                rows = (await conn.execute(statement, params)).all()
            items = [_convert(row) for row in rows[:PAGE]]
            if len(rows) > PAGE:
                last = items[-1]
                token = base64.urlsafe_b64encode(
                    msgspec.msgpack.encode((last.price_cents, last.id))
                )
            else:
                name, token = category(next(walk) + 1), None
        return items

    async def create_many(self, batches: Sequence[Sequence[CreateProduct]]) -> list[Product]:
        items: list[Product] = []
        for batch in batches:
            now = datetime.now(UTC)
            values = [self._values(data, now) for data in batch]
            async with self.engine.begin() as conn:
                rows = (await conn.execute(self.insert_many, values)).all()
            items = [_convert(row) for row in rows]
        return items


class _Loom:
    """The Loom side: the repository's public methods, default configuration."""

    def __init__(self, backend: Backend, *, trace: bool) -> None:
        self.repo = backend.repo
        self.trace = trace

    def _enter(self) -> Any:
        # A request served by the REST layer carries a trace id; --trace makes the repository
        # see one, as it would there.
        return current_trace_id.set(new_trace_id()) if self.trace else None

    def _exit(self, token: Any) -> None:
        if token is not None:
            current_trace_id.reset(token)

    async def get_by_id(self, ids: Sequence[int]) -> Product | None:
        token, item = self._enter(), None
        try:
            for obj_id in ids:
                item = await self.repo.get_by_id(obj_id)
        finally:
            self._exit(token)
        return item

    async def create(self, items: Sequence[CreateProduct]) -> Product | None:
        token, item = self._enter(), None
        try:
            for data in items:
                item = await self.repo.create(data)
        finally:
            self._exit(token)
        return item

    async def update(self, changes: Sequence[tuple[int, UpdateProduct]]) -> Product | None:
        token, item = self._enter(), None
        try:
            for obj_id, patch in changes:
                item = await self.repo.update(obj_id, patch)
        finally:
            self._exit(token)
        return item

    async def list_offset(self, requests: Sequence[_OffsetRequest]) -> PageResult[Product] | None:
        token, page = self._enter(), None
        try:
            for _, query in requests:
                result = await self.repo.list_with_query(query)
                assert isinstance(result, PageResult)
                page = result
        finally:
            self._exit(token)
        return page

    async def list_cursor(self, steps: Sequence[None]) -> list[Product]:
        token, items = self._enter(), []
        walk = itertools.count()
        name, cursor = category(0), None
        try:
            for _ in steps:
                query = QuerySpec(
                    filters=_category_filter(name),
                    sort=_SORT,
                    pagination=PaginationMode.CURSOR,
                    limit=PAGE,
                    cursor=cursor,
                )
                result = await self.repo.list_with_query(query)
                assert isinstance(result, CursorResult)
                items, cursor = result.items, result.next_cursor
                if cursor is None:
                    name = category(next(walk) + 1)
        finally:
            self._exit(token)
        return items

    async def create_many(self, batches: Sequence[Sequence[CreateProduct]]) -> list[Product]:
        token, items = self._enter(), []
        try:
            for batch in batches:
                items = await self.repo.create_many(batch)
        finally:
            self._exit(token)
        return items


def _offset_requests(names: Sequence[str]) -> list[_OffsetRequest]:
    # Loom receives the QuerySpec a request would decode; the baseline the category name.
    return [
        (name, QuerySpec(filters=_category_filter(name), sort=_SORT, limit=PAGE, page=1))
        for name in names
    ]


def scenarios(backend: Backend, *, trace: bool = False, only: Sequence[str] = ()) -> list[Scenario]:
    """The repository scenarios on ``backend``, in report order.

    Args:
        backend: The seeded database and both sides' handles.
        trace: Run the Loom side with a trace id set, as inside a request.
        only: Keep only these operations (all when empty).
    """
    loom, base, inputs = _Loom(backend, trace=trace), _Baseline(backend), _Inputs(backend.seeded)
    reset = backend.remove_created

    all_scenarios = [
        Scenario("get_by_id", loom.get_by_id, base.get_by_id, inputs.ids),
        Scenario("create", loom.create, base.create, inputs.creates, reset),
        Scenario("update", loom.update, base.update, inputs.updates),
        Scenario(
            "list_offset",
            loom.list_offset,
            base.list_offset,
            lambda n: _offset_requests(inputs.categories(n)),
        ),
        Scenario("list_cursor", loom.list_cursor, base.list_cursor, lambda n: [None] * n),
        Scenario(
            "create_many",
            loom.create_many,
            base.create_many,
            lambda n: [inputs.creates(BATCH) for _ in range(n)],
            reset,
            ops_divisor=50,
        ),
    ]
    return [s for s in all_scenarios if not only or s.name in only]


async def check_same_results(backend: Backend) -> None:
    """Fail fast if the two sides disagree on what a read returns (run once, untimed).

    Raises:
        AssertionError: When a page or a row differs between the sides.
    """
    loom, base = _Loom(backend, trace=False), _Baseline(backend)
    ids = [1, backend.seeded]
    assert _plain([await loom.get_by_id(ids)]) == _plain([await base.get_by_id(ids)]), "get"
    requests = _offset_requests([category(3)])
    page = await loom.list_offset(requests)
    assert page is not None
    items, has_next = await base.list_offset(requests)
    assert (_plain(page.items), page.has_next) == (_plain(items), has_next), "list_offset"
    # Enough steps to walk past the last page of the first category into the next.
    steps = [None] * (backend.seeded // CATEGORIES // PAGE + 2)
    assert _plain(await loom.list_cursor(steps)) == _plain(await base.list_cursor(steps)), "cursor"


def _plain(items: Sequence[Product | None]) -> list[tuple[Any, ...] | None]:
    # Timestamps are left out: on SQLite the hand-written DateTime column reads naive values,
    # Loom's reads them as UTC, and naive and aware datetimes never compare equal.
    return [
        None if p is None else (p.id, p.sku, p.name, p.category, p.price_cents, p.stock)
        for p in items
    ]
