"""Shared test scenarios: a simulated service on a hand-driven clock, and clients talking to it in-process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from hypothesis import settings
from support.clients import useapi_client

from mjtui.api.client import UseapiClient
from mjtui.clock import ManualClock
from mjtui.sim import Simulator

# Property tests draw the same examples on every run by default, so a red run is a regression, not a new
# example met by chance; `HYPOTHESIS_PROFILE=explore python -m pytest` draws fresh ones to look for more.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_sim(clock: ManualClock) -> Callable[..., Simulator]:
    """Build a simulator on the test's clock: `make_sim(channels=2, faults="flaky", autopilot=False)`."""

    def build(**options) -> Simulator:
        options.setdefault("seed", 7)
        return Simulator.build(clock=clock, **options)

    return build


@pytest.fixture
def sim(make_sim) -> Simulator:
    """Three busy channels on one useapi account, no faults."""
    return make_sim(channels=3)


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[UseapiClient]:
    async with useapi_client(sim) as api:
        yield api


# -- every test's own environment -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _own_data_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test (nor a CLI it starts) writes a journal or log into the real user's data directories."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture(autouse=True)
def _own_logger() -> Iterator[None]:
    """A CLI command run in-process sets up the log file (and stops propagation); later tests' caplog needs it back."""
    import logging

    logger = logging.getLogger("mjtui")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    for handler in logger.handlers:
        if handler not in handlers:
            handler.close()
    logger.handlers, logger.level, logger.propagate = handlers, level, propagate


@pytest.fixture(autouse=True)
def _no_tokens_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts knowing no token: what one test's clients remembered must not mask another's output."""
    from mjtui import secrets

    monkeypatch.setattr(secrets, "_known", ())
    monkeypatch.setattr(secrets, "_known_bytes", ())


@pytest.fixture(autouse=True)
def _outside_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    """A suite run inside tmux sees the toasts CI sees (a copy says what tmux needs, #20)."""
    monkeypatch.delenv("TMUX", raising=False)


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times on screen are local; tests and snapshots read them in UTC."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
