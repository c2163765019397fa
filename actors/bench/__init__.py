"""Benchmarks run by ``scripts/bench``: each is a function returning a list of Figures."""
