"""Load test and benchmarks (issue 6): `make load-test`, `make bench`."""
