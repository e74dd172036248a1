"""The portal's small catalogue (tests/portal/conftest.py), for the searches it is answered by."""

from tests.portal.conftest import catalogue, fresh_cache, indexed, techniques  # noqa: F401
