"""Synthetic traffic with ground truth, for the demo, tests and benchmarks."""
