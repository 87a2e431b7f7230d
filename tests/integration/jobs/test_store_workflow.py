"""The store example's restock jobs, end to end through the inline backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loom.core.bootstrap import Kernel, create_kernel
from tests.conftest import Database
from tests.integration.kernel.conftest import database_overrides

pytestmark = pytest.mark.integration

STORE = Path(__file__).resolve().parents[3] / "examples" / "store" / "config"


@pytest.fixture(params=["api.yaml", "manifest.yaml"])
async def store(request: pytest.FixtureRequest, db: Database) -> AsyncIterator[Kernel]:
    """The store kernel, in modules mode and in manifest mode."""
    async with create_kernel(STORE / str(request.param), overrides=database_overrides(db)) as k:
        yield k


async def _lamp(store: Kernel, stock: int = 0) -> int:
    from app.product.model import Product

    lamp = await store.invoker.entity(Product).create(
        {"sku": "L1", "name": "Lamp", "category": "home", "price_cents": 100, "stock": stock}
    )
    return int(lamp.id)


async def _category(store: Kernel, product_id: int) -> str:
    from app.product.model import Product

    product = await store.invoker.entity(Product).get(params={"id": product_id})
    return str(product.category)


async def test_the_restock_workflow_summarizes_then_the_callback_marks_the_product(
    store: Kernel,
) -> None:
    from app.product.jobs import BuildProductSummaryJob, SendRestockEmailJob
    from app.product.use_cases import RestockWorkflowUseCase

    assert {SendRestockEmailJob, BuildProductSummaryJob} <= set(store.components.jobs)
    product_id = await _lamp(store)
    response = await store.invoker.invoke(
        RestockWorkflowUseCase,
        params={"product_id": str(product_id)},
        payload={"recipient_email": "ada@example.com"},
    )
    assert response.summary == "L1 (Lamp) is out of stock."
    assert response.queue == "notifications"
    assert await _category(store, product_id) == "home"  # the job runs after commit
    await store.drain()
    assert await _category(store, product_id) == "home-restock-notified"


async def test_a_failing_restock_email_reaches_the_failure_callback(store: Kernel) -> None:
    from app.product.use_cases import DispatchRestockEmailUseCase

    product_id = await _lamp(store)
    response = await store.invoker.invoke(
        DispatchRestockEmailUseCase,
        params={"product_id": str(product_id)},
        payload={"recipient_email": "ada@example.com", "force_fail": True},
    )
    assert len(response.job_id) == 32
    await store.drain()
    assert await _category(store, product_id) == "home-restock-failed"


async def test_a_product_in_stock_gets_no_email_and_keeps_its_category(store: Kernel) -> None:
    from app.product.jobs import BuildProductSummaryJob
    from app.product.use_cases import DispatchRestockEmailUseCase
    from loom.core.job.service import JobService

    product_id = await _lamp(store, stock=3)
    await store.invoker.invoke(
        DispatchRestockEmailUseCase,
        params={"product_id": str(product_id)},
        payload={"recipient_email": "ada@example.com"},
    )
    await store.drain()
    assert await _category(store, product_id) == "home"
    jobs = store.container.resolve(JobService)
    summary = await jobs.run(BuildProductSummaryJob, params={"product_id": product_id})
    assert summary == "L1 (Lamp) is in stock."
