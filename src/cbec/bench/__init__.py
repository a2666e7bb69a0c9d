"""Benchmarks behind cbec bench."""
