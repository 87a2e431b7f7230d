"""Jobs published to RabbitMQ and run by a real worker process, effects in PostgreSQL."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from celery import Celery

from loom.core.bootstrap import Kernel
from tests.integration.celery_jobs.app import DispatchNoteUseCase
from tests.integration.celery_jobs.conftest import (
    APP_MODULE,
    CeleryStage,
    eventually,
    note_texts,
)

pytestmark = pytest.mark.integration

STORE_CONFIG = Path(__file__).resolve().parents[3] / "examples" / "store" / "config" / "api.yaml"


async def _dispatch(kernel: Kernel, text: str, **fields: object) -> str:
    handle = await kernel.invoker.invoke(DispatchNoteUseCase, payload={"text": text, **fields})
    return str(handle.job_id)


async def test_jobs_run_on_the_worker_with_retries_and_callbacks(stage: CeleryStage) -> None:
    await stage.start_worker()
    async with stage.kernel() as kernel:
        flags = str(stage.flags)
        await _dispatch(kernel, "plain", callbacks=True)
        await _dispatch(kernel, "flaky", job="flaky", flags=flags, fail_times=2, callbacks=True)
        await _dispatch(kernel, "doomed", job="flaky", flags=flags, fail_times=9, callbacks=True)
        await kernel.drain()
        assert await kernel.jobs.relay.store.pending_count() == 0  # type: ignore[union-attr]

        async def settled() -> bool:
            return len(await note_texts(kernel)) == 8

        await eventually(settled, "three jobs and their callbacks")
        assert await note_texts(kernel) == sorted(
            [
                "request:plain",
                "plain",
                "success:plain",
                "request:flaky",
                "flaky",
                "success:flaky",
                "request:doomed",
                "failure:flaky failure of 'doomed'",
            ]
        )
    # Two failed attempts, then a success; three attempts, then the failure callback.
    assert len((stage.flags / "attempts-flaky").read_text().splitlines()) == 3
    assert len((stage.flags / "attempts-doomed").read_text().splitlines()) == 3
    assert "retried in" in stage.workers[0].output()


async def test_the_store_restock_jobs_run_on_the_worker_with_their_callbacks(
    stage: CeleryStage,
) -> None:
    config = stage.write_config("store.yaml", include=STORE_CONFIG)
    await stage.start_worker(config)
    async with stage.kernel(config) as store:
        from app.product.model import Product
        from app.product.use_cases import DispatchRestockEmailUseCase, RestockWorkflowUseCase

        products = store.invoker.entity(Product)
        lamp = await products.create(
            {"sku": "L1", "name": "Lamp", "category": "home", "price_cents": 100, "stock": 0}
        )
        desk = await products.create(
            {"sku": "D1", "name": "Desk", "category": "office", "price_cents": 900, "stock": 0}
        )
        workflow = await store.invoker.invoke(
            RestockWorkflowUseCase,
            params={"product_id": str(lamp.id)},
            payload={"recipient_email": "ada@example.com"},
        )
        assert workflow.summary == "L1 (Lamp) is out of stock."
        assert workflow.queue == "notifications"
        failing = await store.invoker.invoke(
            DispatchRestockEmailUseCase,
            params={"product_id": str(desk.id)},
            payload={"recipient_email": "ada@example.com", "force_fail": True},
        )
        await store.drain()

        async def categories() -> Counter[str]:
            page = await products.list()
            return Counter(str(product.category) for product in page.items)

        async def both_called_back() -> bool:
            return await categories() == Counter(["home-restock-notified", "office-restock-failed"])

        await eventually(both_called_back, "the success and failure callbacks on the worker")
    output = stage.workers[0].output()
    assert workflow.restock_job_id in output
    assert failing.job_id in output


async def test_messages_written_before_versions_and_headers_still_run(stage: CeleryStage) -> None:
    await stage.start_worker()
    async with stage.kernel() as kernel:
        app = kernel.container.resolve(Celery)
        flags = str(stage.flags)

        def send_legacy(job: str, payload: dict[str, object], retries: int) -> None:
            # The body as Loom wrote it before messages had a version and headers.
            body: dict[str, object] = {
                "job_id": uuid.uuid4().hex,
                "job": f"{APP_MODULE}:{job}",
                "queue": "notes",
                "params": {},
                "payload": payload,
                "on_success": None,
                "on_failure": f"{APP_MODULE}:NoteOutcome",
            }
            app.send_task(
                f"loom.job.{APP_MODULE}.{job}", args=(body,), queue=stage.queue, retries=retries
            )

        send_legacy("WriteNoteJob", {"text": "legacy"}, retries=0)
        # Retried twice by Celery already: its third and last attempt, whatever it declares.
        send_legacy("FlakyNoteJob", {"text": "late", "flags": flags, "fail_times": 9}, retries=2)

        async def both_settled() -> bool:
            texts = await note_texts(kernel)
            return "legacy" in texts and "failure:flaky failure of 'late'" in texts

        await eventually(both_settled, "the two legacy messages to run")
    assert len((stage.flags / "attempts-late").read_text().splitlines()) == 1
