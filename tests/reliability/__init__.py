"""Reliability and security: metrics, shutdown, fuzzing, auth coverage, log hygiene."""
