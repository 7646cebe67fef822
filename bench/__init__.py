"""Benchmark of the party workflow against a bare Temporal ceiling: `python -m bench.run`."""
