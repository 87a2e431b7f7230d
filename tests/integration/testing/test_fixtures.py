"""loom.testing's kernel and client helpers, as a user's test suite would use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from loom.core.bootstrap import Kernel
from loom.core.config import load_config
from loom.testing import app_client, running_kernel

pytestmark = pytest.mark.integration

STORE = Path(__file__).resolve().parents[3] / "examples" / "store" / "config" / "api.yaml"


async def test_running_kernel_starts_the_application_on_overrides(tmp_path: Path) -> None:
    overrides = {"database.url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    async with running_kernel(STORE, overrides=overrides) as kernel:
        from app.user.model import User

        user = await kernel.invoker.entity(User).create({"full_name": "A", "email": "a@x.io"})
        assert user.id == 1
    assert kernel.started is False


async def test_dependencies_replace_services_for_the_test(tmp_path: Path) -> None:
    from loom.core.use_case.invoker import ApplicationInvoker

    class FakeInvoker:
        pass

    fake = FakeInvoker()
    overrides = {"database.url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    async with running_kernel(
        STORE, overrides=overrides, dependencies={ApplicationInvoker: fake}
    ) as kernel:
        resolved: object = kernel.container.resolve(ApplicationInvoker)
        assert resolved is fake


async def test_app_client_serves_the_rest_api(tmp_path: Path) -> None:
    config = load_config(
        STORE, overrides={"database.url": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"}
    )
    async with app_client(Kernel(config)) as client:
        created = await client.post("/users", json={"full_name": "A", "email": "a@x.io"})
        assert created.status_code == 201
        assert (await client.get(created.headers["location"])).json()["email"] == "a@x.io"
