"""The protocol models against the documents' own examples, and against hostile answers.

The JSON texts below are the examples in ../shared/api/*.txt, copied verbatim
(only re-indented). Where a document's example is not valid JSON, a comment
says what was changed to make the nearest valid version.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mjtui.api.client import parse_model
from mjtui.api.errors import ProtocolError
from mjtui.api.models import (
    Attachment,
    ChannelJobs,
    Child,
    CommandRequest,
    Embed,
    EmbedImage,
    ErrorBody,
    Job,
    MessageProgress,
    NovaCommandRequest,
    NovaCommandResponse,
    RunningJob,
    RunningJobs,
    Seed,
    SeedRequest,
    progress_from_content,
)
from mjtui.monitor.snapshot import snapshot_of

RUNNING = "GET /v3/midjourney/jobs"
JOB = "GET /v2/jobs/"
RELAX = "POST /v2/jobs/relax"
SEED = "POST /v2/jobs/seed_async"
NOVA = "POST /api/v1/nova/commands"
MESSAGE = "GET /api/v1/message/fetch/d15c1541-229a-442b-9873-d3494dede12a"

CHANNEL_ID = "1234567890123456789"
FIRST_JOB_ID = "j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney"
SECOND_JOB_ID = "j1023141525987654321i-u12345-c1234567890123456789-bot:midjourney"

# --- 000: POST jobs/relax ------------------------------------------------------------------------

RELAX_REQUEST = r"""
{
  "channel": "Discord channel id",
  "replyUrl": "Place your call back URL here",
  "replyRef": "Place your reference id here"
}
"""

RELAX_200 = r"""
{
  "jobid": "<jobid>",
  "verb": "relax",
  "status": "completed",
  "created": "2023-09-09T02:04:52.667Z",
  "updated": "2023-09-09T02:04:53.490Z",
  "discord": "<ABC...secured...xyz>",
  "channel": "<Discord channel id>",
  "replyUrl": "https://webhook.site/abc",
  "replyRef": "<your optional reference id>",
  "messageId": "<Discord message id>",
  "timestamp": "2023-09-09T02:04:52.774000+00:00",
  "content": "Done! Your jobs now do not consume fast-hours, but might take a little longer. You can always switch back with `/fast`",
  "code": 200
}
"""  # noqa: E501 - the document's example, verbatim

# --- 001: GET jobs/?jobid= -----------------------------------------------------------------------

JOB_200 = r"""
{
    "jobid": "<jobid>",
    "verb": "imagine",
    "status": "completed",
    "created": "2023-09-09T02:04:49.667Z",
    "updated": "2023-09-09T02:19:20.256Z",
    "prompt": "Steampunk cat",
    "children": [
        {
            "button": "U1",
            "jobid": "<jobid>",
            "messageId": "<Discord message id>"
        },
        {
            "button": "U2",
            "jobid": "<jobid>",
            "messageId": "<Discord message id>"
        },
        {
            "messageId": "<Discord message id>",
            "button": "U3",
            "jobid": "<jobid>"
        }
    ],
    "buttons": [
        "U1",
        "U2",
        "U3",
        "U4",
        "🔄",
        "V1",
        "V2",
        "V3",
        "V4"
    ],
    "discord": "<ABC…secured…xyz>",
    "channel": "<Discord channel id>",
    "server": "<Discord server id>",
    "maxJobs": 3,
    "messageId": "<Discord message id>",
    "content": "**Steampunk cat --s 750 --v 5.2** - <@Discord user id> (fast)",
    "timestamp": "2023-09-09T02:05:24.991000+00:00",
    "attachments": [
        {
            "url": "<generated image url>",
            "proxy_url": "<generated proxy image url>",
            "width": 2048,
            "height": 2048,
            "content_type": "<generated image type>",
            "id": "<Discord image id>",
            "filename": "<generated image name>",
            "size": 7204115
        }
    ],
    "code": 200
}
"""

JOB_400 = r"""
{
    "error": "Query param jobid not provided",
    "code": 400
}
"""

JOB_401 = r"""
{
    "error": "Unauthorized",
    "code": 401
}
"""

JOB_402 = r"""
{
    "error": "Account has no subscription or subscription expired",
    "code": 402
}
"""

JOB_404 = r"""
{
    "error": "Unable to locate job <jobid>",
    "code": 404
}
"""

JOB_410 = r"""
{
    "error": "Job has expired",
    "code": 410
}
"""

# --- 002: POST jobs/seed_async -------------------------------------------------------------------

SEED_REQUEST = r"""
{
    "jobid": "jobid",
    "discord": "Discord token",
    "replyUrl": "Place your call back URL here",
    "replyRef": "Place your reference id here"
}
"""

SEED_200_STARTED = r"""
{
    "jobid": "<jobid>",
    "verb": "seed_async",
    "status": "started",
    "created": "2023-09-09T20:19:57.073Z",
    "updated": "2023-09-09T20:19:58.536Z",
    "parentJobId": "<jobid>",
    "discord": "<ABC…secured…xyz>",
    "channel": "<Discord channel id>",
    "replyUrl": "https://webhook.site/abc",
    "replyRef": "<your optional reference id>",
    "code": 200
}
"""

# Not valid JSON in the document: seed attachments 2-4 read
# `{"id": "<id 2> …the rest of JSON object omitted for brevity…",}`. The nearest valid
# version drops the trailing comma and keeps only the "id" string, verbatim.
SEED_200_WITH_SEED = r"""
{
    "jobid": "<jobid>",
    "verb": "imagine|button|blend",
    "status": "completed",
    "created": "2023-09-09T02:04:49.667Z",
    "updated": "2023-09-09T02:04:53.490Z",
    "content": "**Steampunk cat --s 750 --v 5.2** - <@Discord user id> (fast)",
    "attachments": [
       {
          "id": "<id>",
          "url": "<image url>",
          "proxy_url": "<original image proxy url>",
          "width": 2048,
          "height": 2048,
          "size": 1234567,
          "placeholder_version": 1,
          "placeholder": "<placeholder>",
          "filename": "<image file name>",
          "content_type": "<image content-type>"
       }
    ],
    "seed": {
        "content": "**<prompt>**\n**Job ID**: <Job ID>n**seed** <seed>",
        "value": 123456789,
        "attachments": [
          {
              "id": "<id 1>",
              "url": "<image 1 url>",
              "proxy_url": "<image 1 proxy url>",
              "width": 1024,
              "height": 1024,
              "size": 12345,
              "placeholder_version": 1,
              "placeholder": "<placeholder 1>",
              "filename": "<image 1 file name>",
              "content_type": "<image 1 content-type>"
          },
          {
              "id": "<id 2> …the rest of JSON object omitted for brevity…"
          },
          {
              "id": "<id 3> …the rest of JSON object omitted for brevity…"
          },
          {
              "id": "<id 4> …the rest of JSON object omitted for brevity…"
          }
        ]
    },
    "prompt": "Steampunk cat",
    "discord": "<ABC…secured…xyz>",
    "channel": "<Discord channel id>",
    "server": "<Discord server id>",
    "maxJobs": 3,
    "replyUrl": "https://webhook.site/abc",
    "replyRef": "<your optional reference id>",
    "messageId": "<Discord message id>",
    "timestamp": "2023-09-09T02:04:51.926000+00:00",
    "code": 200
}
"""

# Not valid JSON in the document: `"error":` is followed by five juxtaposed strings (the
# possible messages) and no comma before "code". The nearest valid versions are one body
# per message, each with `"code": 400`.
SEED_400_MESSAGES = (
    "<jobid> is missing",
    "<replyRef | replyUrl> is too long",
    "Parent job must be completed",
    "Job of type <verb> not supported",
    "<discord | channel> is missing",
)
SEED_400 = tuple(json.dumps({"error": message, "code": 400}, ensure_ascii=False) for message in SEED_400_MESSAGES)

SEED_401 = r"""
{
    "error": "Unauthorized",
    "code": 401
}
"""

SEED_402 = r"""
{
    "error": "Account has no subscription or subscription expired",
    "code": 402
}
"""

SEED_404 = r"""
{
    "error": "Unable to locate parent job <jobid>",
    "code": 404
}
"""

SEED_596_JOB = r"""
{
    "jobid": "<jobid>",
    "verb": "seed_async",
    "parentJobId": "<jobid>",
    "status": "failed",
    "created": "2023-09-09T02:04:49.667Z",
    "updated": "2023-09-09T02:04:53.490Z",
    "discord": "<ABC…secured…xyz>",
    "channel": "<Discord channel id>",
    "replyUrl": "https://webhook.site/abc",
    "replyRef": "<your optional reference id>",
    "messageId": "<Discord message id>",
    "timestamp": "2023-09-09T02:04:51.926000+00:00",
    "error": "Pending mod message",
    "errorDetails": "You have a pending moderation message. Please acknowledge it before using the bot further.",
    "code": 596
}
"""

SEED_596_PLAIN = r"""
{
    "error": "Your Discord account has received a pending moderation message from Midjourney. Please address this issue and reset the /account pendingModMessage before making any new API calls.",
    "code": 596
}
"""  # noqa: E501 - the document's example, verbatim

# --- 003: ImaginePro POST nova/commands ----------------------------------------------------------

NOVA_REQUEST = r"""
{
  "cmd": "info",
  "tokenId": 12345
}
"""

NOVA_200 = r"""
{
    "success": true,
    "messageId": "d15c1541-229a-442b-9873-d3494dede12a",
    "createdAt": "2023-08-01T14:03:01.817Z"
}
"""

# --- 004: GET /v3/midjourney/jobs ----------------------------------------------------------------

RUNNING_200 = r"""
{
  "total": 2,
  "images": 2,
  "videos": 0,
  "channels": {
    "1234567890123456789": {
      "total": 2,
      "images": 2,
      "videos": 0,
      "maxJobs": 3,
      "maxImageJobs": 3,
      "maxVideoJobs": 3,
      "jobs": [
        {
          "jobId": "j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney",
          "channel": "1234567890123456789",
          "jobType": "image",
          "created": "2025-10-23T14:15:20.123Z",
          "elapsed": "00:32"
        },
        {
          "jobId": "j1023141525987654321i-u12345-c1234567890123456789-bot:midjourney",
          "channel": "1234567890123456789",
          "jobType": "image",
          "created": "2025-10-23T14:15:25.987Z",
          "elapsed": "00:27"
        }
      ]
    }
  }
}
"""

RUNNING_401 = r"""
{
  "error": "Unauthorized"
}
"""

# No document has an example of GET /api/v1/message/fetch/{messageId}; this one is built
# from the fields NOTES.md lists (messageId, status, progress, uri, buttons, ref).
MESSAGE_PROCESSING = r"""
{
    "messageId": "d15c1541-229a-442b-9873-d3494dede12a",
    "status": "PROCESSING",
    "progress": 46,
    "uri": "https://cdn.imaginepro.ai/preview/d15c1541.png",
    "buttons": [],
    "ref": "mjtui-1"
}
"""

# (name, model, endpoint, JSON text) for every example above.
EXAMPLES: list[tuple[str, type, str, str]] = [
    ("000 relax request", CommandRequest, RELAX, RELAX_REQUEST),
    ("000 relax 200", Job, RELAX, RELAX_200),
    ("001 job 200", Job, JOB, JOB_200),
    ("001 job 400", ErrorBody, JOB, JOB_400),
    ("001 job 401", ErrorBody, JOB, JOB_401),
    ("001 job 402", ErrorBody, JOB, JOB_402),
    ("001 job 404", ErrorBody, JOB, JOB_404),
    ("001 job 410", ErrorBody, JOB, JOB_410),
    ("002 seed request", SeedRequest, SEED, SEED_REQUEST),
    ("002 seed 200 started", Job, SEED, SEED_200_STARTED),
    ("002 seed 200 with seed", Job, SEED, SEED_200_WITH_SEED),
    *((f"002 seed 400 #{n}", ErrorBody, SEED, body) for n, body in enumerate(SEED_400, 1)),
    ("002 seed 401", ErrorBody, SEED, SEED_401),
    ("002 seed 402", ErrorBody, SEED, SEED_402),
    ("002 seed 404", ErrorBody, SEED, SEED_404),
    ("002 seed 596 job", ErrorBody, SEED, SEED_596_JOB),
    ("002 seed 596 job, read as a job", Job, SEED, SEED_596_JOB),
    ("002 seed 596 plain", ErrorBody, SEED, SEED_596_PLAIN),
    ("003 nova request", NovaCommandRequest, NOVA, NOVA_REQUEST),
    ("003 nova 200", NovaCommandResponse, NOVA, NOVA_200),
    ("004 running 200", RunningJobs, RUNNING, RUNNING_200),
    ("004 running 401", ErrorBody, RUNNING, RUNNING_401),
    ("NOTES message progress", MessageProgress, MESSAGE, MESSAGE_PROCESSING),
]
EXAMPLE_IDS = [name for name, *_ in EXAMPLES]

# The answers parse_model is used for (requests are only ever built by us).
ANSWER_MODELS: tuple[type, ...] = (RunningJobs, Job, ErrorBody, NovaCommandResponse, MessageProgress)


def parse(model: type, text: str | bytes, endpoint: str = RUNNING) -> Any:
    return parse_model(model, text.encode() if isinstance(text, str) else text, endpoint=endpoint)


def names_path(message: str, path: str) -> bool:
    """True when `path` appears in the message as a whole dotted field path."""
    return re.search(rf"(?<![\w.]){re.escape(path)}(?![\w.])", message) is not None


# --- 1. the documents' examples parse, and read back with the right types ------------------------


@pytest.mark.parametrize(("name", "model", "endpoint", "text"), EXAMPLES, ids=EXAMPLE_IDS)
def test_every_documented_example_parses_with_its_model(name: str, model: type, endpoint: str, text: str) -> None:
    assert type(parse(model, text, endpoint)) is model


def test_running_jobs_example_reads_channel_limits_and_jobs() -> None:
    running = parse(RunningJobs, RUNNING_200)

    assert (running.total, running.images, running.videos) == (2, 2, 0)
    assert list(running.channels) == [CHANNEL_ID]
    channel = running.channels[CHANNEL_ID]
    assert isinstance(channel, ChannelJobs)
    assert (channel.total, channel.images, channel.videos) == (2, 2, 0)
    assert (channel.max_jobs, channel.max_image_jobs, channel.max_video_jobs) == (3, 3, 3)
    assert type(channel.max_jobs) is int
    assert [job.job_id for job in channel.jobs] == [FIRST_JOB_ID, SECOND_JOB_ID]
    first = channel.jobs[0]
    assert isinstance(first, RunningJob)
    assert (first.channel, first.job_type, first.created, first.elapsed) == (
        CHANNEL_ID,
        "image",
        "2025-10-23T14:15:20.123Z",
        "00:32",
    )
    assert [job.elapsed_seconds for job in channel.jobs] == [32, 27]


def test_job_example_reads_children_buttons_and_attachments() -> None:
    job = parse(Job, JOB_200, JOB)

    assert (job.jobid, job.verb, job.status, job.prompt) == ("<jobid>", "imagine", "completed", "Steampunk cat")
    assert job.is_final and not job.is_running
    assert [child.button for child in job.children] == ["U1", "U2", "U3"]
    assert isinstance(job.children[2], Child)
    assert job.children[2].button == "U3"
    assert job.children[2].message_id == "<Discord message id>"
    assert job.children[2].jobid == "<jobid>"
    assert job.buttons == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert "🔄" in job.buttons
    assert job.max_jobs == 3 and job.code == 200
    assert job.discord == "<ABC…secured…xyz>"
    (attachment,) = job.attachments
    assert isinstance(attachment, Attachment)
    assert (attachment.width, attachment.height, attachment.size) == (2048, 2048, 7204115)
    assert type(attachment.width) is int
    assert attachment.proxy_url == "<generated proxy image url>"
    assert attachment.content_type == "<generated image type>"
    assert job.created_at == datetime(2023, 9, 9, 2, 4, 49, 667000, tzinfo=UTC)
    assert job.updated_at == datetime(2023, 9, 9, 2, 19, 20, 256000, tzinfo=UTC)
    assert job.progress is None  # "(fast)" is a mode, not a percentage
    assert not job.has_seed


def test_relax_example_reads_as_a_completed_command_job() -> None:
    job = parse(Job, RELAX_200, RELAX)

    assert (job.verb, job.status, job.code) == ("relax", "completed", 200)
    assert job.is_final
    assert job.reply_url == "https://webhook.site/abc"
    assert job.reply_ref == "<your optional reference id>"
    assert job.message_id == "<Discord message id>"
    assert job.content is not None and job.content.endswith("switch back with `/fast`")
    assert job.children == [] and job.buttons == [] and job.attachments == []


def test_seed_async_started_answer_is_a_running_job_without_seed() -> None:
    job = parse(Job, SEED_200_STARTED, SEED)

    assert (job.verb, job.status, job.parent_job_id) == ("seed_async", "started", "<jobid>")
    assert job.is_running and not job.is_final
    assert job.seed is None and not job.has_seed


def test_seed_async_second_answer_carries_the_seed_and_its_four_images() -> None:
    job = parse(Job, SEED_200_WITH_SEED, SEED)

    assert job.has_seed
    assert isinstance(job.seed, Seed)
    assert job.seed.value == 123456789 and type(job.seed.value) is int
    assert job.seed.content == "**<prompt>**\n**Job ID**: <Job ID>n**seed** <seed>"
    assert len(job.seed.attachments) == 4
    assert [a.id for a in job.seed.attachments[1:]] == [
        f"<id {n}> …the rest of JSON object omitted for brevity…" for n in (2, 3, 4)
    ]
    first = job.seed.attachments[0]
    assert (first.width, first.height, first.size, first.placeholder_version) == (1024, 1024, 12345, 1)
    assert first.placeholder == "<placeholder 1>"
    assert job.seed.attachments[1].width is None
    assert job.attachments[0].width == 2048 and job.attachments[0].placeholder_version == 1
    assert job.verb == "imagine|button|blend"  # the document's literal value, kept as is
    assert job.max_jobs == 3


@pytest.mark.parametrize(
    ("text", "endpoint", "error", "code"),
    [
        (JOB_400, JOB, "Query param jobid not provided", 400),
        (JOB_401, JOB, "Unauthorized", 401),
        (JOB_402, JOB, "Account has no subscription or subscription expired", 402),
        (JOB_404, JOB, "Unable to locate job <jobid>", 404),
        (JOB_410, JOB, "Job has expired", 410),
        *((body, SEED, message, 400) for body, message in zip(SEED_400, SEED_400_MESSAGES, strict=True)),
        (SEED_401, SEED, "Unauthorized", 401),
        (SEED_402, SEED, "Account has no subscription or subscription expired", 402),
        (SEED_404, SEED, "Unable to locate parent job <jobid>", 404),
        (
            SEED_596_PLAIN,
            SEED,
            (
                "Your Discord account has received a pending moderation message from Midjourney. Please address "
                "this issue and reset the /account pendingModMessage before making any new API calls."
            ),
            596,
        ),
        (RUNNING_401, RUNNING, "Unauthorized", None),
    ],
)
def test_error_examples_read_back_text_and_code(text: str, endpoint: str, error: str, code: int | None) -> None:
    body = parse(ErrorBody, text, endpoint)

    assert body.error == error
    assert body.code == code
    assert body.error_details is None


def test_moderation_596_job_body_reads_as_error_and_as_failed_job() -> None:
    body = parse(ErrorBody, SEED_596_JOB, SEED)
    assert (body.error, body.code, body.channel, body.jobid) == (
        "Pending mod message",
        596,
        "<Discord channel id>",
        "<jobid>",
    )
    assert body.error_details == (
        "You have a pending moderation message. Please acknowledge it before using the bot further."
    )

    job = parse(Job, SEED_596_JOB, SEED)
    assert (job.status, job.verb, job.code, job.error) == ("failed", "seed_async", 596, "Pending mod message")
    assert job.is_final


def test_imaginepro_examples_read_back() -> None:
    answer = parse(NovaCommandResponse, NOVA_200, NOVA)
    assert answer.success is True
    assert answer.message_id == "d15c1541-229a-442b-9873-d3494dede12a"
    assert answer.created_at == "2023-08-01T14:03:01.817Z"
    assert answer.error is None

    request = NovaCommandRequest.model_validate_json(NOVA_REQUEST)
    assert (request.cmd, request.token_id) == ("info", 12345)
    assert type(request.token_id) is int

    progress = parse(MessageProgress, MESSAGE_PROCESSING, MESSAGE)
    assert (progress.status, progress.progress, progress.buttons) == ("PROCESSING", 46, [])
    assert not progress.is_final
    assert parse(MessageProgress, '{"status": "DONE", "progress": 100}', MESSAGE).is_final


def test_request_examples_read_back() -> None:
    relax = CommandRequest.model_validate_json(RELAX_REQUEST)
    assert (relax.channel, relax.reply_url, relax.reply_ref) == (
        "Discord channel id",
        "Place your call back URL here",
        "Place your reference id here",
    )
    seed = SeedRequest.model_validate_json(SEED_REQUEST)
    assert (seed.jobid, seed.discord) == ("jobid", "Discord token")


# --- 2. dump() gives the API's JSON back ---------------------------------------------------------


@pytest.mark.parametrize(("name", "model", "endpoint", "text"), EXAMPLES, ids=EXAMPLE_IDS)
def test_dump_gives_back_the_documented_json(name: str, model: type, endpoint: str, text: str) -> None:
    parsed = parse(model, text, endpoint)

    assert parsed.dump() == json.loads(text)
    assert json.loads(parsed.dump_json()) == json.loads(text)


def test_unknown_fields_survive_parse_and_dump_in_a_job() -> None:
    document = json.loads(JOB_200)
    document["futureField"] = {"x": 1}
    document["attachments"][0]["futureField"] = {"x": 1}
    document["attachments"][0]["placeholder_version"] = 1
    document["children"][0]["futureField"] = [1, "two", None]
    document["embeds"] = [{"type": "rich", "image": {"url": "u", "width": 1, "futureField": True}}]
    document["seed"] = {"value": 7, "attachments": [], "futureField": "kept"}

    job = parse(Job, json.dumps(document, ensure_ascii=False), JOB)

    assert job.dump() == document
    assert job.model_extra == {"futureField": {"x": 1}}
    assert job.attachments[0].model_extra == {"futureField": {"x": 1}}
    assert job.attachments[0].placeholder_version == 1
    assert job.children[0].model_extra == {"futureField": [1, "two", None]}
    assert isinstance(job.embeds[0], Embed) and isinstance(job.embeds[0].image, EmbedImage)
    assert job.embeds[0].image.model_extra == {"futureField": True}
    assert job.seed is not None and job.seed.model_extra == {"futureField": "kept"}


def test_unknown_fields_survive_parse_and_dump_in_running_jobs() -> None:
    document = json.loads(RUNNING_200)
    document["futureField"] = {"x": 1}
    document["channels"][CHANNEL_ID]["maxAudioJobs"] = 2
    document["channels"][CHANNEL_ID]["jobs"][1]["futureField"] = {"x": 1}

    running = parse(RunningJobs, json.dumps(document))

    assert running.dump() == document
    assert running.model_extra == {"futureField": {"x": 1}}
    assert running.channels[CHANNEL_ID].model_extra == {"maxAudioJobs": 2}
    assert running.channels[CHANNEL_ID].jobs[1].model_extra == {"futureField": {"x": 1}}


def test_unknown_fields_survive_in_imaginepro_answers() -> None:
    document = {**json.loads(NOVA_200), "futureField": {"x": 1}}
    assert parse(NovaCommandResponse, json.dumps(document), NOVA).dump() == document
    message = {**json.loads(MESSAGE_PROCESSING), "futureField": {"x": 1}}
    assert parse(MessageProgress, json.dumps(message), MESSAGE).dump() == message


def test_dump_leaves_out_fields_the_answer_did_not_send() -> None:
    assert parse(Job, '{"jobid": "j1"}', JOB).dump() == {"jobid": "j1"}
    assert parse(RunningJobs, "{}").dump() == {}


# --- 3. values the documents do not list are kept as plain strings -------------------------------


def test_unknown_status_verb_and_buttons_are_kept() -> None:
    document = {
        "jobid": "j1",
        "verb": "animate",
        "status": "paused",
        "button": "Zoom Out 3x",
        "children": [{"button": "Zoom Out 3x", "jobid": "j2", "messageId": "m2"}],
        "buttons": ["U1", "Zoom Out 3x", "Animate (High motion)"],
    }

    job = parse(Job, json.dumps(document), JOB)

    assert (job.verb, job.status, job.button) == ("animate", "paused", "Zoom Out 3x")
    assert job.children[0].button == "Zoom Out 3x"
    assert job.buttons == ["U1", "Zoom Out 3x", "Animate (High motion)"]
    assert not job.is_running and not job.is_final  # neither running nor finished: shown as is
    assert job.dump() == document


def test_unknown_job_type_and_message_status_are_kept() -> None:
    document = json.loads(RUNNING_200)
    document["channels"][CHANNEL_ID]["jobs"][0]["jobType"] = "audio"
    running = parse(RunningJobs, json.dumps(document))
    assert running.channels[CHANNEL_ID].jobs[0].job_type == "audio"
    assert running.dump() == document

    progress = parse(MessageProgress, '{"status": "PAUSED", "buttons": ["Cancel Job"]}', MESSAGE)
    assert progress.status == "PAUSED" and not progress.is_final
    assert progress.buttons == ["Cancel Job"]


# --- 4. progress read from Midjourney's message --------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("**cat --v 6** - <@123> (46%) (fast)", 46),
        ("**cat --v 6** - <@123> (fast)", None),
        ("**cat --v 6** - <@123> (120%) (fast)", None),
        ("(120%)", None),
        ("**cat** - <@123> (0%) (relaxed)", 0),
        ("**cat** - <@123> (100%) (turbo)", 100),
        ("**cat (10%)** - <@123> (93%) (fast)", 93),  # the last percentage is Midjourney's
        ("**cat** - <@123> (-5%) (fast)", None),
        ("**cat** - <@123> (4 6%) (fast)", None),
        ("**cat** - <@123> 46%) (fast)", None),
        ("", None),
        (None, None),
    ],
)
def test_progress_from_content(content: str | None, expected: int | None) -> None:
    assert progress_from_content(content) == expected
    job = parse(Job, json.dumps({"status": "progress", "content": content}), JOB)
    assert job.progress == expected


@settings(max_examples=100, deadline=None, database=None)
@given(
    percent=st.integers(min_value=-(10**6), max_value=10**6),
    before=st.text(st.characters(exclude_characters="()%"), max_size=30),
    after=st.sampled_from(["", " (fast)", " (relaxed)", " (turbo)", " (Stopped)"]),
)
def test_progress_is_the_reported_percentage_when_it_is_one(percent: int, before: str, after: str) -> None:
    content = f"**{before}** - <@123> ({percent}%){after}"
    assert progress_from_content(content) == (percent if 0 <= percent <= 100 else None)


@pytest.mark.parametrize("content", ["**cat** - <@123> (²%) (fast)", "**cat** - <@123> (①%) (fast)"])
def test_progress_of_odd_digits_is_none_not_a_crash(content: str) -> None:
    assert progress_from_content(content) is None
    assert Job(content=content).progress is None


@pytest.mark.parametrize(
    ("elapsed", "seconds"),
    [("00:32", 32), ("00:27", 27), ("12:05", 725), ("1:02:03", 3723), (None, None), ("", None), ("soon", None)],
)
def test_elapsed_seconds(elapsed: str | None, seconds: int | None) -> None:
    assert RunningJob(elapsed=elapsed).elapsed_seconds == seconds


# --- 5. hostile answers: a model instance or a ProtocolError, nothing else -----------------------

_NASTY_TEXT = [
    "",
    "\x00",
    "\x1b[2J\x1b]52;c;aGVsbG8=\x07",
    "\u202eevil\u202c",
    "\u200f\u200e\u2066",
    "🔄",
    "👩\u200d👩\u200d👧",
    "\ud800",
    "\udfff",
    "\ufeff",
    "(46%)",
    "00:32",
    "NaN",
    '"}]',
]
_DOCUMENTED_KEYS = sorted(
    {
        field.alias or name
        for model in (RunningJobs, ChannelJobs, RunningJob, Job, Seed, Attachment, Child, Embed, EmbedImage)
        + (ErrorBody, NovaCommandResponse, MessageProgress)
        for name, field in model.model_fields.items()
    }
)

texts = st.text(st.characters(exclude_categories=()), max_size=20) | st.sampled_from(_NASTY_TEXT)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**4299])
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
keys = st.sampled_from(_DOCUMENTED_KEYS) | texts
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=6),
    max_leaves=30,
)
EXAMPLE_TEXTS = [text for _, _, _, text in EXAMPLES]
EXAMPLE_DOCUMENTS = [json.loads(text) for text in EXAMPLE_TEXTS]


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (of keys and indexes) inside a JSON value, the root excluded."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found = []
    for key, child in items:
        found.append(prefix + (key,))
        found.extend(_paths(child, prefix + (key,)))
    return found


def _at(value: Any, path: tuple) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def documented_with_wrong_types(draw: st.DrawFn) -> dict:
    """A documented example with 1-4 fields replaced by random JSON, removed, or added."""
    document = copy.deepcopy(draw(st.sampled_from(EXAMPLE_DOCUMENTS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(_paths(document) or [("added",)]))
        parent = _at(document, path[:-1])
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "replace" or not isinstance(parent, dict):
            parent[path[-1]] = draw(json_values)
        elif action == "delete":
            parent.pop(path[-1], None)
        else:
            parent[draw(keys)] = draw(json_values)
    return document


@st.composite
def encoded(draw: st.DrawFn, values: st.SearchStrategy) -> bytes | str:
    """A JSON value as the wire might carry it: UTF-8 or UTF-16 bytes (lone surrogates and all), or text."""
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()))
    form = draw(st.sampled_from(["utf-8", "utf-16", "str"]))
    return text if form == "str" else text.encode(form, "surrogatepass")


@st.composite
def truncated_examples(draw: st.DrawFn) -> bytes:
    """A documented answer cut short, possibly inside a multi-byte character."""
    raw = draw(st.sampled_from(EXAMPLE_TEXTS)).strip().encode()
    return raw[: draw(st.integers(min_value=0, max_value=len(raw) - 1))]


huge_numbers = st.builds(
    lambda field, digits: b'{"' + field.encode() + b'": ' + b"9" * digits + b"}",
    st.sampled_from(["total", "maxJobs", "code", "progress", "futureField"]),
    st.integers(min_value=4000, max_value=20000),
)

FUZZ = settings(max_examples=150, deadline=None, database=None)


def assert_model_or_protocol_error(raw: bytes | str) -> list[Any]:
    """Parse `raw` with every answer model; each gives an instance or a ProtocolError naming the endpoint."""
    parsed = []
    for model in ANSWER_MODELS:
        try:
            result = parse_model(model, raw, endpoint=RUNNING)
        except ProtocolError as exc:
            assert RUNNING in str(exc)
            assert exc.message.strip()
            continue
        assert type(result) is model
        parsed.append(result)
    return parsed


@FUZZ
@given(encoded(json_values))
def test_random_json_gives_a_model_or_a_protocol_error(raw: bytes | str) -> None:
    assert_model_or_protocol_error(raw)


@FUZZ
@given(encoded(documented_with_wrong_types()))
def test_documented_shapes_with_wrong_types_give_a_model_or_a_protocol_error(raw: bytes | str) -> None:
    assert_model_or_protocol_error(raw)


@FUZZ
@given(st.binary(max_size=300) | huge_numbers)
def test_random_bytes_give_a_model_or_a_protocol_error(raw: bytes) -> None:
    assert_model_or_protocol_error(raw)


@FUZZ
@given(truncated_examples())
def test_truncated_answers_are_protocol_errors(raw: bytes) -> None:
    assert assert_model_or_protocol_error(raw) == []


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "empty body"),
        (b"   ", "not JSON"),
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"null", "expected a JSON object"),
        (b"[]", "expected a JSON object"),
        (b'"ok"', "expected a JSON object"),
        (b"42", "expected a JSON object"),
        (b'{"total": ' + b"9" * 5000 + b"}", "not JSON"),
    ],
)
def test_answers_that_are_not_json_objects_say_so(raw: bytes, says: str) -> None:
    for model in ANSWER_MODELS:
        with pytest.raises(ProtocolError) as caught:
            parse_model(model, raw, endpoint=RUNNING)
        assert says in str(caught.value) and RUNNING in str(caught.value)


_DEEP = 5000


@pytest.mark.parametrize(
    ("model", "raw"),
    [
        (RunningJobs, b"[" * _DEEP + b"]" * _DEEP),
        (Job, b'{"children": ' + b"[" * _DEEP + b"]" * _DEEP + b"}"),
        (ErrorBody, b'{"error": ' + b'{"a": ' * _DEEP + b"1" + b"}" * _DEEP + b"}"),
    ],
    ids=["nested lists", "nested lists in a field", "nested objects"],
)
def test_deeply_nested_json_is_a_protocol_error(model: type, raw: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_model(model, raw, endpoint=RUNNING)
    assert RUNNING in str(caught.value)


def _nested_lists(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "extra",
    [_nested_lists(300), {"\ud800": 1}],
    ids=["unknown field nested 300 deep", "lone surrogate as a key inside an unknown field"],
)
def test_an_accepted_answer_can_be_dumped(extra: Any) -> None:
    body = {"jobid": "j1", "futureField": extra}
    try:
        job = parse_model(Job, json.dumps(body), endpoint=RUNNING)
    except ProtocolError as exc:  # refusing such an answer is fine too
        assert RUNNING in str(exc)
        return
    assert job.dump() == body


# --- 6. a wrong type in a documented field names the field ---------------------------------------


def _running_with(change: Any) -> str:
    document = json.loads(RUNNING_200)
    change(document)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("model", "endpoint", "raw", "path"),
    [
        (
            RunningJobs,
            RUNNING,
            _running_with(lambda d: d["channels"][CHANNEL_ID].update(maxJobs="lots")),
            f"channels.{CHANNEL_ID}.maxJobs",
        ),
        (RunningJobs, RUNNING, _running_with(lambda d: d.update(channels=[])), "channels"),
        (
            RunningJobs,
            RUNNING,
            _running_with(lambda d: d["channels"][CHANNEL_ID]["jobs"][1].update(jobId=42)),
            f"channels.{CHANNEL_ID}.jobs.1.jobId",
        ),
        (RunningJobs, RUNNING, _running_with(lambda d: d.update(total={"n": 2})), "total"),
        (Job, JOB, JOB_200.replace('"children": [', '"children": "U1", "was": ['), "children"),
        (Job, JOB, JOB_200.replace('"width": 2048', '"width": "wide"'), "attachments.0.width"),
        (Job, JOB, JOB_200.replace('"U4",', '{"label": "U4"},'), "buttons.3"),
        (Job, SEED, SEED_200_WITH_SEED.replace("123456789,", '"big",', 1), "seed.value"),
        (ErrorBody, SEED, '{"error": ["a", "b"], "code": 400}', "error"),
        (NovaCommandResponse, NOVA, '{"success": [true], "messageId": "m"}', "success"),
        (MessageProgress, MESSAGE, '{"progress": "almost"}', "progress"),
    ],
    ids=[
        "maxJobs lots",
        "channels list",
        "jobId number",
        "total object",
        "children string",
        "width word",
        "button object",
        "seed value word",
        "error list",
        "success list",
        "progress word",
    ],
)
def test_wrong_type_names_endpoint_and_field(model: type, endpoint: str, raw: str, path: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(model, raw, endpoint)
    message = str(caught.value)
    assert endpoint in message
    assert names_path(message, path), message


def test_a_negative_count_or_limit_from_the_service_is_unknown_not_full() -> None:
    """`jobs -3/-5 FULL` helped nobody: a count or limit below zero is shown as unknown, and the jobs still count."""
    running = RunningJobs.model_validate({"total": -3, "channels": {"111": {
        "total": -3, "images": -1, "maxJobs": -5, "maxImageJobs": -2, "maxVideoJobs": -1,
        "jobs": [{"jobId": "j1", "channel": "111", "jobType": "image"}]}}})
    channel = running.channels["111"]
    assert (running.total, channel.total, channel.images, channel.max_jobs, channel.max_image_jobs) == (None,) * 5
    stats = snapshot_of(running, 0.0, {}).stats["111"]
    assert stats.total == 1 and stats.max_jobs is None and not stats.full
