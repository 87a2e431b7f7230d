"""The store example boots from YAML and runs its use cases through ApplicationInvoker."""

from __future__ import annotations

from pathlib import Path

import pytest

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.errors import NotFoundError, ValidationError
from loom.core.query import PageResult, QuerySpec
from tests.conftest import Database
from tests.integration.kernel.conftest import STORE, cache_overrides, database_overrides

pytestmark = pytest.mark.integration


async def test_the_store_boots_and_runs_its_use_cases(kernel: Kernel) -> None:
    from app.product.model import Product
    from app.product.use_cases import BuildProductSummaryUseCase, ListLowStockProductsUseCase
    from app.user.model import Address, User
    from app.user.use_cases import CreateAddressUseCase, ListAddressesUseCase

    assert {m.__name__ for m in kernel.components.models} >= {"User", "Address", "Product"}
    app = kernel.invoker
    user = await app.entity(User).create({"full_name": "Ada", "email": "ada@example.com"})
    address = await app.invoke(
        CreateAddressUseCase,
        params={"user_id": str(user.id)},
        payload=b'{"label":"home","street":"1 Main","city":"Paris","country":"FR",'
        b'"zip_code":"75001"}',
    )
    assert isinstance(address, Address)
    assert address.user_id == user.id
    page = await app.invoke(ListAddressesUseCase, params={"user_id": user.id}, query=QuerySpec())
    assert isinstance(page, PageResult)
    assert [a.id for a in page.items] == [address.id]

    lamp = await app.entity(Product).create(
        {"sku": "L1", "name": "  Lamp  ", "category": "home", "price_cents": 100, "stock": 0}
    )
    assert lamp.name == "Lamp"  # the custom repository trimmed it
    summary = await app.invoke(BuildProductSummaryUseCase, params={"product_id": lamp.id})
    assert summary.summary == "L1 (Lamp) is out of stock."
    low = await app.invoke(ListLowStockProductsUseCase)
    assert [p.sku for p in low.items] == ["L1"]

    updated = await app.entity(Product).update(params={"id": lamp.id}, payload={"stock": 9})
    assert updated.stock == 9
    assert await app.entity(Product).delete(params={"id": lamp.id}) is True
    assert await app.entity(Product).get(params={"id": lamp.id}) is None


async def test_markers_fail_with_the_documented_statuses(kernel: Kernel) -> None:
    from app.product.use_cases import BuildProductSummaryUseCase
    from app.user.use_cases import CreateAddressUseCase

    with pytest.raises(NotFoundError, match="User 999"):
        await kernel.invoker.invoke(
            CreateAddressUseCase,
            params={"user_id": 999},
            payload={
                "label": "x",
                "street": "x",
                "city": "x",
                "country": "x",
                "zip_code": "x",
            },
        )
    with pytest.raises(NotFoundError, match="Product 5 not found"):
        await kernel.invoker.invoke(BuildProductSummaryUseCase, params={"product_id": 5})
    with pytest.raises(ValidationError) as info:
        await kernel.invoker.invoke(
            CreateAddressUseCase, params={"user_id": 1}, payload={"label": "x"}
        )
    assert info.value.errors[0].field == "street"


async def test_a_write_use_case_is_one_transaction(kernel: Kernel) -> None:
    from app.user.model import User

    users = kernel.invoker.entity(User)
    with pytest.raises(RuntimeError):
        async with kernel.transaction():
            await users.create({"full_name": "A", "email": "a@example.com"})
            raise RuntimeError("abort")
    page = await users.list()
    assert page.items == []


async def test_a_cached_read_only_use_case_never_touches_the_database(
    db: Database, tmp_path: Path
) -> None:
    from sqlalchemy import event

    from app.product.use_cases import BuildProductSummaryUseCase
    from app.user.model import User

    overrides = {
        **database_overrides(db),
        **cache_overrides("memory"),
        "outbox.enabled": False,  # no relay polling in the background: every checkout counts
    }
    async with create_kernel(STORE / "api.yaml", overrides=overrides) as kernel:
        app = kernel.invoker
        ada = await app.entity(User).create({"full_name": "Ada", "email": "ada@example.com"})
        checkouts: list[object] = []
        pool = kernel.persistence.session_manager.engine.sync_engine.pool  # type: ignore[attr-defined]
        event.listen(pool, "checkout", lambda *args: checkouts.append(args))
        await app.entity(User).get(params={"id": ada.id})  # a miss: one connection
        assert len(checkouts) == 1
        await app.entity(User).get(params={"id": ada.id})  # a hit, inside a read-only
        assert len(checkouts) == 1  # transaction that never connected
        with pytest.raises(NotFoundError):  # LoadById on an uncached repository connects
            await app.invoke(BuildProductSummaryUseCase, params={"product_id": 1})
        assert len(checkouts) == 2
