"""The model-based test runs on the end-to-end world: the whole suite in-process on one virtual clock."""

from tests.e2e.conftest import world  # noqa: F401 (the fixture)
