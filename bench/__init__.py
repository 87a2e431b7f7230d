"""Benchmarks: Loom against hand-written baselines in the same run (``python -m bench``)."""
