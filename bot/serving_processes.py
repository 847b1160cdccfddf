"""How many processes `serve` answers HTTP from: the number given, or by default `auto`, one
per CPU this process may use (workers/cpu_allowance.py), and why, for the start-up line.

One process acks a burst of commands on one core (the interpreter lock, bot/prefork.py); a
second core halves its wait. So the default follows the CPUs the bot is given, including a
container's CPU limit, rather than asking every operator to count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from workers.cpu_allowance import CpuAllowance

ENV = "ORIGIN502_SERVE_PROCESSES"
AUTO: Final = "auto"
MOST = 64  # the most `--processes N` accepts
# `auto` stops at 8 on a big host with no CPU limit: each process holds its own interpreter,
# Bolt app and Redis connections (~20-35 MiB), and past a few cores one bot's acks are not
# short of CPU. More cores' worth of acks come from more replicas behind the Service (which
# also survive losing a node); a bigger count on one host stays possible with `--processes N`.
MOST_AUTO = 8

Requested = int | Literal["auto"]


@dataclass(frozen=True)
class ServingProcesses:
    count: int
    why: str

    def __str__(self) -> str:
        return f"{self.count} {'process' if self.count == 1 else 'processes'}: {self.why}"


def parse(text: str) -> Requested:
    """`auto` or a whole number from 1 to MOST; ValueError (a sentence) for anything else."""
    value = text.strip().lower()
    if value == AUTO:
        return AUTO
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{text!r} is neither a number of processes nor auto") from None
    if not 1 <= number <= MOST:
        raise ValueError(f"{number} is not a number of processes from 1 to {MOST}, nor auto")
    return number


def automatic(allowance: CpuAllowance) -> ServingProcesses:
    """One serving process per whole CPU allowed, at least 1, at most MOST_AUTO. A fraction of
    a CPU adds no process: two processes sharing 1.5 CPUs' quota are throttled together
    under a burst, and answer slower than one process on one CPU."""
    cpus = allowance.cpus()
    if cpus > MOST_AUTO:
        return ServingProcesses(MOST_AUTO, f"{allowance.why()}, at most {MOST_AUTO} by default "
                                           "(--processes N for more)")
    return ServingProcesses(cpus, allowance.why())
