"""This server's counters as samples with the metric names of the ingestion API (MON-1, MON-2).

What each metric means, per operating system (docs/agent.md has the same table):

``cpu_percent``
    Processor time of the whole machine since the previous reading (psutil.cpu_percent). Windows:
    the same measure as "% Processor Time (_Total)". Linux: time not idle and not waiting for I/O.
``memory_committed_percent``
    Memory promised to processes over what the system can back. Windows: "% Committed Bytes In
    Use" = (commit limit - available commit) / commit limit, from GlobalMemoryStatusEx. Linux:
    Committed_AS / (MemTotal + SwapTotal) from /proc/meminfo, the same idea (RAM plus swap is what
    can back a commitment); Linux may overcommit, so the value is capped at 100.
``pagefile_percent``
    Windows: page-file usage, "% Usage (_Total)" of the Paging File counter (psutil.swap_memory).
    Linux: swap in use over swap size; 0 when the machine has no swap.
``disk_busy_percent``
    The busiest physical disk's busy time over the interval. Linux: io_ticks (time with at least
    one I/O in flight, psutil busy_time). Windows: read time + write time, as "% Disk Time";
    both capped at 100.
``disk_queue_percent``
    The busiest physical disk's average queue length over the interval × 100 (so 95 means an
    average of 0.95 requests waiting or in service, the reading of MON-2's "average disk queue
    length > 95 %"). Linux: delta of the weighted I/O time of /proc/diskstats over the elapsed
    time. Windows: delta of read time + write time over the elapsed time, which is how Windows
    defines "Avg. Disk Queue Length". Not capped: a queue of 3 is 300.
``disk_free_percent:<volume>``
    Free space of each mounted local volume, as ``df`` counts it on Linux (space reserved for
    root excluded) and as Explorer shows it on Windows. Volume names: ``/``, ``/srv``…; ``C:``…
``service_running:<name>``
    1 when the service runs, 0 otherwise. Windows: psutil.win_service_get(name).status() is
    "running". Linux: ``systemctl is-active NAME`` answers "active" or "reloading". A service the
    system does not know counts as stopped; when systemd cannot answer at all, no sample is sent
    and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

log = logging.getLogger("livret.agent")

# The first reading measures since the collector was created: wait at least this long so that
# processor and disk percentages are not computed over a few microseconds (``--once``).
FIRST_WINDOW_SECONDS = 0.5
SYSTEMCTL_TIMEOUT_SECONDS = 5.0
# Device names of /sys/block that are not physical disks (loop files, RAM disks, CD drives).
_NOT_DISKS = ("loop", "ram", "zram", "fd", "sr")
# Read-only image file systems are always full: their free space means nothing.
_IMAGE_FILESYSTEMS = {"squashfs", "iso9660", "udf", "cramfs"}


@dataclass(frozen=True)
class Sample:
    """One reading, as the ingestion API expects it."""

    time: datetime
    metric: str
    value: float

    def to_json(self) -> dict[str, Any]:
        """The sample as a JSON object of the contract (time in ISO 8601 with its offset)."""
        return {
            "time": self.time.isoformat(timespec="milliseconds"),
            "metric": self.metric,
            "value": self.value,
        }


@dataclass(frozen=True)
class DiskTimes:
    """Cumulative milliseconds of one disk: busy (≥ 1 I/O in flight) and queue-weighted time."""

    busy_ms: float
    queue_ms: float


class Collector:
    """Reads the counters; percentages of processor and disks are over the time between reads."""

    def __init__(self, services: Iterable[str] = ()) -> None:
        self.services = tuple(services)
        self._warned: dict[str, str] = {}
        psutil.cpu_percent(interval=None)  # start the processor measure window
        self._disks = disk_times()
        self._read_at = time.monotonic()
        self._first = True

    def collect(self) -> list[Sample]:
        """Every metric of this machine now, stamped with the current UTC time."""
        if self._first:
            time.sleep(max(0.0, self._read_at + FIRST_WINDOW_SECONDS - time.monotonic()))
            self._first = False
        now = datetime.now(UTC)
        values: dict[str, float] = {"cpu_percent": psutil.cpu_percent(interval=None)}
        values["memory_committed_percent"] = committed_memory_percent()
        values["pagefile_percent"] = float(psutil.swap_memory().percent)
        values.update(self._disk_activity())
        values.update(free_space())
        for name in self.services:
            state = self._service_state(name)
            if state is not None:
                values[f"service_running:{name}"] = state
        return [
            Sample(now, metric, round(value, 2))
            for metric, value in values.items()
            if math.isfinite(value)
        ]

    def _disk_activity(self) -> dict[str, float]:
        """Busy and queue percentages of the busiest disk since the previous read."""
        disks, read_at = disk_times(), time.monotonic()
        elapsed_ms = (read_at - self._read_at) * 1000
        before, self._disks, self._read_at = self._disks, disks, read_at
        busy, queue = [], []
        for name, now in disks.items():
            if name in before and elapsed_ms > 0:
                busy.append(max(0.0, now.busy_ms - before[name].busy_ms) / elapsed_ms * 100)
                queue.append(max(0.0, now.queue_ms - before[name].queue_ms) / elapsed_ms * 100)
        if not busy:
            return {}
        return {"disk_busy_percent": min(100.0, max(busy)), "disk_queue_percent": max(queue)}

    def _service_state(self, name: str) -> float | None:
        """1.0 running, 0.0 not running, None when the system cannot tell (warned once)."""
        if sys.platform == "win32":
            state, problem = _windows_service_state(name)
        else:
            state, problem = _systemd_service_state(name)
        if problem and self._warned.get(name) != problem:
            log.warning("service %s: %s", name, problem)
        self._warned[name] = problem
        return state


def committed_memory_percent() -> float:
    """Committed memory over what RAM and page file/swap can back, in percent (≤ 100)."""
    if sys.platform == "win32":
        return _windows_committed_percent()
    meminfo = _read_meminfo()
    backing = meminfo.get("MemTotal", 0) + meminfo.get("SwapTotal", 0)
    if backing <= 0:
        return math.nan
    return min(100.0, meminfo.get("Committed_AS", 0) / backing * 100)


def _read_meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """The kB values of /proc/meminfo by name; empty when the file does not exist."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[name] = int(fields[0])
    return values


def _windows_committed_percent() -> float:
    """(commit limit - available commit) / commit limit, from GlobalMemoryStatusEx."""
    if sys.platform != "win32":
        raise OSError("GlobalMemoryStatusEx exists only on Windows")
    import ctypes
    from ctypes import wintypes

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", wintypes.DWORD),
            ("dwMemoryLoad", wintypes.DWORD),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return math.nan
    limit = status.ullTotalPageFile  # the commit limit: RAM plus page files
    return (limit - status.ullAvailPageFile) / limit * 100 if limit else math.nan


def disk_times() -> dict[str, DiskTimes]:
    """Cumulative busy and queue-weighted milliseconds of each physical disk."""
    counters = psutil.disk_io_counters(perdisk=True) or {}
    if sys.platform.startswith("linux"):
        whole = _linux_whole_disks()
        weighted = _linux_weighted_io_ms()
        return {
            name: DiskTimes(float(c.busy_time), float(weighted.get(name, 0)))
            for name, c in counters.items()
            if name in whole
        }
    # Windows (and others): the time requests spent in the disk, summed over requests.
    return {
        name: DiskTimes(float(c.read_time + c.write_time), float(c.read_time + c.write_time))
        for name, c in counters.items()
    }


def _linux_whole_disks() -> set[str]:
    """Block devices that are disks (not partitions, loop devices or RAM disks)."""
    try:
        names = os.listdir("/sys/block")
    except OSError:
        return set()
    return {name for name in names if not name.startswith(_NOT_DISKS)}


def _linux_weighted_io_ms(path: Path = Path("/proc/diskstats")) -> dict[str, int]:
    """Field 11 of each /proc/diskstats line: milliseconds × requests in flight (weighted)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    weighted = {}
    for line in lines:
        fields = line.split()
        if len(fields) >= 14 and fields[13].isdigit():
            weighted[fields[2]] = int(fields[13])
    return weighted


def free_space() -> dict[str, float]:
    """``disk_free_percent:<volume>`` of each mounted local volume."""
    values: dict[str, float] = {}
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _IMAGE_FILESYSTEMS or "cdrom" in part.opts or not part.fstype:
            continue
        volume = volume_name(part.mountpoint)
        if f"disk_free_percent:{volume}" in values:
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:  # a drive that is not ready, a mount point gone meanwhile
            continue
        if usage.total > 0:
            values[f"disk_free_percent:{volume}"] = 100.0 - float(usage.percent)
    return values


def volume_name(mountpoint: str) -> str:
    """``C:\\`` → ``C:`` (as the contract names Windows volumes); POSIX paths unchanged."""
    if len(mountpoint) >= 2 and mountpoint[1] == ":":
        return mountpoint.rstrip("\\/") or mountpoint
    return mountpoint


def systemd_state_value(state: str) -> float | None:
    """The answer of ``systemctl is-active`` as 1/0, None when it is not a unit state."""
    if state in ("active", "reloading", "refreshing"):
        return 1.0
    if state in ("inactive", "failed", "activating", "deactivating", "maintenance", "unknown"):
        return 0.0
    return None


def _systemd_service_state(name: str) -> tuple[float | None, str]:
    """State of a systemd unit, and a problem to log ("" when none)."""
    try:
        # "--" so that a name starting with "-" is never read as an option.
        result = subprocess.run(  # noqa: S603 — fixed command, no shell
            ["systemctl", "is-active", "--", name],  # noqa: S607 — systemctl from PATH
            capture_output=True,
            text=True,
            timeout=SYSTEMCTL_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"systemctl cannot be run: {error}"
    answer = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    value = systemd_state_value(answer)
    if value is None:
        detail = (result.stderr.strip().splitlines() or [answer or "no answer"])[0]
        return None, f"systemd cannot tell its state: {detail}"
    return value, ""


def _windows_service_state(name: str) -> tuple[float | None, str]:
    """State of a Windows service, and a problem to log ("" when none)."""
    try:
        status = psutil.win_service_get(name).status()
    except psutil.NoSuchProcess:
        return 0.0, "no such Windows service (reported as stopped)"
    except (OSError, psutil.Error) as error:
        return None, f"Windows cannot tell its state: {error}"
    return (1.0 if status == "running" else 0.0), ""
