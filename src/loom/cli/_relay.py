"""``loom relay``: the outbox relay alone, until SIGINT or SIGTERM.

API processes may run with ``outbox.enabled: false`` and leave delivery to relay processes; any
number of relays may run at once (rows are claimed with ``FOR UPDATE SKIP LOCKED``). The relay
starts only once the database answered and has its tables, so a wrong setup ends the command
with one line instead of a failing poll loop.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

from loom.cli._preflight import RELAY_OFF, require_tables
from loom.core.bootstrap import create_kernel


async def run_relay(config_path: Path, say: Callable[[str], None]) -> None:
    """Boot the kernel, check its tables, relay; stop cleanly on SIGINT or SIGTERM.

    Raises:
        LoomError: The kernel cannot boot, the database does not answer or lacks tables.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with create_kernel(config_path, overrides=RELAY_OFF) as kernel:
            await require_tables(kernel)
            relay = kernel.jobs.relay
            assert relay is not None  # the jobs extension builds it at boot
            await relay.start()  # stopped by the jobs extension when the kernel stops
            say(f"loom relay {relay.relay_id}: relaying the outbox of {config_path} (Ctrl+C stops)")
            await stop.wait()
            say(f"loom relay {relay.relay_id}: stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    say("loom relay: stopped")
