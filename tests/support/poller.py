"""A host for the poller in tests: it runs the poller's coroutines as tasks and keeps a record of what it heard."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from mjtui.poller import Answer, Final


class Host:
    """What the dashboard does for the poller, reduced to keeping a record."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[None]] = []
        self.answers: list[Answer] = []
        self.finals_seen: list[Final] = []
        self.rounds = 0

    def run(self, work: Coroutine[Any, Any, None], description: str) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    def answered(self, answer: Answer) -> None:
        self.answers.append(answer)

    def finals(self, account: str, finals: list[Final]) -> None:
        self.finals_seen.extend(finals)

    def finals_done(self, account: str) -> None:
        self.rounds += 1

    async def settle(self) -> None:
        while pending := [task for task in self.tasks if not task.done()]:
            await asyncio.gather(*pending)
