"""The clearance fixtures (a seeded store, an API client with chosen settings)."""

from tests.clearance.conftest import make_client, seeded

__all__ = ["make_client", "seeded"]
