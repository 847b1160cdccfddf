"""How many CPUs this process may use: the CPUs it may run on, within its cgroups' CPU quota.

Neither `os.cpu_count()` nor the affinity sees a container's CPU limit: a pod limited to 2
CPUs on a 64-core node may run on all 64, but only for 2 CPUs' worth of time per period
(cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`). Processes sized on 64 would share those 2 and
be throttled together. A quota applies to every process below its cgroup, so the tightest one
between this process's cgroup and the root counts (a systemd `CPUQuota=` is on a parent).

`cpu_allowance` is pure: the affinity and the file reads are its arguments, so tests hand it
fixture files; `this_process` reads the real ones.
"""

from __future__ import annotations

import math
import os
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from workers.models.record import FrozenRecord

CGROUP_ROOT = "/sys/fs/cgroup"
# The cgroups of this process, one line per hierarchy: "0::/path" (v2), "4:cpu,cpuacct:/path" (v1).
SELF_CGROUP = "/proc/self/cgroup"

Read = Callable[[str], str | None]
"""A file's text, or None when it cannot be read (absent, no permission)."""


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


@dataclass(frozen=True, eq=False, repr=False)
class CpuAllowance(FrozenRecord):
    affinity: int  # CPUs this process may run on
    quota: float | None = None  # CPUs' worth of time per period its cgroups allow; None: no quota
    quota_file: str | None = None  # which file set `quota`: "cpu.max" or "cpu.cfs_quota_us"

    @property
    def limited_by_quota(self) -> bool:
        return self.quota is not None and self.quota <= self.affinity

    def cpus(self, *, round_up: bool = False) -> int:
        """Whole CPUs, at least 1: the affinity, within the quota rounded down (processes that
        each want a core of their own) or up (work that can share one)."""
        if self.quota is None:
            return max(1, self.affinity)
        quota = math.ceil(self.quota) if round_up else math.floor(self.quota)
        return max(1, min(self.affinity, quota))

    def why(self) -> str:
        """Where the figure comes from, e.g. "2 CPUs allowed by cgroup cpu.max"."""
        if self.quota is not None and self.limited_by_quota:
            amount = f"{self.quota:g}"
            unit = "CPU" if self.quota <= 1 else "CPUs"
            return f"{amount} {unit} allowed by cgroup {self.quota_file}"
        unit = "CPU" if self.affinity == 1 else "CPUs"
        return f"{self.affinity} {unit} this process may run on"


def cpu_allowance(affinity: int, read: Read) -> CpuAllowance:
    """The CPUs a process with this affinity may use, its cgroups' files read through `read`."""
    quotas = [(quota, name) for quota, name in (*_v2_quotas(read), *_v1_quotas(read))
              if quota is not None]
    if not quotas:
        return CpuAllowance(affinity)
    quota, name = min(quotas)
    return CpuAllowance(affinity, quota, name)


def this_process() -> CpuAllowance:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no affinity, and no cgroups either
        return CpuAllowance(os.cpu_count() or 1)
    return cpu_allowance(affinity, read_text)


def _cgroup_paths(read: Read, v2: bool) -> list[str]:
    """This process's cgroup and its ancestors, in the v2 hierarchy or v1's `cpu` one; just the
    root when unknown. In a container with its own cgroup namespace the path is "/"; without
    one it names the host's cgroup, which the container sees mounted at its root: the walk up
    ends there either way."""
    path = "/"
    for line in (read(SELF_CGROUP) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        number, controllers, where = parts
        if (v2 and number == "0" and controllers == "") or (
                not v2 and "cpu" in controllers.split(",")):
            path = where or "/"
            break
    paths = []
    while True:
        paths.append(path)
        if path in ("/", ""):
            return paths
        path = posixpath.dirname(path.rstrip("/")) or "/"


def _v2_quotas(read: Read) -> Iterator[tuple[float | None, str]]:
    for path in _cgroup_paths(read, v2=True):
        text = read(posixpath.join(CGROUP_ROOT, path.lstrip("/"), "cpu.max"))
        fields = (text or "").split()  # "QUOTA PERIOD", the quota "max" when unlimited
        if len(fields) == 2:
            yield _ratio(fields[0], fields[1]), "cpu.max"


def _v1_quotas(read: Read) -> Iterator[tuple[float | None, str]]:
    for path in _cgroup_paths(read, v2=False):
        directory = posixpath.join(CGROUP_ROOT, "cpu", path.lstrip("/"))
        quota = read(posixpath.join(directory, "cpu.cfs_quota_us"))  # -1 when unlimited
        period = read(posixpath.join(directory, "cpu.cfs_period_us"))
        if quota is not None and period is not None:
            yield _ratio(quota.strip(), period.strip()), "cpu.cfs_quota_us"


def _ratio(quota: str, period: str) -> float | None:
    """CPUs' worth of time: quota / period; None when unlimited or unreadable."""
    try:
        quota_us, period_us = int(quota), int(period)
    except ValueError:  # "max", or a file not as expected: no limit known
        return None
    if quota_us <= 0 or period_us <= 0:  # -1: unlimited (v1)
        return None
    return quota_us / period_us
