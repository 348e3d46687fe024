"""The side-by-side benchmark suite run by `make bench` / `make bench-quick` (see run.py)."""
