"""The job inspector: everything the API says about one job, followed until it is final."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from mjtui.api import errors
from mjtui.api.buttons import NEEDS_MASK, what_it_does
from mjtui.api.models import Attachment, Child, Job
from mjtui.text import clean
from mjtui.tui.bindings import INSPECTOR_BINDINGS
from mjtui.tui.clipboard import copy_notice
from mjtui.tui.footer import KeysFooter
from mjtui.tui.formatting import local_datetime, safe
from mjtui.tui.keys import readonly_bindings, readonly_words
from mjtui.tui.preview import PreviewError, PreviewPanel

if TYPE_CHECKING:
    from mjtui.timers import TimerHandle
    from mjtui.tui.host import ScreenHost

FOLLOW_FLOOR = 10.0  # the service asks clients to poll a job no more often than every 10-30 s


def _size(num: int | None) -> str:
    if num is None:
        return "?"
    value = float(num)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


STATUS_KIND = {"completed": "ok", "failed": "bad", "moderated": "bad"}  # anything else is still running: busy


def job_summary(job: Job, status_style: Style | str = "bold", *, buttons: bool = True) -> Text:
    """The job's own fields, one per line, labels dim and values inert; the status in `status_style` (`buttons`:
    its buttons too, when they are not listed to press)."""
    text = Text()

    def line(label: str, value: object, style: Style | str = "") -> None:
        if value in (None, "", []):
            return
        text.append(f"{label:<10}" if len(label) < 10 else f"{label} ", style="dim")
        text.append(clean(value, keep_newlines=False, limit=600), style=style)
        text.append("\n")

    line("status", job.status or "?", status_style)
    if job.progress is not None and not job.is_final:
        line("progress", f"{job.progress}%")
    line("verb", job.verb)
    line("button", job.button)
    line("prompt", job.prompt)
    line("buttons", "  ".join(f"[{label}]" for label in job.buttons) if job.buttons and buttons else None)
    line("content", job.content)
    line("created", local_datetime(job.created) if job.created else None)
    line("updated", local_datetime(job.updated) if job.updated else None)
    line("channel", job.channel)
    line("server", job.server)
    line("maxJobs", job.max_jobs)
    line("parent", job.parent_job_id)
    line("discord", job.discord)
    line("replyRef", job.reply_ref)
    line("replyUrl", job.reply_url)
    for label, value in job.extra_fields():
        line(label, value)
    line("error", job.error, "bold red")
    line("details", job.error_details, "red")
    text.rstrip()
    return text


def seed_text(job: Job, state: str | None) -> Text:
    text = Text()
    if job.has_seed and job.seed is not None:
        text.append("seed      ", style="dim")
        text.append(str(job.seed.value), style="bold")
        text.append("   (y copies it)\n", style="dim")
        for index, image in enumerate(job.seed.attachments, 1):
            text.append(f"image {index}   ", style="dim")
            text.append(clean(image.url or "?", limit=200))
            text.append("\n")
    elif state:
        text.append("seed      ", style="dim")
        text.append(clean(state))
    else:
        text.append("seed      ", style="dim")
        text.append("not fetched (s fetches it)" if job.status == "completed" else "available once the job completes",
                    style="dim")
    return text


def job_images(job: Job) -> list[tuple[str, str, Attachment]]:
    """The job's attachments, then its seed's images: (row key, label, attachment)."""
    images = [(f"attachment-{index}", f"attachment {index}", item) for index, item in enumerate(job.attachments, 1)]
    if job.has_seed and job.seed is not None:
        images += [(f"seed-{index}", f"seed image {index}", item) for index, item in enumerate(job.seed.attachments, 1)]
    return images


class InspectorScreen(Screen[None]):
    """One job. Enter on a child opens it in turn; escape goes back."""

    DEFAULT_CSS = """
    InspectorScreen VerticalScroll { padding: 0 1; }
    InspectorScreen .section { color: $accent; text-style: bold; margin-top: 1; }
    InspectorScreen DataTable { height: auto; max-height: 12; }
    InspectorScreen #summary { height: auto; }
    InspectorScreen #body { height: 1fr; }
    InspectorScreen #title { margin-bottom: 1; }
    InspectorScreen > .inspector--ok { color: $success; text-style: bold; }
    InspectorScreen > .inspector--bad { color: $error; text-style: bold; }
    InspectorScreen > .inspector--busy { color: $warning; text-style: bold; }
    InspectorScreen > .inspector--following { color: $warning; text-style: italic; }
    """
    COMPONENT_CLASSES = {"inspector--ok", "inspector--bad", "inspector--busy", "inspector--following"}
    BINDINGS = INSPECTOR_BINDINGS

    def __init__(self, account: str, job_id: str, job: Job | None = None, *, from_journal: bool = False) -> None:
        super().__init__()
        self.account = account
        self.job_id = job_id
        self.job: Job | None = job
        self.from_journal = from_journal and job is not None
        self.seed_state: str | None = None
        self.error: str | None = None
        self._timer: TimerHandle | None = None
        self._composed = False
        self._images: dict[str, tuple[str, Attachment]] = {}
        self._pressed: list[Child] = []  # jobs started here: kept among the children where the service lists none

    @property
    def mjtui(self) -> ScreenHost:
        return cast("ScreenHost", self.app)  # Textual types every node's app as App[object]; its host is one of these

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield from self._details()
            if self.mjtui.previews is not None:
                yield PreviewPanel()  # beside the details, so it stays in view while the image table scrolls
        yield KeysFooter()

    def _details(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="title")
            yield Static(id="summary")
            yield Static("Children (enter opens one)", classes="section", id="children-title")
            children: DataTable = DataTable(cursor_type="row", id="children")
            children.add_columns("button", "job")
            yield children
            yield Static("Seed", classes="section")
            yield Static(id="seed")
            yield Static("Buttons (b goes here; enter presses one, after asking; e: with a prompt)", classes="section",
                         id="buttons-title")
            buttons: DataTable = DataTable(cursor_type="row", id="buttons")
            buttons.add_columns("button", "starts")
            yield buttons
            yield Static("Images" if self.mjtui.previews is None else "Images (select one to preview it)",
                         classes="section", id="images-title")
            attachments: DataTable = DataTable(cursor_type="row", id="attachments")
            attachments.add_columns("image", "file", "size", "dimensions", "url")
            yield attachments
            yield Static(id="embeds")

    def on_mount(self) -> None:
        self._composed = True
        self.render_job()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.render_job())  # status colours follow the theme
        if not self.from_journal:
            self.fetch()  # once on open (a final job may have gained children or a seed), then until final

    def on_unmount(self) -> None:
        self.stop_following()
        # Textual drops a subscriber only when the signal is next published (a theme change): until then it kept us.
        self.app.theme_changed_signal.unsubscribe(self)

    def stop_following(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    # -- data -----------------------------------------------------------------------------------

    @work(exclusive=True, group="inspector", exit_on_error=False)
    async def fetch(self) -> None:
        try:
            job = await self.mjtui.fetch_job(self.account, self.job_id)
        except errors.MjtuiError as exc:
            self.error = str(exc)
            self.render_job()
            if not isinstance(exc, (errors.NotFound, errors.Gone, errors.Unauthorized)):
                self._follow()
            return
        self.error = None
        self.from_journal = False
        self.show_job(job)
        if not job.is_final:
            self._follow()

    def _follow(self) -> None:
        self.stop_following()
        if self.mjtui.paused:
            return  # resuming fetches again
        interval = max(self.mjtui.refresh_seconds, FOLLOW_FLOOR)
        self._timer = self.mjtui.timers.call_later(interval, self.fetch)

    def show_job(self, job: Job) -> None:
        listed = {child.jobid for child in job.children}
        job.children += [child for child in self._pressed if child.jobid not in listed]  # a gateway's task lists none
        self.job = job
        self.refresh_bindings()  # `o Parent` is offered once the job is known to have one
        if job.has_seed:
            self.seed_state = None
        self.render_job()

    def render_job(self) -> None:
        if not self._composed:
            return  # on_mount renders what was set before
        job = self.job
        title = Text()
        title.append("Job ", style="bold")
        title.append(clean(self.job_id), style="bold")
        title.append(f"   account {clean(self.account)}", style="dim")
        if job is not None and not job.is_final:
            title.append("   following", style=self.get_component_rich_style("inspector--following", partial=True))
        elif self.from_journal:
            title.append("   from the journal (ctrl+r asks the API)", style="italic")
        if self.error:
            title.append(f"\n{clean(self.error, limit=300)}", style=self.get_component_rich_style("inspector--bad", partial=True))
        self.query_one("#title", Static).update(title)
        if job is None:
            self.query_one("#summary", Static).update(Text("loading…", style="dim"))
            return
        kind = STATUS_KIND.get(job.status or "", "busy")
        status_style = self.get_component_rich_style(f"inspector--{kind}", partial=True)
        pressable = self._pressable()
        self.query_one("#summary", Static).update(job_summary(job, status_style, buttons=not pressable))
        self._show_buttons(job if pressable else None)
        children = self.query_one("#children", DataTable)
        children.clear()
        for child in job.children:
            if child.jobid and child.jobid not in children.rows:
                children.add_row(safe(child.button or "?"), safe(child.jobid), key=child.jobid)
        children.display = bool(children.row_count)
        self.query_one("#children-title", Static).display = bool(children.row_count)
        self.query_one("#seed", Static).update(seed_text(job, self.seed_state))
        self._show_images(job)
        embeds = Text()
        for embed in job.embeds:
            embeds.append("embed     ", style="dim")
            embeds.append(clean(embed.description or embed.type or "", limit=400))
            embeds.append("\n")
        self.query_one("#embeds", Static).update(embeds)

    def _pressable(self) -> bool:
        """Whether the job's buttons are offered: it completed with some, and the account may press them."""
        job = self.job
        return (job is not None and job.status == "completed" and bool(job.buttons) and not self.from_journal
                and not self.mjtui.readonly and not self.mjtui.lacks(self.account, "press"))

    def _show_buttons(self, job: Job | None) -> None:
        """The buttons to press, one a row (rebuilt only when they change, so the cursor stays where the user put it)."""
        table = self.query_one("#buttons", DataTable)
        labels = job.buttons if job is not None else []
        if [str(key.value) for key in table.rows] != labels:
            table.clear()
            for label in dict.fromkeys(labels):  # a key once: a service that lists one twice is shown it once
                style = "dim" if label in NEEDS_MASK else ""
                table.add_row(safe(label, limit=40), Text(what_it_does(label), style=style), key=label)
        table.display = bool(labels)
        self.query_one("#buttons-title", Static).display = bool(labels)

    def pressed(self, child: Job) -> None:
        """A button pressed here started `child`: listed at once among the children, the cursor on it (enter opens it)."""
        if self.job is None or not child.jobid:
            return
        started = Child(button=child.button, jobid=child.jobid, messageId=child.message_id)
        self._pressed.append(started)
        if all(known.jobid != child.jobid for known in self.job.children):
            self.job.children.append(started)
        self.render_job()
        children = self.query_one("#children", DataTable)
        children.move_cursor(row=children.get_row_index(child.jobid))
        children.focus()

    def _show_images(self, job: Job) -> None:
        """Rebuilt only when the images change, so a follow-up fetch keeps the user's row and preview."""
        images = job_images(job)
        if [(key, item.url) for key, _, item in images] == [(key, item.url) for key, (_, item) in self._images.items()]:
            return
        self._images = {key: (label, item) for key, label, item in images}
        table = self.query_one("#attachments", DataTable)
        table.clear()
        for key, label, item in images:
            dims = f"{item.width}x{item.height}" if item.width and item.height else "?"
            table.add_row(Text(label), safe(item.filename or "?", limit=40), Text(_size(item.size)), Text(dims),
                          safe(item.url or "", limit=120), key=key)  # the first row added posts RowHighlighted
        if not images and self.mjtui.previews is not None:
            self.query_one(PreviewPanel).display = False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted image is the one previewed: downloaded only now, when it is looked at."""
        if event.data_table.id != "attachments" or self.mjtui.previews is None or event.row_key.value not in self._images:
            return
        label, item = self._images[event.row_key.value]
        panel = self.query_one(PreviewPanel)
        panel.display = True
        if not item.url:
            panel.failed(label, "the image has no URL")
        elif item.url != panel.url:
            panel.show_loading(item.url, label)
            self.preview(item.url, label)

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def preview(self, url: str, label: str) -> None:
        panel = self.query_one(PreviewPanel)
        try:
            preview, cached = await self.mjtui.preview_image(self.account, url)
        except (errors.MjtuiError, PreviewError) as exc:
            panel.failed(label, str(exc))
            return
        await panel.show(preview, label, "from the cache" if cached else "downloaded")

    def seed_progress(self, state: str | None, job: Job | None = None) -> None:
        """The app reports a seed fetch: running, failed, or done with the job carrying the seed."""
        self.seed_state = state
        if job is not None and job.has_seed and self.job is not None:
            self.job.seed = job.seed
        self.render_job()

    # -- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key the account's provider cannot do is hidden (the original midjourney-proxy has no cancel, no seed), and
        so are `o` for a job with no parent and `b` for one with no buttons to press."""
        if action == "open_parent":
            return self.job is not None and bool(self.job.parent_job_id)
        if action in ("focus_buttons", "press_with_prompt") and not self.mjtui.readonly:
            return self._pressable()
        needed = {"seed": "seed", "copy_seed": "seed", "cancel": "cancel"}.get(action)
        return needed is None or not self.mjtui.lacks(self.account, needed)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.fetch()

    def action_seed(self) -> None:
        self.mjtui.request_seed(self.account, self.job_id, self)

    def action_copy_seed(self) -> None:
        if self.job is not None and self.job.has_seed and self.job.seed is not None:
            self.app.copy_to_clipboard(str(self.job.seed.value))
            notice, severity = copy_notice(f"seed {self.job.seed.value}")
            self.app.notify(notice, severity=severity, markup=False)
        else:
            self.app.notify("no seed yet: press s to fetch it", severity="warning")

    def action_cancel(self) -> None:
        self.mjtui.request_cancel(self.account, self.job_id)

    def action_focus_buttons(self) -> None:
        if self.mjtui.readonly:
            self.app.notify(readonly_words("press"), severity="warning")
        elif not self._pressable():
            self.app.notify("no buttons to press: a job has them once it completes", severity="warning")
        else:
            self.query_one("#buttons", DataTable).focus()

    def action_press_with_prompt(self) -> None:
        table = self.query_one("#buttons", DataTable)
        if not table.has_focus or not table.row_count:
            self.action_focus_buttons()
            return
        self._press(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value), with_prompt=True)

    def _press(self, button: str, *, with_prompt: bool = False) -> None:
        if self.job is not None:
            self.mjtui.request_press(self.account, self.job, button, self, with_prompt=with_prompt)

    def action_open_parent(self) -> None:
        if self.job is not None and self.job.parent_job_id:  # the key is off otherwise (check_action)
            self.app.push_screen(type(self)(self.account, self.job.parent_job_id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "buttons" and event.row_key.value:
            self._press(event.row_key.value)
        elif event.data_table.id == "children" and event.row_key.value and self.job is not None:
            self.app.push_screen(type(self)(self.account, event.row_key.value))




class ReadonlyInspectorScreen(InspectorScreen):
    """The inspector under `--readonly`: no buttons to press, and the footer offers no key that would only be refused."""

    BINDINGS = readonly_bindings(INSPECTOR_BINDINGS)


def inspector_class(readonly: bool) -> type[InspectorScreen]:
    """The inspector to open: `--readonly`'s offers no key that sends anything."""
    return ReadonlyInspectorScreen if readonly else InspectorScreen
