"""Helpers test modules share, one idea a module; a test module imports these, never another test module or conftest."""

import pkgutil

import pytest

# The helpers assert as a test does: a failing check shows the values it compared, not only its message.
pytest.register_assert_rewrite(*(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)))
