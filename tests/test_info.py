"""/info read into the channel's pane header (issue 20, item 4): mode, fast time left, plan and renewal date, the raw
answer whole in the notifications log; the reading is hostile-input safe."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.dashboard import SIZE, focus_pane, make_dashboard, quiet, settle

from mjtui.monitor.account_info import AccountInfo, parse_info
from mjtui.text import clean
from mjtui.tui.channel_pane import ChannelPane
from mjtui.tui.formatting import local_date

ANSWER = """**Your info - someone**
**Subscription**: Pro (Active monthly, renews next on <t:1798439419>)
**Job Mode**: Fast
**Visibility Mode**: Stealth
**Fast Time Remaining**: 12.5/30.0 hours (41.67%)
**Running Jobs**: None"""


def account_line(pane: ChannelPane) -> str:
    return pane.render_above(1, 200).text.rstrip()


def test_the_answer_is_read_into_mode_fast_time_plan_and_renewal():
    assert parse_info(ANSWER) == AccountInfo(mode="fast", fast_time_remaining="12.50/30.0 hours (41.67%)", plan="Pro",
                                             renews_at=1798439419.0)


def test_what_it_cannot_read_is_unknown_not_an_error():
    assert parse_info("") == AccountInfo()
    assert parse_info("**Subscription**: Basic (renews next on <t:99999999999999>)") == AccountInfo(plan="Basic")
    assert parse_info("**Fast Time Remaining**: None\n**Job Mode**:") == AccountInfo()


@given(st.text(max_size=600), st.text(alphabet="*_:<>t0123456789 \n\x1b[m()", max_size=200))
def test_any_answer_reads_without_error_into_inert_short_words(noise, markup):
    for text in (noise, markup, f"**Subscription**: {noise}\n**Job Mode**: {markup}\n**Fast Time Remaining**: {noise}"):
        info = parse_info(text)
        for word in (info.mode, info.fast_time_remaining, info.plan):
            assert word is None or (word == clean(word) and len(word) <= 60)
        assert info.renews_at is None or local_date(info.renews_at)  # a date every platform can render


async def test_info_fills_the_panes_header_and_the_toast_says_it_in_one_line_not_raw_markup(make_sim, clock):
    q = quiet(make_sim)
    q.sim.world.channels[q.other].mode = "turbo"
    app, _timers = make_dashboard(q.sim, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await focus_pane(pilot, q.other)
        assert pane.above == 1, "a useapi pane: the gauges only, until /info says more"
        await pilot.press("i")
        await settle(pilot)
        line = account_line(pane)
        assert line.startswith("turbo · fast time left ") and "/30.0 hours (" in line, line
        assert line.endswith(f" · Pro, renews {local_date(clock.now() + 2_000_000)}"), line
        [toast] = [n for n in app._notifications if n.message.startswith("/info")]
        assert toast.message.split(": ", 1)[1].startswith("turbo · ") and "**" not in toast.message and "<t:" not in toast.message
        [logged] = [n for n in app.notices if n.title.startswith("/info")]
        assert "**Job Mode**: Turbo" in logged.text and "<t:" in logged.text, "the whole answer stays in the log"
        assert f"Your info - sim-{q.other[-4:]}" in logged.text and "**Running Jobs**: 1" in logged.text
        assert str(pane.border_title).endswith("· turbo"), "and the mode in the pane's title"



HOSTILE_FAST_TIME = """
from mjtui.api.proxy_models import Account
from mjtui.monitor.account_info import fast_time
from mjtui.providers.midjourney_proxy import account_info
hostile = Account.model_validate({"id": "1", "fastTimeRemaining": "9" * 200_000 + " hours"})
print(fast_time(account_info(hostile).fast_time_remaining))
"""


def test_a_gateways_wall_of_digits_for_fast_time_is_read_as_unreadable_without_freezing_the_dashboard():
    """A hostile gateway's `fastTimeRemaining` of digits, read on the event loop at each poll and each metrics scrape,
    once held it for a quarter of an hour (the pattern retried from every digit); now it is nothing readable, at once.
    In a child process: a regex holds the GIL, so only a process can be stopped."""
    try:
        done = subprocess.run([sys.executable, "-c", HOSTILE_FAST_TIME], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("still reading after a minute: the dashboard would be frozen")
    assert done.stdout.strip() == "None", done.stderr
