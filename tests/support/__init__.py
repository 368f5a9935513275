"""Helpers shared by test modules (never imported from a test module itself)."""

import pkgutil

import pytest

# The helpers assert as a test does: a failing check shows the values it compared, not only its message.
pytest.register_assert_rewrite(*(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)))
