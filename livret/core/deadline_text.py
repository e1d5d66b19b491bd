"""Deadlines as a person says them, in French ("fin de journée le jeudi 10/12").

A deadline is an instant (the API keeps it as such); a page says it the way a person would.
A deadline at local midnight is the end of the day before: CAL-5 ("N jours ouvrés": the end,
24:00 local, of the N-th business day) and CAL-6 give such instants, and "vendredi 11/12 à
00:00" would send the reader a day late. Everything else reads "jeudi 10/12 à 14:30";
today, tomorrow and yesterday read "aujourd'hui", "demain" and "hier".

Pure and Django-free: the caller gives ``now`` in the calendar's zone (CAL-3); the deadline is
read in that same zone, so the day a DST change shortens or lengthens changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _day(day: date, today: date, *, article: bool) -> str:
    """ "aujourd'hui", "demain", "hier", else "jeudi 10/12" (with the year when not this
    year's), preceded by "le" when ``article``."""
    if day == today:
        return "aujourd'hui"
    if day == today + timedelta(days=1):
        return "demain"
    if day == today - timedelta(days=1):
        return "hier"
    text = f"{WEEKDAYS[day.weekday()]} {day:%d/%m}"
    if day.year != today.year:
        text += f"/{day.year}"
    return f"le {text}" if article else text


def say_deadline(due: datetime, now: datetime) -> str:
    """How a person says ``due`` on the day of ``now``, in the zone of ``now``.

    Both must be aware (``ValueError`` otherwise). Examples, ``now`` on Tuesday 8/12:
    "fin de journée le jeudi 10/12" (due at Friday 00:00 local), "jeudi 10/12 à 14:30",
    "demain à 09:00", "fin de journée aujourd'hui".
    """
    if due.tzinfo is None or now.tzinfo is None:
        raise ValueError("say_deadline needs aware datetimes")
    local = due.astimezone(now.tzinfo)
    today = now.date()
    if local.time() == time(0, 0):
        # CAL-5 / CAL-6 "24:00": the end of the previous local day.
        return f"fin de journée {_day(local.date() - timedelta(days=1), today, article=True)}"
    return f"{_day(local.date(), today, article=False)} à {local:%H:%M}"
