"""The two HTTP applications of ``python -m bench --suite http``, as uvicorn app factories.

``loom`` is the store example (``examples/store``) in its own configuration; ``baseline`` is
what a developer writes by hand without Loom: FastAPI routes on raw bodies, SQLAlchemy Core
(one statement in ``async with engine.begin()``) and msgspec, serving the same three routes
with the same JSON and status codes, on the same table. Both read where the database is from
the environment the launcher sets:

- ``LOOM_BENCH_HTTP_URL``: the SQLAlchemy URL;
- ``LOOM_BENCH_HTTP_CONNECT_ARGS``: the DBAPI ``connect_args`` as JSON (the PostgreSQL schema);
- ``LOOM_BENCH_HTTP_PROFILE``: when set, a file to write a cProfile of the server process to
  when it exits (after SIGINT).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import cProfile
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.requests import Request
from starlette.responses import Response

from bench._models import CreateProduct, Product, baseline_table

STORE_CONFIG = Path(__file__).resolve().parents[1] / "examples" / "store" / "config" / "api.yaml"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_PROBLEM = "application/problem+json"


def _database() -> tuple[str, dict[str, Any]]:
    url = os.environ["LOOM_BENCH_HTTP_URL"]
    connect_args: dict[str, Any] = msgspec.json.decode(
        os.environ.get("LOOM_BENCH_HTTP_CONNECT_ARGS", "{}")
    )
    return url, connect_args


def _profile_if_asked() -> None:
    target = os.environ.get("LOOM_BENCH_HTTP_PROFILE")
    if not target:
        return
    profiler = cProfile.Profile()
    profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(target)

    # uvicorn exits normally on SIGINT, so atexit runs after the graceful shutdown.
    atexit.register(dump)


def loom() -> FastAPI:
    """The store example's app on the benchmark's database (default configuration)."""
    from loom.rest.fastapi.auto import create_app

    url, connect_args = _database()
    overrides: dict[str, Any] = {"database.url": url}
    if connect_args:
        overrides["database.connect_args"] = connect_args
    app = create_app(STORE_CONFIG, overrides=overrides)
    _profile_if_asked()
    return app


class _Page(msgspec.Struct, kw_only=True):
    items: list[Product]
    next_cursor: str | None
    has_next: bool


class _Problem(msgspec.Struct, kw_only=True):
    type: str
    title: str
    status: int
    detail: str
    code: str


def _problem(status: int, code: str, title: str, detail: str) -> Response:
    body = _Problem(
        type=f"urn:loom:problem:{code}", title=title, status=status, detail=detail, code=code
    )
    return Response(msgspec.json.encode(body), status_code=status, media_type=_PROBLEM)


def _engine(url: str, connect_args: dict[str, Any]) -> AsyncEngine:
    # The pool Loom builds by default (pre-ping on PostgreSQL, the same SQLite pragmas), so
    # both servers check out connections the same way.
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(
        url,
        connect_args=connect_args,
        pool_size=10,
        max_overflow=20,
        pool_timeout=30,
        pool_recycle=1800,
        pool_pre_ping=not sqlite,
    )
    if sqlite:

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


def baseline() -> FastAPI:
    """The hand-written app: ``GET /products/{id}``, ``GET /products``, ``POST /products``."""
    url, connect_args = _database()
    engine = _engine(url, connect_args)
    table = baseline_table()
    columns = list(table.c)
    by_id = sa.select(*columns).where(table.c.id == sa.bindparam("id"))
    insert = sa.insert(table).returning(*columns)
    cursor_key = hmac.new(b"baseline-cursor-secret", b"cursor.v1", hashlib.sha256).digest()
    encoder = msgspec.json.Encoder()
    decoder = msgspec.json.Decoder(CreateProduct)

    def row_to_product(row: sa.Row[Any]) -> Product:
        values = row._asdict()
        # SQLite returns naive datetimes; the column is UTC.
        for name in ("created_at", "updated_at"):
            if values[name].tzinfo is None:
                values[name] = values[name].replace(tzinfo=UTC)
        return Product(**values)

    def sign(last_id: int) -> str:
        payload = msgspec.msgpack.encode(["Product", last_id])
        mac = hmac.new(cursor_key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode("ascii")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(title="Hand-written store", docs_url=None, redoc_url=None, lifespan=lifespan)

    async def health(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def get_product(request: Request) -> Response:
        try:
            product_id = int(request.path_params["id"])
        except ValueError:
            return _problem(422, "validation_error", "Unprocessable Content", "id: not an int")
        async with engine.connect() as conn:
            row = (await conn.execute(by_id, {"id": product_id})).first()
        if row is None:
            detail = f"Product {product_id} not found"
            return _problem(404, "not_found", "Not Found", detail)
        return Response(encoder.encode(row_to_product(row)), media_type="application/json")

    async def list_products(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return _problem(400, "invalid_query", "Bad Request", "limit: not an int")
        if not 1 <= limit <= MAX_LIMIT:
            return _problem(400, "invalid_query", "Bad Request", f"limit: 1..{MAX_LIMIT}")
        statement = sa.select(*columns).order_by(table.c.id).limit(limit + 1)
        async with engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        items = [row_to_product(row) for row in rows[:limit]]
        has_next = len(rows) > limit
        page = _Page(
            items=items, next_cursor=sign(items[-1].id) if has_next else None, has_next=has_next
        )
        return Response(encoder.encode(page), media_type="application/json")

    async def create_product(request: Request) -> Response:
        try:
            command = decoder.decode(await request.body())
        except msgspec.ValidationError as exc:
            return _problem(422, "validation_error", "Unprocessable Content", str(exc))
        except msgspec.DecodeError as exc:
            return _problem(422, "malformed_body", "Unprocessable Content", str(exc))
        now = datetime.now(UTC)
        values = msgspec.structs.asdict(command)
        values.update(name=command.name.strip(), created_at=now, updated_at=now)
        try:
            async with engine.begin() as conn:
                row = (await conn.execute(insert, values)).one()
        except sa.exc.IntegrityError:
            return _problem(409, "conflict", "Conflict", "Product with this sku already exists")
        product = row_to_product(row)
        return Response(
            encoder.encode(product),
            status_code=201,
            media_type="application/json",
            headers={"location": f"/products/{product.id}"},
        )

    app.add_api_route("/health", health, methods=["GET"], include_in_schema=False)
    app.add_api_route("/products/{id}", get_product, methods=["GET"])
    app.add_api_route("/products", list_products, methods=["GET"])
    app.add_api_route("/products", create_product, methods=["POST"], status_code=201)

    _profile_if_asked()
    return app
