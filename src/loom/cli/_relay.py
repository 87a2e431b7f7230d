"""``loom relay``: the outbox relay alone, until SIGINT or SIGTERM.

API processes may run with ``outbox.enabled: false`` and leave delivery to relay processes; any
number of relays may run at once (rows are claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

from loom.core.bootstrap import create_kernel


async def run_relay(config_path: Path, say: Callable[[str], None]) -> None:
    """Boot the kernel with its relay on; stop it cleanly on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with create_kernel(config_path, overrides={"outbox.enabled": True}) as kernel:
            relay = kernel.jobs.relay
            relay_id = relay.relay_id if relay is not None else "?"
            say(f"loom relay {relay_id}: relaying the outbox of {config_path} (Ctrl+C stops)")
            await stop.wait()
            say(f"loom relay {relay_id}: stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    say("loom relay: stopped")
