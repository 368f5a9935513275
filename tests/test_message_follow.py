"""How the ImaginePro provider follows messages (`mjtui.monitor.message_follow`), on a hand-driven clock."""

from __future__ import annotations

import pytest

from mjtui.api import errors
from mjtui.api.client import check_id
from mjtui.clock import ManualClock
from mjtui.monitor.message_follow import (
    LET_GO_NOT_AN_ID,
    MESSAGE_CHECK_CEILING,
    MESSAGE_FIRST_CHECK,
    MESSAGE_FOLLOW_LIMIT,
    MESSAGES_FOLLOWED,
    Check,
    MessageFollower,
    why_let_go,
)


def follow_until_let_go(follower: MessageFollower, clock: ManualClock, message_id: str) -> list[float]:
    """Answer every check as not final; return when each was asked, in seconds since it was sent."""
    sent = clock.now()
    check, _ = follower.follow(message_id, sent)
    asked = []
    while check is not None:
        clock.advance(check.wait)
        assert follower.ask(message_id, check.ticket)
        asked.append(clock.now() - sent)
        check = follower.answered(message_id, False, clock.now())
    return asked


def test_checks_back_off_from_3_s_doubling_to_a_minute_and_stop_after_the_limit() -> None:
    clock = ManualClock(0.0)
    asked = follow_until_let_go(MessageFollower(), clock, "m1")
    assert asked[:6] == [3, 9, 21, 45, 93, 153]
    waits = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    assert waits[0] == MESSAGE_FIRST_CHECK * 2 and max(waits) == MESSAGE_CHECK_CEILING
    assert asked[-1] <= MESSAGE_FOLLOW_LIMIT < asked[-1] + MESSAGE_CHECK_CEILING
    assert len(asked) == 33, "33 requests in 30 minutes, not 600"


def test_a_final_answer_ends_the_follow() -> None:
    follower = MessageFollower()
    check, _ = follower.follow("m1", 0.0)
    assert check == Check(MESSAGE_FIRST_CHECK, check.ticket)
    assert follower.ask("m1", check.ticket)
    assert follower.answered("m1", True, 3.0) is None
    assert not follower.follows("m1") and len(follower) == 0


def test_one_chain_per_message_whoever_schedules_checks() -> None:
    follower = MessageFollower()
    check, _ = follower.follow("m1", 0.0)
    assert follower.follow("m1", 1.0) == (None, []), "following it already"
    assert follower.ask("m1", check.ticket)
    assert not follower.ask("m1", check.ticket), "a check is in flight"
    following = follower.answered("m1", False, 3.0)
    assert following is not None
    assert not follower.ask("m1", check.ticket), "an old ticket asks nothing"
    assert follower.ask("m1", following.ticket)


def test_past_the_cap_a_new_message_lets_the_oldest_go() -> None:
    follower = MessageFollower()
    checks = {f"m{n}": follower.follow(f"m{n}", float(n))[0] for n in range(MESSAGES_FOLLOWED)}
    check, let_go = follower.follow("newest", 100.0)
    assert check is not None and let_go == ["m0"]
    assert len(follower) == MESSAGES_FOLLOWED
    assert not follower.ask("m0", checks["m0"].ticket), "a message let go is not asked about"
    assert follower.ask("m1", checks["m1"].ticket)


def an_id_that_cannot_be_sent() -> errors.InvalidId:
    with pytest.raises(errors.InvalidId) as caught:
        check_id("m1/../../nova/commands", "message id")
    return caught.value


ENDPOINT = "GET /api/v1/message/fetch/{messageId}"


def test_a_check_that_can_never_succeed_lets_the_message_go_at_once() -> None:
    assert why_let_go(an_id_that_cannot_be_sent()) == LET_GO_NOT_AN_ID
    refused = errors.NotFound(404, endpoint=ENDPOINT, error="Message not found")
    assert why_let_go(refused) == str(refused)


@pytest.mark.parametrize("failure", [
    errors.ReadTimeout("no answer in time", endpoint=ENDPOINT),
    errors.ProtocolError("the answer was not JSON", endpoint=ENDPOINT),
    errors.UpstreamError(502, endpoint=ENDPOINT),
    errors.RateLimited(429, endpoint=ENDPOINT, retry_after=3.0),
], ids=["timeout", "garbled", "502", "429"])
def test_a_check_that_may_pass_next_time_keeps_the_message_followed(failure: errors.MjtuiError) -> None:
    assert why_let_go(failure) is None
