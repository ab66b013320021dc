"""Benchmarks: ptrack's event log against peers on the same machine, in one run (`make bench`)."""
