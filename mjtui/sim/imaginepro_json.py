"""ImaginePro's DIY answers as its documents show them (the ImaginePro notes in shared/api/, §2, §5-§7), written by hand.

Every `info` value is display text scraped from Midjourney's /info, as ImaginePro sends it: "None" when no
job runs, counts as text, fast time in minutes or hours by the plan's size.
"""

from __future__ import annotations

from typing import Any

from mjtui.clock import iso_utc
from mjtui.sim.world import Channel, SimJob, World

MESSAGE_STATUS = {"created": "QUEUED", "started": "PROCESSING", "progress": "PROCESSING", "completed": "DONE"}
CANCEL_BUTTON = "Cancel Job"


def message_status(world: World, job: SimJob) -> tuple[str, int]:
    """The message's status word and its progress out of 100."""
    status = job.status(world.now)
    progress = 100 if status == "completed" else job.progress(world.now) if status in ("started", "progress") else 0
    return MESSAGE_STATUS.get(status, "FAIL"), progress


def message_json(world: World, job: SimJob, origin: str, ref: str | None = None) -> dict[str, Any]:
    """GET /api/v1/message/fetch/{messageId}: the documented fields (the old docs' `originatingMessageId`)."""
    status, progress = message_status(world, job)
    body: dict[str, Any] = {"messageId": job.message_id, "prompt": job.prompt or "", "status": status, "progress": progress,
                            "createdAt": iso_utc(job.created), "updatedAt": iso_utc(job.updated_at(world.now))}
    if job.attachments and status == "DONE":
        body["uri"] = origin + job.attachments[0]["path"]
        body["originalUrl"] = body["uri"] + "?discord=1"
    body["buttons"] = list(job.buttons) if status == "DONE" else [CANCEL_BUTTON] if status == "PROCESSING" else []
    parent = world.parent_of(job)
    if parent is not None:
        body["originatingMessageId"] = parent.message_id
    if job.reply_ref or ref:
        body["ref"] = job.reply_ref or ref
    if job.error:
        body["error"] = job.error
    return body


def _fast_time(channel: Channel) -> str:
    """Midjourney's words: minutes for a small plan, hours for a larger one."""
    left = channel.fast_total - channel.fast_used
    percent = 100 * left / channel.fast_total
    if channel.fast_total < 600:
        return f"{left:.2f}/{channel.fast_total:.1f} minutes ({percent:.2f}%)"
    return f"{left / 60:.2f}/{channel.fast_total / 60:.1f} hours ({percent:.2f}%)"


def info_json(world: World, channel: Channel) -> dict[str, str]:
    """A linked account's `info`: Midjourney's /info as text, live from the channel."""
    running = len(channel.running)  # "Number of running jobs in Midjourney", "None" when there are none
    queued = str(len(channel.backlog))
    relax = channel.mode == "relax"
    return {
        "jobMode": channel.mode.capitalize(),
        "runningJobs": str(running) if running else "None",
        "relaxedUsage": f"{sum(1 for job in world.jobs.values() if job.channel == channel.id and job.mode == 'relax')} images",
        "subscription": f"Standard (Active monthly, renews next on <t:{int(world.now) + 2_000_000}>)",
        "lifetimeUsage": f"{sum(1 for job in world.jobs.values() if job.channel == channel.id)} images",
        "queuedJobsFast": "0" if relax else queued,
        "visibilityMode": "Stealth",
        "queuedJobsRelax": queued if relax else "0",
        "fastTimeRemaining": _fast_time(channel),
    }


def link_status(channel: Channel) -> str:
    """FAST, RELAX, VERIFYING or BANNED (turbo is a fast mode)."""
    return channel.standing or ("RELAX" if channel.mode == "relax" else "FAST")


def token_json(world: World, channel: Channel) -> dict[str, Any]:
    """One linked Discord account as GET /api/v1/discord/tokens lists it (its Discord token too: ImaginePro sends it)."""
    return {
        "id": channel.token_id,
        "token": channel.discord,
        "channelId": channel.id,
        "serverId": channel.server,
        "isActive": channel.active,
        "status": link_status(channel),
        "info": info_json(world, channel),
        "concurrency": channel.max_jobs,
    }


def image_json(world: World, job: SimJob, origin: str) -> dict[str, Any]:
    """One item of GET /api/v1/nova/images (`uri` empty while the job runs)."""
    done = job.status(world.now) == "completed" and job.attachments
    return {"id": job.message_id, "type": job.verb, "button": job.button or "", "prompt": job.prompt or "",
            "uri": origin + job.attachments[0]["path"] if done else "", "createdAt": iso_utc(job.created)}


def trace_json(world: World, job: SimJob) -> dict[str, Any]:
    """GET /api/v1/message/trace/{messageId}: which linked account ran the message."""
    channel = world.channels[job.channel]
    return {"messageId": job.message_id, "tokenId": channel.token_id, "discordChannelId": channel.id,
            "tokenStatus": link_status(channel), "tokenInfo": info_json(world, channel)}
