from support.dashboard import make_dashboard

from mjtui.tui.channel_pane import ChannelPane


async def test_first_poll_fills_a_pane_per_channel(make_sim, clock):
    sim = make_sim(channels=3, warmup=120)
    app, timers = make_dashboard(sim, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        panes = list(app.query(ChannelPane))
        running = {c.id: len(c.running) for c in sim.world.channels.values() if c.running}
        assert {p.channel_id for p in panes} >= set(running)
        for pane in panes:
            assert pane.row_count == running.get(pane.channel_id, 0)
