"""``loom outbox status`` and ``loom outbox requeue``: look at the outbox, retry dead letters.

Both boot the application's kernel with its relay off and work on the outbox table directly;
relays running elsewhere pick requeued messages up at their next poll.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loom.cli._preflight import RELAY_OFF, require_tables
from loom.core.bootstrap import Kernel, create_kernel
from loom.core.outbox import OutboxStore, utc_now


async def _store(kernel: Kernel) -> OutboxStore:
    await require_tables(kernel)
    relay = kernel.jobs.relay
    assert relay is not None  # the jobs extension builds it at boot
    return relay.store


async def status(config_path: Path) -> dict[str, int]:
    """Messages per status (``pending``, ``sent``, ``dead``) in the outbox of ``config_path``.

    Raises:
        LoomError: The kernel cannot boot, the database does not answer or lacks tables.
    """
    async with create_kernel(config_path, overrides=RELAY_OFF) as kernel:
        return await (await _store(kernel)).status_counts()


async def requeue(config_path: Path, message_ids: Sequence[str] | None) -> int:
    """Put dead letters back to pending (every one when ``message_ids`` is ``None``).

    Raises:
        LoomError: The kernel cannot boot, the database does not answer or lacks tables.
    """
    async with create_kernel(config_path, overrides=RELAY_OFF) as kernel:
        return await (await _store(kernel)).requeue_dead(message_ids, utc_now())
