"""Helpers shared by the integration tests (servers, ports)."""
