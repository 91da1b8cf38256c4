"""Load benchmarks: each compares the service with a baseline measured in the same run."""
