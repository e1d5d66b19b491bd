"""Business time: the clock behind every deadline of livret (SPEC CAL-1..7).

A :class:`BusinessCalendar` is a set of opening intervals per weekday (several per day,
different per weekday, CAL-1), a set of public holidays (CAL-2, from the ``holidays`` package
for the contract's territory, with the offer's own additions and removals) and a time zone
(CAL-3). Build one from an offer with :func:`calendar_for` or from a ``CalendarSpec`` with
:meth:`BusinessCalendar.from_spec`.

Conventions
-----------
* **Aware instants only.** Every input is a timezone-aware ``datetime`` (any zone); a naive
  one raises :class:`CalendarError`. Results are aware datetimes in the calendar's zone.
* **Opening hours are local wall-clock times** (CAL-3). An interval ``09:00-12:30`` is the set
  of real instants at which the calendar's clock shows a time in ``[09:00, 12:30)``; the
  conversion is exact across DST changes: on a spring-forward day the missing hour holds no
  time, on a fall-back day a ``00:00-07:00`` window lasts eight real hours.
* **Intervals are half-open** ``[open, close)``: the calendar is open at 09:00 and closed
  at 12:30.
* **CAL-4, N business hours:** a clock started outside opening hours starts at the next
  opening; the deadline is the earliest instant at which N hours have elapsed inside opening
  intervals, so a deadline landing exactly on a closing time is that closing instant (due 12:30,
  not 14:00). Adding zero gives the instant the clock starts (``t`` when open, else the next
  opening).
* **CAL-5, N business days:** the day of ``t`` (its local date) does not count; the deadline
  is the end (24:00 local, i.e. the next local midnight) of the N-th business day after it
  (Code de procédure civile art. 641-642, restricted to business days). A business day is a
  Monday to Friday that is not a public holiday of the calendar (a holiday the offer works is a
  business day; an extra closed day is not), whatever the calendar's opening hours.
  ``n = 0`` gives the end of the day of ``t``.
* **CAL-6, N calendar days:** the same reading counting every day: the end (24:00 local) of
  the N-th day after the day of ``t``.
* **Years 1900 to 2200** (``MIN_YEAR``, ``MAX_YEAR``). Years are built lazily, as a contiguous
  block that grows in either direction when an instant or a deadline leaves it; an instant or a
  deadline outside the range raises :class:`CalendarError` before anything is built, so a far
  year cannot tie the caller. Holidays come from the ``holidays`` package, which knows French
  holidays for 1803-2100; after 2100 only the weekly hours apply.

Speed
-----
Per built block the calendar holds the sorted UTC boundaries of its opening intervals and the
cumulative business time at each boundary (integer microseconds). A scalar call is a couple
of :func:`bisect.bisect_right` calls on Python lists; the bulk twins (``*_many``) do the same
with NumPy over arrays, using a fixed-width bucket index in place of binary search. Both paths
use the same integer arithmetic, so their results are identical.

Bulk inputs are NumPy arrays of ``datetime64`` (any unit, read as UTC) or ``int64`` epoch
microseconds (UTC). Results keep the kind of the input: ``datetime64[us]`` for datetime64
input, ``int64`` epoch microseconds for integer input. Durations in bulk calls are a
``timedelta`` or an array of ``timedelta64`` / ``int64`` microseconds.

Modules: ``_base`` (units, errors, conversions of instants and weekly hours), ``_tables``
(the built tables: opening pieces in UTC, cumulated business time, zone segments),
``_calendar`` (:class:`BusinessCalendar`) and ``_offers`` (:func:`calendar_for`).
"""

from livret.core.calendar._base import (
    MAX_YEAR,
    MIN_YEAR,
    WEEKDAY_KEYS,
    CalendarError,
    HolidayInfo,
    to_us,
)
from livret.core.calendar._calendar import BusinessCalendar
from livret.core.calendar._offers import calendar_for

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "WEEKDAY_KEYS",
    "BusinessCalendar",
    "CalendarError",
    "HolidayInfo",
    "calendar_for",
    "to_us",
]
