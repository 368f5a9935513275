"""What a screen may ask of the app that shows it: a small Protocol, so screens never import the app itself.

The inspector and the history screen use these and nothing else of `MjtuiApp`; a test (or another app) can
host them by providing the same members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from mjtui.api.models import Job
from mjtui.clock import Clock
from mjtui.store import Journal, JournalWriter
from mjtui.store.image_cache import ImageCache
from mjtui.timers import Timers

if TYPE_CHECKING:
    from mjtui.tui.inspector import InspectorScreen
    from mjtui.tui.preview import Preview


class ScreenHost(Protocol):
    clock: Clock
    timers: Timers
    previews: ImageCache | None  # None: no pictures, no downloads
    journal: Journal | None
    readonly: bool  # --readonly: nothing but GETs, so no key that would change something is offered

    @property
    def writer(self) -> JournalWriter | None: ...  # the journal's writer thread, through which reads go too

    @property
    def paused(self) -> bool: ...

    @property
    def refresh_seconds(self) -> float: ...

    async def fetch_job(self, account: str, job_id: str) -> Job: ...

    async def preview_image(self, account: str, url: str) -> tuple[Preview, bool]: ...

    def request_seed(self, account: str, job_id: str, screen: InspectorScreen | None = None) -> None: ...

    def request_cancel(self, account: str | None = None, job_id: str | None = None) -> None: ...

    def request_press(self, account: str, job: Job, button: str, screen: InspectorScreen | None = None, *,
                      with_prompt: bool = False) -> None: ...

    def lacks(self, account: str, action: str) -> bool:
        """Whether the account's provider cannot do `action` ("cancel", "seed"): its keys are hidden."""
        ...

    def open_inspector(self, account: str, job_id: str, job: Job | None = None, *, fetch: bool = True) -> InspectorScreen: ...
