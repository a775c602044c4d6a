"""Benchmarks: crosslink against the naive baseline, side by side (`python -m bench`)."""
