"""``python -m loom.cli``: the ``loom`` command without the console script."""

from loom.cli import main

main()
