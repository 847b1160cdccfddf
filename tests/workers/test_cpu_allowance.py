"""The CPUs a process may use (workers/cpu_allowance.py), from fixture cgroup files: v2's
cpu.max, v1's cfs quota, unlimited, below one CPU, fractional, nested, missing, malformed.
Nothing here depends on the CPUs of the machine running the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.cpu_allowance import CpuAllowance, Read, cpu_allowance, read_text

V2_ROOT = {"/proc/self/cgroup": "0::/\n"}
V1_ROOT = {"/proc/self/cgroup": "5:memory:/\n4:cpu,cpuacct:/\n0::/\n"}


def files_under(root: Path, files: dict[str, str]) -> Read:
    """Write `files` (absolute paths) below `root`; read them back from there, a missing one
    as None, the way the real reads see /proc and /sys."""
    for name, text in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return lambda name: read_text(str(root / name.lstrip("/")))


@pytest.mark.parametrize(("affinity", "files", "expected"), [
    # A container limited to 2 CPUs on a 64-core node.
    (64, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "200000 100000\n"}, (2, 2,
      "2 CPUs allowed by cgroup cpu.max")),
    (64, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "max 100000\n"}, (64, 64,
      "64 CPUs this process may run on")),
    (64, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "50000 100000\n"}, (1, 1,
      "0.5 CPU allowed by cgroup cpu.max")),
    (64, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "150000 100000\n"}, (1, 2,
      "1.5 CPUs allowed by cgroup cpu.max")),
    (64, {**V1_ROOT, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "300000\n",
          "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, (3, 3,
      "3 CPUs allowed by cgroup cpu.cfs_quota_us")),
    (8, {**V1_ROOT, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
         "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"}, (8, 8,
      "8 CPUs this process may run on")),
    # The quota is above what the affinity allows: the affinity says.
    (2, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "400000 100000\n"}, (2, 2,
      "2 CPUs this process may run on")),
    (1, {}, (1, 1, "1 CPU this process may run on")),
    # No /proc, no cgroup files: the affinity alone.
    (4, {}, (4, 4, "4 CPUs this process may run on")),
    # Malformed files: no limit known, not a crash.
    (4, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "garbage\n"}, (4, 4,
      "4 CPUs this process may run on")),
    (4, {**V2_ROOT, "/sys/fs/cgroup/cpu.max": "100000 0\n"}, (4, 4,
      "4 CPUs this process may run on")),
    (4, {"/proc/self/cgroup": "nonsense", "/sys/fs/cgroup/cpu.max": "100000 100000\n"}, (1, 1,
      "1 CPU allowed by cgroup cpu.max")),
    # A v1 quota without its period tells nothing.
    (4, {**V1_ROOT, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000\n"}, (4, 4,
      "4 CPUs this process may run on")),
])
def test_cpus_from_affinity_and_cgroup_files(tmp_path, affinity, files, expected):
    """expected: whole CPUs rounded down (serving processes), up (probe processes), and why."""
    allowance = cpu_allowance(affinity, files_under(tmp_path, files))
    assert (allowance.cpus(), allowance.cpus(round_up=True), allowance.why()) == expected


def test_the_tightest_quota_on_the_way_to_the_root_counts(tmp_path):
    """A service's own cgroup unlimited, its slice limited to 3 CPUs, a parent of that to 6:
    the slice's quota applies to the service."""
    read = files_under(tmp_path, {
        "/proc/self/cgroup": "0::/bots.slice/origin502.service\n",
        "/sys/fs/cgroup/bots.slice/origin502.service/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/bots.slice/cpu.max": "300000 100000\n",
        "/sys/fs/cgroup/cpu.max": "600000 100000\n",
    })
    assert cpu_allowance(32, read) == CpuAllowance(32, 3.0, "cpu.max")


def test_a_container_without_its_own_cgroup_namespace_finds_its_quota_at_the_root(tmp_path):
    """/proc/self/cgroup names the host's cgroup, which the container has mounted at its root:
    the paths below the root are missing and the root's file is the container's."""
    read = files_under(tmp_path, {
        "/proc/self/cgroup": "4:cpu,cpuacct:/docker/0123abcd\n",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "200000\n",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
    })
    assert cpu_allowance(16, read) == CpuAllowance(16, 2.0, "cpu.cfs_quota_us")


def test_v1_and_v2_side_by_side_the_tighter_counts(tmp_path):
    """Hybrid hosts mount both; whichever controller holds the quota sets it."""
    read = files_under(tmp_path, {
        "/proc/self/cgroup": "4:cpu,cpuacct:/\n0::/\n",
        "/sys/fs/cgroup/cpu.max": "max 100000\n",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000\n",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "50000\n",
    })
    assert cpu_allowance(8, read).why() == "2 CPUs allowed by cgroup cpu.cfs_quota_us"
