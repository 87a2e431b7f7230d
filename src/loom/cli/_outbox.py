"""``loom outbox status`` and ``loom outbox requeue``: look at the outbox, retry dead letters.

Both boot the application's kernel with its relay off and work on the outbox table directly;
relays running elsewhere pick requeued messages up at their next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loom.core.bootstrap import Kernel, create_kernel
from loom.core.outbox import OutboxStore, utc_now


def _store(kernel: Kernel) -> OutboxStore:
    relay = kernel.jobs.relay
    assert relay is not None  # the jobs extension builds it at boot
    return relay.store


async def status(config_path: Path) -> dict[str, int]:
    """Messages per status (``pending``, ``sent``, ``dead``) in the outbox of ``config_path``."""
    async with create_kernel(config_path, overrides={"outbox.enabled": False}) as kernel:
        return await _store(kernel).status_counts()


async def requeue(config_path: Path, message_ids: Sequence[str] | None) -> int:
    """Put dead letters back to pending (every one when ``message_ids`` is ``None``)."""
    async with create_kernel(config_path, overrides={"outbox.enabled": False}) as kernel:
        return await _store(kernel).requeue_dead(message_ids, utc_now())
