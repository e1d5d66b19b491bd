"""The SLA clocks of many requests at once: the stored columns of a whole batch (CAL-7).

:func:`livret.core.sla.walk` says, request by request, where each clock starts, pauses and
stops. :func:`settle` then does for a whole batch of one policy what :func:`sla.replay`,
:func:`sla.alerts` and the support app's ``services.recompute`` do for one request: the
deadlines, the 75 % warnings, the next deadline, the next alert and the breached clocks, with
the calendar's NumPy ``*_many`` methods, which return the same integers as the scalar calls
(CAL-7). ``tests/core/test_sla_bulk.py`` checks the equality on varied histories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt

from livret.core import sla
from livret.core.calendar import BusinessCalendar
from livret.core.offer.schema import Duration, Unit

I64 = npt.NDArray[np.int64]

COLUMNS = (
    "pickup_due",
    "action_plan_due",
    "fix_due",
    "validation_due",
    "next_deadline",
    "next_alert",
)
NONE = int(np.iinfo(np.int64).min)  # "no such instant" in the int64 columns
_FAR = int(np.iinfo(np.int64).max)
_WARN_NUM, _WARN_DEN = sla.WARNING_FRACTION.as_integer_ratio()
_CLOCK_ORDER = (sla.Clock.PICKUP, sla.Clock.ACTION_PLAN, sla.Clock.FIX, sla.Clock.VALIDATION)
_CLOCK_CODE = {clock: code for code, clock in enumerate(_CLOCK_ORDER)}
_US = timedelta(microseconds=1)

Sent = Set[tuple[str, str, int | None]]
"""Alerts already recorded for a request: (clock, level, start of the clock's run in µs)."""


@dataclass(frozen=True)
class Deadlines:
    """The stored SLA columns of one request (µs, UTC; None where there is no such clock)."""

    pickup_due: int | None = None
    action_plan_due: int | None = None
    fix_due: int | None = None
    validation_due: int | None = None
    next_deadline: int | None = None
    next_alert: int | None = None
    breached: tuple[str, ...] = ()


@dataclass
class Settled:
    """The stored SLA columns of many requests: int64 µs arrays (NONE for null) and lists."""

    columns: dict[str, I64]
    breached: list[tuple[str, ...]]

    @classmethod
    def empty(cls, n: int) -> Settled:
        """``n`` requests without any clock."""
        return cls({name: np.full(n, NONE, dtype=np.int64) for name in COLUMNS}, [()] * n)

    def put(self, index: int, found: Deadlines) -> None:
        """Set the columns of one request."""
        for name in COLUMNS:
            value = getattr(found, name)
            self.columns[name][index] = NONE if value is None else value
        self.breached[index] = found.breached

    def deadlines(self, index: int) -> Deadlines:
        """The columns of one request."""
        values = {name: int(self.columns[name][index]) for name in COLUMNS}
        return Deadlines(
            **{k: None if v == NONE else v for k, v in values.items()},
            breached=self.breached[index],
        )


def _scale_like_timedelta(us: I64) -> I64:
    """``timedelta * WARNING_FRACTION`` on µs arrays, rounded half to even as CPython does."""
    q, r = np.divmod(us * _WARN_NUM, _WARN_DEN)
    twice = 2 * r
    rounded: I64 = q + ((twice > _WARN_DEN) | ((twice == _WARN_DEN) & (q % 2 == 1)))
    return rounded


def _add_many(cal: BusinessCalendar, start: I64, duration: Duration) -> I64:
    """``sla.add_duration`` over an array of starts (µs); the walk checked the duration."""
    amount = duration.amount
    if duration.unit is Unit.BUSINESS_HOURS:
        return np.asarray(cal.add_business_time_many(start, timedelta(hours=amount)), np.int64)
    if duration.unit is Unit.BUSINESS_DAYS:
        return np.asarray(cal.add_business_days_many(start, int(amount)), np.int64)
    if duration.unit is Unit.CALENDAR_DAYS:
        return np.asarray(cal.add_calendar_days_many(start, int(amount)), np.int64)
    return start + sla.plain_time(duration) // _US


def settle(
    policy: sla.SlaPolicy,
    walks: Sequence[sla.Walk[int]],
    sent: Sequence[Sent],
    now_us: int,
) -> Settled:
    """The stored SLA columns of many requests of one policy, from their walks (µs instants).

    The same integers as ``sla.replay`` then ``sla.alerts`` request by request: deadlines
    (REQ-4, REQ-6) moved by the business time spent waiting (REQ-6b), alerts at 75 % and at
    breach deferred to the next opening unless urgent, and the clocks breached at ``now_us``.
    """
    cal = policy.calendar
    m = len(walks)
    out = Settled.empty(m)
    owner_list: list[int] = []
    runs: list[sla.ClockRun[int]] = []
    for index, walked in enumerate(walks):
        for run in walked.runs.values():
            owner_list.append(index)
            runs.append(run)
    n = len(runs)
    if not n:
        return out
    owners = np.array(owner_list, dtype=np.intp)
    start = np.fromiter((r.started_at for r in runs), dtype=np.int64, count=n)
    code = np.fromiter((_CLOCK_CODE[r.clock] for r in runs), dtype=np.int8, count=n)
    has_stop = np.fromiter((r.stopped_at is not None for r in runs), dtype=bool, count=n)
    stopped = np.fromiter(
        (NONE if r.stopped_at is None else r.stopped_at for r in runs), dtype=np.int64, count=n
    )
    is_paused = np.fromiter((r.paused_since is not None for r in runs), dtype=bool, count=n)

    # base deadline: sla.add_duration, grouped by duration (the policy's Duration objects)
    base = np.zeros(n, dtype=np.int64)
    by_duration: dict[int, list[int]] = defaultdict(list)
    for i, run in enumerate(runs):
        by_duration[id(run.allowed)].append(i)
    for indices in by_duration.values():
        picked = np.array(indices, dtype=np.intp)
        base[picked] = _add_many(cal, start[picked], runs[indices[0]].allowed)

    # REQ-6b: the deadline moves later by the business time spent waiting
    due = base
    pause_owner = [i for i, run in enumerate(runs) for _ in run.pauses]
    if pause_owner:
        pa = np.array([a for run in runs for a, _ in run.pauses], dtype=np.int64)
        pb = np.array([b for run in runs for _, b in run.pauses], dtype=np.int64)
        paused = np.zeros(n, dtype=np.int64)
        np.add.at(
            paused, np.array(pause_owner, dtype=np.intp), cal.business_time_between_many(pa, pb)
        )
        moved = paused != 0
        if moved.any():
            due = base.copy()
            due[moved] = cal.add_business_time_many(base[moved], paused[moved])

    # 75 % of the allowed business time (sla._clock_state)
    allowed = cal.business_time_between_many(start, due)
    warn = np.minimum(cal.add_business_time_many(start, _scale_like_timedelta(allowed)), due)

    running = ~has_stop & ~is_paused
    breached = np.where(has_stop, stopped > due, ~is_paused & (now_us > due))
    vendor = code <= _CLOCK_CODE[sla.Clock.FIX]
    live = vendor & running

    # alerts still to send (sla.alerts): deferred to the next opening unless urgent
    warn_sent = np.zeros(n, dtype=bool)
    breach_sent = np.zeros(n, dtype=bool)
    for i, run in enumerate(runs):
        done = sent[owner_list[i]]
        if done:
            warn_sent[i] = (run.clock.value, "warning", run.started_at) in done
            breach_sent[i] = (run.clock.value, "breach", run.started_at) in done
    criticity_1 = np.fromiter((w.criticity == 1 for w in walks), dtype=bool, count=m)
    urgent = criticity_1[owners] & (code != _CLOCK_CODE[sla.Clock.PICKUP])
    pick_w, pick_b = live & ~warn_sent, live & ~breach_sent
    x = np.concatenate([warn[pick_w], due[pick_b]])
    if len(x):
        inside = cal.is_open_many(x) | cal.is_open_many(x - 1)
        now_or_urgent = np.concatenate([urgent[pick_w], urgent[pick_b]]) | inside
        send_at = np.where(now_or_urgent, x, cal.next_opening_many(x))
        next_alert = np.full(m, _FAR, dtype=np.int64)
        np.minimum.at(next_alert, np.concatenate([owners[pick_w], owners[pick_b]]), send_at)
        out.columns["next_alert"] = np.where(next_alert == _FAR, NONE, next_alert)
    if live.any():
        next_deadline = np.full(m, _FAR, dtype=np.int64)
        np.minimum.at(next_deadline, owners[live], due[live])
        out.columns["next_deadline"] = np.where(next_deadline == _FAR, NONE, next_deadline)
    for k, name in enumerate(COLUMNS[:4]):
        mine = code == k
        out.columns[name][owners[mine]] = due[mine]
    late: dict[int, list[str]] = defaultdict(list)
    for i in np.nonzero(breached)[0].tolist():  # in run order, so in replay's clock order
        late[owner_list[i]].append(runs[i].clock.value)
    for index, clocks in late.items():
        out.breached[index] = tuple(clocks)
    return out
