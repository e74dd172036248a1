"""Benchmark scripts (run as files, never as tests) and the synthetic catalogue they measure, as a Django app that
an installation has only when this folder is there (a checkout, not the Docker image)."""
