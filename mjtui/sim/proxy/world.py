"""The simulated midjourney-proxy gateway's state: a pool of Discord accounts, their queues, tasks, time.

A `ProxyWorld` is a deterministic discrete-event simulation in the style of
`mjtui.sim.world`: nothing happens on its own, every call first runs the
events due up to `clock.now()`. It knows the gateway's rules (per-account
concurrency `coreSize` and queue `queueSize`, a relax pool on trueai, task
statuses, buttons and customIds, MODAL tasks, cancel, seeds, locked and
disabled accounts, the `/settings` buttons) but not HTTP or JSON: the
`wire` module writes the dialects' shapes and `app` serves the routes.

The three dialects (`flavor`) differ in a few rules, kept here: trueai cancels
to FAILURE "取消任务" and plus to CANCEL; trueai answers a full queue with code
9, plus and the original with 23; only trueai has the relax pool.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, TypedDict

from mjtui.clock import Clock, ManualClock
from mjtui.sim.timeline import Timeline
from mjtui.sim.world import PROMPTS

FLAVORS = ("trueai", "plus", "original")
RUNNING_STATUSES = ("SUBMITTED", "IN_PROGRESS")
UNFINISHED = ("NOT_START", "SUBMITTED", "IN_PROGRESS", "MODAL")
FINAL_STATUSES = ("SUCCESS", "FAILURE", "CANCEL")
PROGRESS_STEPS = (15, 31, 46, 62, 78, 93)
MODE_FACTOR = {"FAST": 1.0, "TURBO": 0.5, "RELAX": 3.0}
MODE_LABELS = {"RELAX": "Relax mode", "FAST": "Fast mode", "TURBO": "Turbo mode"}
SETTINGS = (  # the /settings buttons an account carries: (label, customId, emoji)
    ("Fast mode", "MJ::Settings::FastMode::1", "⚡"),
    ("Relax mode", "MJ::Settings::RelaxMode::1", "🐢"),
    ("Turbo mode", "MJ::Settings::TurboMode::1", "🚀"),
    ("Remix mode", "MJ::Settings::RemixMode::1", "🎛️"),
    ("Stealth mode", "MJ::Settings::Stealth::1", "🧍"),
)
REMIX_ACTIONS = ("VARIATION", "REROLL", "PAN")
CHANGEABLE = ("IMAGINE", "VARIATION", "REROLL", "BLEND")  # the original's /submit/change parents
BANNED_WORDS = ("forbidden", "gore")
FAST_HOURS = 30.0

# The gateways' own texts (trueai and novicezk sources), kept in Chinese as they send them.
SUBMITTED_OK = "提交成功"
QUEUED = "排队中，前面还有{}个任务"
QUEUE_FULL_TRUEAI = "提交失败，队列已满，请稍后重试"
QUEUE_FULL_JAVA = "队列已满，请稍后尝试"
NO_INSTANCE = "无可用的账号实例"
PARENT_MISSING = "关联任务不存在或已失效"
PARENT_STATE = "关联任务状态错误"
UNKNOWN_ACTION = "未知的 Action 类型"
BAD_PARAMS = "参数错误"
EMPTY_PROMPT = "prompt不能为空"
BANNED = "可能包含敏感词"
MODAL_WAITING = "Waiting for window confirm"
CANCELLED_TRUEAI = "取消任务"
TIMEOUT = "任务超时"
LOCK_REASON = "CF 人工验证..."
DISABLED_REASONS = {
    "trueai": "账号用量已经用完",
    "plus": "Action needed to continue, Please acknowledge the Midjourney Community Guidelines",
}
FAIL_REASONS = (
    "[Invalid parameter] Unrecognized parameter(s): `--vv`",
    "There was an error processing your request. Please try again.",
)


class Refusal(Exception):
    """A submit-style refusal: a `SubmitResultVO` code and description (and HTTP status where the gateway sets one)."""

    def __init__(self, code: int, description: str, *, http: int = 200, **properties: Any) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.http = http
        self.properties = properties


class AdminFailure(Exception):
    """A trueai `LogicException`: HTTP 200, `{"success": false, "code": -1, "message": ...}`."""


@dataclass(slots=True)
class Pool:
    """One concurrency pool of an account: at most `core` running, at most `queue` waiting."""

    running: dict[str, ProxyTask] = field(default_factory=dict)
    waiting: deque[str] = field(default_factory=deque)


@dataclass(slots=True)
class ProxyAccount:
    id: str  # a GUID on trueai, the channel id elsewhere
    channel_id: str
    guild_id: str
    remark: str
    core_size: int
    queue_size: int
    relax_core_size: int
    relax_queue_size: int
    created: float
    timeout_minutes: int = 5
    enable: bool = True
    lock: bool = False
    disabled_reason: str | None = None
    cf_url: str | None = None
    mode: str | None = None  # trueai: a forced speed for every task, None to follow the Midjourney setting
    job_mode: str = "FAST"  # the Midjourney setting, as the /settings buttons show it
    remix: bool = False
    fast_used: float = 0.0  # fast hours spent
    lifetime_images: int = 0
    info_updated: float | None = None
    user_token: str = ""  # the Discord user token the gateway logs in with: sent in full to its admin
    login_password: str = ""  # trueai: the credentials of its auto-login, sent in full to its admin too
    login_2fa: str = ""
    invitation: str = ""  # trueai: the channel's permanent invitation link
    pools: dict[str, Pool] = field(default_factory=lambda: {"fast": Pool(), "relax": Pool()})
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=16))

    @property
    def usable(self) -> bool:
        return self.enable and not self.lock

    @property
    def running_count(self) -> int:
        return sum(len(pool.running) for pool in self.pools.values())

    @property
    def queue_count(self) -> int:
        return sum(len(pool.waiting) for pool in self.pools.values())

    def limits(self, pool: str) -> tuple[int, int]:
        return (self.relax_core_size, self.relax_queue_size) if pool == "relax" else (self.core_size, self.queue_size)

    def fast_remaining(self) -> float:
        return max(0.0, FAST_HOURS - self.fast_used)

    def buttons(self) -> list[dict[str, Any]]:
        """The /settings buttons, style 3 on the active speed and on Remix when it is on."""
        on = {MODE_LABELS[self.job_mode]} | ({"Remix mode"} if self.remix else set())
        return [{"customId": custom, "emoji": emoji, "label": label, "type": 2, "style": 3 if label in on else 2}
                for label, custom, emoji in SETTINGS]


@dataclass(slots=True)
class ProxyTask:
    id: str
    action: str
    prompt: str
    account: str  # the ProxyAccount id
    instance: str  # its channel id (properties.discordInstanceId)
    submit_time: float
    mode: str
    pool: str
    job_id: str
    nonce: str
    request_mode: str | None = None
    state: str | None = None
    description: str = ""
    bot_type: str = "MID_JOURNEY"
    parent_id: str | None = None
    custom_id: str | None = None
    index: int = 0  # the button's image number (U2: 2), 0 for none
    ahead: int = 0  # tasks waiting before it when it was queued
    modal: bool = False
    remix: bool = False
    start_at: float | None = None
    progress_at: float = 0.0
    finish_at: float = 0.0
    outcome: str = "SUCCESS"  # what it will end as: SUCCESS, FAILURE or TIMEOUT
    final_status: str | None = None
    finished: float | None = None
    fail_reason: str | None = None
    message_id: str | None = None
    message_hash: str | None = None
    seed: str | None = None
    buttons: list[dict[str, Any]] = field(default_factory=list)

    def status(self, now: float) -> str:
        if self.final_status:
            return self.final_status
        if self.modal:
            return "MODAL"
        if self.start_at is None:
            return "NOT_START"
        return "SUBMITTED" if now < self.progress_at else "IN_PROGRESS"

    def progress(self, now: float) -> str:
        status = self.status(now)
        if status == "SUCCESS":
            return "100%"
        if status in ("FAILURE", "CANCEL"):
            return ""
        if status != "IN_PROGRESS":
            return "0%"
        span = max(self.finish_at - self.progress_at, 1e-9)
        fraction = min(max((now - self.progress_at) / span, 0.0), 0.999)
        return f"{PROGRESS_STEPS[int(fraction * len(PROGRESS_STEPS))]}%"


class ProxyWorldOptions(TypedDict, total=False):
    """`ProxyWorld`'s keyword options but the clock and flavor (for `ProxySimulator.build`)."""

    seed: int
    accounts: int
    locked: int
    core_size: int | None
    queue_size: int | None
    autopilot: bool
    load: float
    speed_scale: float
    fail_rate: float
    timeout_rate: float
    warmup: float
    retain_finished: int


class ProxyWorld(Timeline):
    """A midjourney-proxy gateway: `accounts` Discord accounts (the last `locked` of them locked or
    disabled, with the dialect's reason), the tasks they run, and a simulated user (`autopilot`)
    who keeps every usable account busy. Tests turn the user off and submit work themselves."""

    def __init__(
        self,
        *,
        flavor: str = "trueai",
        seed: int = 1,
        clock: Clock | None = None,
        accounts: int = 4,
        locked: int = 1,
        core_size: int | None = None,
        queue_size: int | None = None,
        autopilot: bool = True,
        load: float = 1.1,
        speed_scale: float = 1.0,
        fail_rate: float = 0.03,
        timeout_rate: float = 0.01,
        warmup: float = 0.0,
        retain_finished: int = 2_000,
    ) -> None:
        if flavor not in FLAVORS:
            raise ValueError(f"unknown flavor {flavor!r} (flavors: {', '.join(FLAVORS)})")
        self.flavor = flavor
        self.seed = seed
        self.rng = random.Random(seed)
        clock = clock or ManualClock()
        super().__init__(clock, clock.now() - warmup)
        self.load = load
        self.speed_scale = speed_scale
        self.fail_rate = fail_rate
        self.timeout_rate = timeout_rate
        self.retain_finished = retain_finished
        self.accounts: dict[str, ProxyAccount] = {}
        self.tasks: dict[str, ProxyTask] = {}
        self.requests: Counter[str] = Counter()  # answered requests per route, "METHOD /mj/path/{param}"
        self.revoked = False
        self.admin_token = f"mjp-admin-{self.rng.getrandbits(128):032x}"
        self.user_token = f"mjp-user-{self.rng.getrandbits(128):032x}"
        self._finished: deque[str] = deque()
        for index in range(max(1, accounts)):
            self._add_account(index, core_size, queue_size)
        for account in list(self.accounts.values())[::-1][: min(locked, len(self.accounts) - 1)]:
            self._halt(account, lock=flavor == "trueai")
        if autopilot:
            for account in self.accounts.values():
                self._schedule(self._now + self.rng.uniform(0, 5), self._user_submits, account.id)
        self.advance()

    # -- construction ---------------------------------------------------------------------------

    def _digits(self, n: int) -> str:
        return str(self.rng.randrange(10 ** (n - 1), 10**n))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _add_account(self, index: int, core_size: int | None, queue_size: int | None) -> None:
        channel = self._digits(19)
        core = core_size or self.rng.choice((3, 3, 5, 12))
        account = ProxyAccount(
            id=self._uuid() if self.flavor == "trueai" else channel,
            channel_id=channel,
            guild_id=self._digits(19),
            remark=f"pool-{index + 1:02d}",
            core_size=core,
            queue_size=queue_size or 10,
            relax_core_size=core,
            relax_queue_size=queue_size or 10,
            created=self._now - 86_400 * (60 - index % 60),
            job_mode=self.rng.choice(("FAST", "FAST", "RELAX")),
            fast_used=self.rng.uniform(0, 20),
            lifetime_images=self.rng.randrange(100, 9000),
            info_updated=self._now - 600,
            **_credentials(self.seed, channel),
        )
        self.accounts[account.id] = account

    def _halt(self, account: ProxyAccount, *, lock: bool) -> None:
        """The account stops taking work: trueai locks it behind a CAPTCHA, the others disable it."""
        if lock:
            account.lock = True
            account.disabled_reason = LOCK_REASON
            account.cf_url = f"https://editor.midjourney.com/captcha/challenge/index.html?hash={self._digits(12)}"
        else:
            account.enable = False
            account.disabled_reason = DISABLED_REASONS.get(self.flavor)

    # -- time -------------------------------------------------------------------------------------

    def schedule_revoke(self, after: float, account: str = "") -> None:
        """After `after` seconds both tokens answer 401 (the fault profiles' `revoke_after`)."""
        self._schedule(self._now + after, self._revoke, account)

    def schedule_moderation(self, after: float, channel: str | None = None) -> None:
        """After `after` seconds an account (the first usable, or the one with this channel) is disabled."""
        self._schedule(self._now + after, self._moderate, channel)

    def _revoke(self, _: Any) -> None:
        self.revoked = True

    def _moderate(self, channel: str | None) -> None:
        for account in self.accounts.values():
            if account.usable and channel in (None, account.channel_id):
                self._halt(account, lock=False)
                return

    # -- the simulated user -------------------------------------------------------------------------

    def _mean_duration(self, mode: str) -> float:
        return 45.0 * MODE_FACTOR[mode] * self.speed_scale

    def _user_submits(self, account_id: str) -> None:
        account = self.accounts[account_id]
        if account.usable and account.queue_count < max(1, account.queue_size // 2):
            with contextlib.suppress(Refusal):  # a full queue turns the simulated user away, as it would a real one
                self._invent_work(account)
        rate = account.core_size * self.load / self._mean_duration(account.mode or account.job_mode)
        self._schedule(self._now + self.rng.expovariate(rate), self._user_submits, account_id)

    def _invent_work(self, account: ProxyAccount) -> None:
        parent = self.tasks.get(self.rng.choice(account.recent)) if account.recent else None
        if parent is not None and parent.buttons and self.rng.random() < 0.25:
            button = self.rng.choice([b for b in parent.buttons if b["label"][:1] in ("U", "V")] or parent.buttons)
            self.action(parent.id, button["customId"])
            return
        self.imagine(self.rng.choice(PROMPTS), instance=account.channel_id)

    # -- submitting -------------------------------------------------------------------------------

    def _new_id(self) -> str:
        while True:
            task_id = f"{int(self._now * 1000)}{self.rng.randrange(100, 1000)}"
            if task_id not in self.tasks:
                return task_id

    def _pick_account(self, instance: str | None) -> ProxyAccount:
        """The load balancer: the named account, else the usable one with the most room."""
        usable = [a for a in self.accounts.values() if a.usable and instance in (None, a.channel_id, a.id)]
        if not usable:
            raise Refusal(3, NO_INSTANCE)
        return min(usable, key=lambda a: (a.running_count + a.queue_count) / max(a.core_size, 1))

    def _speed(self, account: ProxyAccount, requested: str | None) -> str:
        return requested or account.mode or account.job_mode

    def _pool_for(self, mode: str) -> str:
        return "relax" if mode == "RELAX" and self.flavor == "trueai" else "fast"

    def imagine(self, prompt: str, *, instance: str | None = None, mode: str | None = None,
                state: str | None = None, bot_type: str = "MID_JOURNEY") -> tuple[ProxyTask, int, str]:
        """Submit an IMAGINE task; the answer's code and description. Refusal when it cannot be queued."""
        if not prompt.strip():
            raise Refusal(4, EMPTY_PROMPT)
        banned = next((word for word in BANNED_WORDS if word in prompt.lower()), None)
        if banned:
            raise Refusal(24, BANNED, promptEn=prompt, bannedWord=banned)
        account = self._pick_account(instance)
        speed = self._speed(account, mode)
        task = self._new_task(account, "IMAGINE", prompt, speed, request_mode=mode, state=state, bot_type=bot_type)
        task.description = f"/imagine {prompt}"
        return task, *self._enqueue(task)

    def _new_task(self, account: ProxyAccount, action: str, prompt: str, mode: str, **fields: Any) -> ProxyTask:
        return ProxyTask(
            id=self._new_id(), action=action, prompt=prompt, account=account.id, instance=account.channel_id,
            submit_time=self._now, mode=mode, pool=self._pool_for(mode), job_id=self._uuid(),
            nonce=self._digits(19), **fields,
        )

    def _enqueue(self, task: ProxyTask) -> tuple[int, str]:
        """Queue the task on its account's pool, starting it when a slot is free: (code, description)."""
        account = self.accounts[task.account]
        pool = account.pools[task.pool]
        core, queue = account.limits(task.pool)
        waiting = len(pool.waiting)
        if len(pool.running) >= core and waiting >= queue:
            if self.flavor == "trueai":
                raise Refusal(9, QUEUE_FULL_TRUEAI, discordInstanceId=account.channel_id)
            raise Refusal(23, QUEUE_FULL_JAVA, discordInstanceId=account.channel_id)
        self.tasks[task.id] = task
        task.ahead = waiting
        pool.waiting.append(task.id)
        self._admit(account, task.pool)
        if waiting == 0:
            return 1, SUBMITTED_OK
        return 22, QUEUED.format(waiting)

    def _admit(self, account: ProxyAccount, pool_name: str) -> None:
        """Start waiting tasks while the pool has a free slot: `coreSize` is never exceeded."""
        pool = account.pools[pool_name]
        core, _ = account.limits(pool_name)
        while pool.waiting and len(pool.running) < core and account.usable:
            task = self.tasks.get(pool.waiting.popleft())
            if task is None or task.final_status:
                continue
            self._start(account, pool, task)

    def _start(self, account: ProxyAccount, pool: Pool, task: ProxyTask) -> None:
        duration = self._mean_duration(task.mode) * self.rng.uniform(0.6, 1.4)
        if task.action == "UPSCALE":
            duration *= 0.3
        task.start_at = self._now
        task.progress_at = self._now + self.rng.uniform(1.0, 4.0) * self.speed_scale
        task.finish_at = task.progress_at + duration
        task.message_id = self._digits(19)
        roll = self.rng.random()
        if roll < self.timeout_rate:
            task.outcome = "TIMEOUT"
            task.finish_at = task.start_at + account.timeout_minutes * 60
        elif roll < self.timeout_rate + self.fail_rate:
            task.outcome = "FAILURE"
        pool.running[task.id] = task
        self._schedule(task.finish_at, self._finish, task.id)

    def _finish(self, task_id: str) -> None:
        task = self.tasks.get(task_id)
        if task is None or task.final_status:
            return
        if task.outcome == "SUCCESS":
            self._succeed(task)
        else:
            self._fail(task, TIMEOUT if task.outcome == "TIMEOUT" else self.rng.choice(FAIL_REASONS))
        self._retire(task)

    def _succeed(self, task: ProxyTask) -> None:
        account = self.accounts[task.account]
        task.final_status = "SUCCESS"
        task.finished = self._now
        task.message_hash = task.job_id
        task.buttons = self._result_buttons(task)
        account.lifetime_images += 1
        if task.mode != "RELAX":
            account.fast_used += (task.finish_at - (task.start_at or task.finish_at)) / 3600 * (2 if task.mode == "TURBO" else 1)
        if task.action not in ("UPSCALE", "VIDEO"):  # the simulated user presses U and V on grids only
            account.recent.append(task.id)

    def _fail(self, task: ProxyTask, reason: str, status: str = "FAILURE") -> None:
        task.final_status = status
        task.finished = self._now
        task.fail_reason = reason

    def _result_buttons(self, task: ProxyTask) -> list[dict[str, Any]]:
        job = task.job_id
        if task.action == "UPSCALE":
            specs = [
                ("Vary (Subtle)", f"MJ::JOB::low_variation::1::{job}::SOLO", "🪄"),
                ("Vary (Strong)", f"MJ::JOB::high_variation::1::{job}::SOLO", "🪄"),
                ("Vary (Region)", f"MJ::Inpaint::1::{job}::SOLO", "🖌️"),
                ("Upscale (Subtle)", f"MJ::JOB::upsample_v6_2x_subtle::1::{job}::SOLO", ""),
                ("Zoom Out 2x", f"MJ::Outpaint::50::1::{job}::SOLO", "🔍"),
                ("Custom Zoom", f"MJ::CustomZoom::{job}", "🔍"),
                ("", f"MJ::JOB::pan_left::1::{job}::SOLO", "⬅️"),
                ("", f"MJ::JOB::pan_right::1::{job}::SOLO", "➡️"),
                ("Animate (High motion)", f"MJ::JOB::animate_high::1::{job}::SOLO", "🎞️"),
                ("Animate (Low motion)", f"MJ::JOB::animate_low::1::{job}::SOLO", "🎞️"),
            ]
        elif task.action == "VIDEO":
            specs = [("Extend (High motion)", f"MJ::JOB::animate_high_extend::1::{job}::SOLO", ""),
                     ("Extend (Low motion)", f"MJ::JOB::animate_low_extend::1::{job}::SOLO", "")]
        else:
            specs = [(f"U{n}", f"MJ::JOB::upsample::{n}::{job}", "") for n in range(1, 5)]
            specs.append(("", f"MJ::JOB::reroll::0::{job}::SOLO", "🔄"))
            specs += [(f"V{n}", f"MJ::JOB::variation::{n}::{job}", "") for n in range(1, 5)]
        return [{"customId": custom, "emoji": emoji, "label": label, "type": 2, "style": 2} for label, custom, emoji in specs]

    def _retire(self, task: ProxyTask) -> None:
        """A task reached a final state: free its slot, admit waiting work, bound the history."""
        account = self.accounts.get(task.account)
        if account is not None:
            pool = account.pools[task.pool]
            pool.running.pop(task.id, None)
            if task.id in pool.waiting:
                pool.waiting.remove(task.id)
            self._admit(account, task.pool)
        self._finished.append(task.id)
        while len(self._finished) > self.retain_finished:
            self.tasks.pop(self._finished.popleft(), None)

    # -- actions on tasks ---------------------------------------------------------------------------

    def task(self, task_id: str) -> ProxyTask | None:
        return self.tasks.get(task_id)

    def _parent(self, task_id: str) -> ProxyTask:
        parent = self.tasks.get(task_id)
        if parent is None:
            raise Refusal(3, PARENT_MISSING, http=404 if self.flavor == "trueai" else 200)
        if parent.status(self._now) != "SUCCESS":
            raise Refusal(4, PARENT_STATE)
        return parent

    def action(self, task_id: str, custom_id: str, *, mode: str | None = None,
               state: str | None = None) -> tuple[ProxyTask, int, str]:
        """Press a button of a SUCCESS task (`/submit/action`): a child task on the same account, or a MODAL one."""
        if not task_id or not custom_id:
            raise Refusal(4, BAD_PARAMS)
        parent = self._parent(task_id)
        action, index = _action_of(custom_id, parent.action)
        account = self._pick_account(parent.instance)
        task = self._new_task(account, action, parent.prompt, self._speed(account, mode or parent.request_mode or parent.mode),
                              request_mode=mode, state=state, parent_id=parent.id, custom_id=custom_id, index=index,
                              bot_type=parent.bot_type)
        label = next((b["label"] or b["emoji"] for b in parent.buttons if b["customId"] == custom_id), action)
        task.description = f"/up {parent.id} {label}"
        if "CustomZoom" in custom_id or "Inpaint" in custom_id or (account.remix and action in REMIX_ACTIONS):
            task.modal = True
            task.remix = account.remix
            self.tasks[task.id] = task
            return task, 21, MODAL_WAITING
        return task, *self._enqueue(task)

    def change(self, task_id: str, action: str, index: int, *, state: str | None = None) -> tuple[ProxyTask, int, str]:
        """The original's `/submit/change`: U, V or R on a SUCCESS imagine-like task."""
        parent = self._parent(task_id)
        if parent.action not in CHANGEABLE:
            raise Refusal(4, "关联任务不允许执行变化")
        account = self._pick_account(parent.instance)
        task = self._new_task(account, action, parent.prompt, self._speed(account, parent.mode), state=state,
                              parent_id=parent.id, index=index)
        letter = {"UPSCALE": "U", "VARIATION": "V", "REROLL": "R"}[action]
        task.description = f"/up {parent.id} {letter}{index if action != 'REROLL' else ''}"
        return task, *self._enqueue(task)

    def modal(self, task_id: str, prompt: str | None) -> tuple[ProxyTask, int, str]:
        """Confirm a MODAL task (`/submit/modal`): it joins its account's queue with the given prompt."""
        if not task_id:
            raise Refusal(4, BAD_PARAMS)
        task = self.tasks.get(task_id)
        if task is None:
            raise Refusal(3, PARENT_MISSING, http=404 if self.flavor == "trueai" else 200)
        if task.status(self._now) != "MODAL":
            raise Refusal(4, PARENT_STATE)
        if prompt:
            task.prompt = prompt
        del self.tasks[task_id]
        task.modal = False
        try:
            return task, *self._enqueue(task)
        except Refusal:
            task.modal = True
            self.tasks[task_id] = task
            raise

    def cancel(self, task_id: str) -> ProxyTask | None:
        """Cancel an unfinished task: trueai fails it with "取消任务", plus marks it CANCEL; None when unknown."""
        task = self.tasks.get(task_id)
        if task is None or task.final_status:
            return task
        if self.flavor == "trueai":
            self._fail(task, CANCELLED_TRUEAI)
        else:
            self._fail(task, "", status="CANCEL")
            task.fail_reason = None
        self._retire(task)
        return task

    def image_seed(self, task_id: str) -> str:
        """The task's seed; Refusal 3 (404 on trueai) when unknown, 4 (400 on trueai) before it has an image hash."""
        task = self.tasks.get(task_id)
        trueai = self.flavor == "trueai"
        if task is None:
            raise Refusal(3, PARENT_MISSING, http=404 if trueai else 200)
        if task.seed:
            return task.seed
        if not task.message_hash:
            raise Refusal(4, PARENT_STATE, http=400 if trueai else 200)
        task.seed = str(self.rng.randrange(0, 4_294_967_295))
        return task.seed

    def vanish(self) -> str | None:
        """A running task disappears from the gateway (the `vanish` fault): gone from every list and fetch."""
        running = [task for account in self.accounts.values() for pool in account.pools.values()
                   for task in pool.running.values()]
        if not running:
            return None
        task = self.rng.choice(running)
        self._retire(task)
        self._finished.remove(task.id)
        self.tasks.pop(task.id, None)
        return task.id

    # -- accounts -----------------------------------------------------------------------------------

    def account(self, account_id: str) -> ProxyAccount | None:
        return self.accounts.get(account_id)

    def press_setting(self, account: ProxyAccount, custom_id: str) -> None:
        """Press a /settings button: a speed button makes that speed the account's, Remix toggles."""
        label = next((label for label, custom, _ in SETTINGS if custom == custom_id), None)
        if label is None:
            raise AdminFailure(UNKNOWN_ACTION)
        speed = next((mode for mode, text in MODE_LABELS.items() if text == label), None)
        if speed is not None:
            account.job_mode = speed
        elif label == "Remix mode":
            account.remix = not account.remix
        self.sync(account)

    def sync(self, account: ProxyAccount) -> None:
        """What /info and /settings refresh: the time of the last sync."""
        account.info_updated = self._now

    def clear_lock(self, account: ProxyAccount) -> None:
        """trueai's `account-cf` POST: the CAPTCHA was solved."""
        account.lock = False
        account.cf_url = None
        account.disabled_reason = None
        self._readmit(account)

    def enable(self, account: ProxyAccount, *, clear_reason: bool = False) -> None:
        account.enable = True
        if clear_reason:
            account.disabled_reason = None
        self._readmit(account)

    def _readmit(self, account: ProxyAccount) -> None:
        for name in account.pools:
            self._admit(account, name)

    def update(self, account: ProxyAccount, changes: dict[str, Any]) -> None:
        """An account edit (trueai `account-reconnect`, plus `update-reconnect`): limits, mode, remark, enable."""
        sizes = {"coreSize": "core_size", "queueSize": "queue_size", "relaxCoreSize": "relax_core_size",
                 "relaxQueueSize": "relax_queue_size", "timeoutMinutes": "timeout_minutes"}
        for key, attr in sizes.items():
            value = changes.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                setattr(account, attr, value)
        if isinstance(changes.get("remark"), str):
            account.remark = changes["remark"]
        if "mode" in changes and (changes["mode"] is None or changes["mode"] in MODE_FACTOR):
            account.mode = changes["mode"]
        if changes.get("enable") is True:
            self.enable(account, clear_reason=True)
        elif changes.get("enable") is False:
            account.enable = False
        self._readmit(account)


class Credentials(TypedDict):
    user_token: str
    login_password: str
    login_2fa: str
    invitation: str


def _credentials(seed: int, channel: str) -> Credentials:
    """An account's Discord secrets, shaped as Discord's (a user token is `user id.timestamp.hmac` in base64).

    Hashed from the seed and channel, not drawn from the world's rng, so every other value a seed gives stays as it was.
    """
    digest = hashlib.sha256(f"{seed}:{channel}".encode()).digest()

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return {  # ProxyAccount's fields
        "user_token": f"{b64(channel.encode())}.{b64(digest[:4])}.{b64(digest[4:31])}",
        "login_password": f"pw-{digest[12:24].hex()}",
        "login_2fa": base64.b32encode(digest[24:32]).decode().rstrip("="),
        "invitation": f"https://discord.gg/{b64(digest[:6])}",
    }


def _action_of(custom_id: str, parent_action: str) -> tuple[str, int]:
    """trueai's customId to action table (`SubmitController.Action`); Refusal 4 for an unknown customId."""
    parts = custom_id.split("::")
    index = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
    rules = (
        ("MJ::JOB::upsample::", "UPSCALE"), ("MJ::JOB::variation::", "VARIATION"),
        ("MJ::JOB::high_variation::", "VARIATION"), ("MJ::JOB::low_variation::", "VARIATION"),
        ("MJ::Inpaint::", "VARIATION"), ("MJ::Outpaint::", "ZOOM"), ("MJ::CustomZoom::", "ZOOM"),
        ("MJ::JOB::pan_", "PAN"), ("MJ::JOB::upsample_", "UPSCALE_HD"), ("MJ::JOB::animate_", "VIDEO"),
    )
    if custom_id.startswith("MJ::JOB::reroll::"):
        return ("IMAGINE" if parent_action == "UPSCALE" else parent_action), 0
    for prefix, action in rules:
        if custom_id.startswith(prefix):
            return action, index
    raise Refusal(4, UNKNOWN_ACTION)
