"""One process of an application starting with ``database.schema: migrate`` (the
four-process test): waits until all are ready, boots, writes and reads a row, prints a line.

Usage: python _boot_process.py CONFIG INDEX READY_FOLDER COUNT
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from loom.core.bootstrap import create_kernel
from loom.migrations import MigrationsExtension

DEADLINE = 60.0


def wait_for_the_others(index: int, ready: Path, count: int) -> None:
    """Start together, as a deployment does: every process waits until all are ready."""
    (ready / f"{index}.ready").write_text("")
    deadline = time.monotonic() + DEADLINE
    while len(list(ready.glob("*.ready"))) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"process {index}: the others did not get ready in {DEADLINE}s")
        time.sleep(0.01)


async def main(config: str, index: int) -> None:
    async with create_kernel(config) as kernel:
        shelf = kernel.components.models[0]
        repository = kernel.for_model(shelf)
        async with kernel.transaction():
            await repository.create({"code": f"P{index}"})
        rows = await repository.count()
        migrations = kernel.extensions.get("migrations")
        assert isinstance(migrations, MigrationsExtension)
        applied = migrations.applied
    print(json.dumps({"index": index, "applied": [s.revision for s in applied], "rows": rows}))


if __name__ == "__main__":
    wait_for_the_others(int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
