"""Watched origins per second per worker, and what a watch reports as TLS and first-byte time,
this tree against a baseline checkout, interleaved in one run.

Starts its own redis-server and loopback TLS origins (by default one nginx with four TLS
servers, `--origin-kind python` for the tests' Python origins) serving one wildcard certificate,
so every watch has its own name `oNNNN.bench.test` reached with `--resolve` on 127.0.0.1.
Each side (the baseline commit, checked out with its own venv, and this tree) gets its own
Redis database and its own `origin502 worker --queues probe` processes, started from its own
tree and venv. Then, round after round and alternating which
side goes first:

- a cycle: N watches all due at once, enqueued by that side's scheduler (batches of 25), timed
  until every watch has a new result in Redis; the CPU time of the worker processes (with
  their children) is read from /proc around it;
- a lone probe: the same origins diagnosed one at a time by that side's engine, in a process
  of its own, with nothing else running.

Both sides' workers record the per-connection TLS and first-byte times of the reports their
watch jobs make (an import hook, `_timing_hook/sitecustomize.py`, wraps the engine's
`diagnose`: the baseline's code is not changed). The inflation factor is the median reported
by the watch jobs over the median of the lone probes: 1.0 means the timings measure the
origin, not the worker's own queueing.

The machine is shared and noisy: only the ratios of one run mean anything, not the absolute
figures. Traffic goes to loopback only.

    .venv/bin/python benchmarks/watch_cycle.py [--sizes 1000] [--workers 1] [--rounds 3]
        [--baseline-dir /tmp/base50974e5] [--baseline-commit 50974e5] [--baseline none]

A missing baseline checkout is made with `git worktree add` and a venv of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HOOK_DIR = Path(__file__).resolve().parent / "_timing_hook"
DEFAULT_BASELINE_COMMIT = "50974e5"  # the commit issue 8 measured (56-68 origins/s)

ORIGIN_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from tests.support.certs import Minted
from tests.support.tls_origin import TlsOrigin
certs = x509.load_pem_x509_certificates(open(sys.argv[2], 'rb').read())
key = serialization.load_pem_private_key(open(sys.argv[3], 'rb').read(), None)
chain = [Minted.of(c, key) for c in certs]
with TlsOrigin(chain) as origin:
    print(origin.port, flush=True)
    while True:
        time.sleep(3600)
"""
CHANNEL = "CBENCH"
T0 = 1_900_000_000.0


def _use_tree(tree: Path) -> None:
    """Import `workers` (and the test helpers) from `tree`: the side being measured."""
    sys.path.insert(0, str(tree))


# -- helpers shared with benchmarks/incident_wait.py (this tree's code) ------------------------

def start_origins(count: int, tmp: Path) -> tuple[list[subprocess.Popen[str]], list[int], str]:
    from tests.support.certs import CertFactory, write_pem

    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, ["*.bench.test"])
    chain = write_pem(tmp / "chain.pem", leaf, inter)
    (tmp / "key.pem").write_bytes(leaf.key_pem)
    ca = write_pem(tmp / "root.pem", root)
    procs, ports = [], []
    for _ in range(count):
        proc = subprocess.Popen([sys.executable, "-c", ORIGIN_SCRIPT, str(ROOT), str(chain),
                                 str(tmp / "key.pem")], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        ports.append(int(proc.stdout.readline()))
        procs.append(proc)
    return procs, ports, str(ca)


@contextmanager
def origin_servers(kind: str, count: int, tmp: Path) -> Iterator[tuple[list[int], str]]:
    """`count` loopback TLS origins serving one wildcard certificate: (ports, CA file).
    "nginx": one nginx with `count` TLS servers (an origin that keeps up, so what a watch
    reports is this side's measuring, not the origin's own queueing); "python": `count`
    processes of the tests' TlsOrigin (a Python server, itself slowed down by many
    handshakes at once)."""
    if kind == "python":
        procs, ports, ca = start_origins(count, tmp)
        try:
            yield ports, ca
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        return
    from tests.support.certs import CertFactory, write_pem
    from tests.support.nginx import Nginx, NginxServer, TlsFiles

    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, ["*.bench.test"])
    files = TlsFiles.write(tmp / "nginx-tls", leaf, inter)
    ca = str(write_pem(tmp / "root.pem", root))
    servers = [NginxServer(tls=files, body="return 200 'ok\\n';", extra="access_log off;")
               for _ in range(count)]
    with Nginx(servers) as nginx:
        master = nginx._proc.pid  # type: ignore[attr-defined]
        for pid in [master, *_children(master)]:
            # On a machine this busy an origin waits for a CPU behind the workers, and that
            # wait would count as the origin's time: a real-time priority takes it away.
            try:
                os.sched_setscheduler(pid, os.SCHED_FIFO, os.sched_param(10))
            except (OSError, AttributeError):
                print("(no real-time priority for the origin: its own waits for a CPU count "
                      "in what both sides measure)")
                break
        yield list(nginx.ports), ca


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def origin_name(i: int) -> str:
    return f"o{i:04d}.bench.test"


def create_watches(store: Any, n: int, ports: list[int], ca: str, due: float) -> list[str]:
    from workers.options import build_request
    from workers.watches.model import WatchSpec, watch_id_for

    ids = []
    with store.redis.pipeline() as pipe:
        for i in range(n):
            name = origin_name(i)
            request = build_request(name, https_port=ports[i % len(ports)],
                                    resolve=((name, "127.0.0.1"),), ca_file=ca,
                                    allow_private=True)
            spec = WatchSpec(watch_id=watch_id_for(CHANNEL, request), channel=CHANNEL,
                             request=request.to_dict(), text=name, interval=300,
                             created_by="UBENCH", created_at=T0, display=name)
            ids.append(spec.watch_id)
            # The store's put_watch, batched: the spec, the indexes and the due time.
            pipe.set(store.spec_key(spec.watch_id), json.dumps(spec.to_dict()))
            pipe.sadd(store.channel_key(CHANNEL), spec.watch_id)
            pipe.zadd("origin502:schedule:due", {f"watch:{spec.watch_id}": due})
        pipe.execute()
    return ids


def start_workers(count: int, redis_url: str, logs: Path, *, tree: Path = ROOT,
                  python: str = sys.executable, extra_env: dict[str, str] | None = None,
                  tag: str = "bench") -> list[subprocess.Popen[bytes]]:
    from redis import Redis

    env = {**os.environ, "REDIS_URL": redis_url, **(extra_env or {})}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (env.get("PYTHONPATH"), str(tree)) if p)
    procs = []
    for number in range(count):
        with open(logs / f"worker-{tag}-{number}.log", "ab") as log:
            procs.append(subprocess.Popen(
                [python, "-m", "bot.cli", "worker", "--queues", "probe",
                 "--metrics-port", "0", "--name", f"{tag}-{number}-{time.time_ns()}"],
                cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT))
    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + 60
    while len(connection.keys(f"rq:worker:{tag}-*")) < count:  # registered and listening
        if time.monotonic() > deadline:
            for proc in procs:
                proc.kill()
                proc.wait()
            raise RuntimeError(f"workers did not start; see {logs}")
        time.sleep(0.1)
    connection.close()
    return procs


# -- one side's cycle and lone probes, run with that side's interpreter and tree -----------------

def drive_cycle(redis_url: str, n: int, ports: list[int], ca: str, cycle: int) -> dict[str, Any]:
    """Create N due watches, let the scheduler enqueue them, wait until each has a result."""
    from workers.jobs.queues import connect
    from workers.watches.clock import FixedClock
    from workers.watches.scheduler import Scheduler
    from workers.watches.store import WatchStore

    connection = connect(redis_url)
    for key in connection.scan_iter("origin502:*"):
        connection.delete(key)
    store = WatchStore(connection)
    # Each cycle is a new occurrence: the same one again would be (rightly) not run twice.
    due = T0 + 300 * cycle
    ids = create_watches(store, n, ports, ca, due)
    state_keys = [store.state_key(w) for w in ids]
    print("ready", flush=True)
    sys.stdin.readline()  # the parent reads the CPU counters, then says go
    started = time.perf_counter()
    Scheduler(connection, FixedClock(due)).tick()
    while True:
        raws = connection.mget(state_keys)
        if all(r is not None for r in raws):
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    verdicts: dict[str, int] = {}
    for state in store.states(ids).values():
        verdicts[state.verdict or "none"] = verdicts.get(state.verdict or "none", 0) + 1
    return {"elapsed": elapsed, "verdicts": verdicts}


def lone_probes(count: int, ports: list[int], ca: str) -> dict[str, list[float]]:
    """TLS and first-byte times of `count` origins, diagnosed one at a time."""
    from workers.engine import diagnose
    from workers.options import build_request

    times: dict[str, list[float]] = {"tls": [], "first_byte": []}
    for i in range(count + 1):
        name = origin_name(i)
        request = build_request(name, https_port=ports[i % len(ports)],
                                resolve=((name, "127.0.0.1"),), ca_file=ca, allow_private=True)
        report = diagnose(request)
        if i == 0:
            continue  # warm-up: imports, trust store
        for address in report.addresses:
            for probe in address.probes:
                for phase, found in times.items():
                    if probe.timings_ms.get(phase) is not None:
                        found.append(float(probe.timings_ms[phase]))
    return times


# -- the comparison -------------------------------------------------------------------------------

def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and every live descendant, plus the children it has reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        stats[int(entry)] = fields
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        fields = stats.get(current)
        if fields is None:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
        todo.extend(p for p, parent in parents.items() if parent == current)
    return total


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its live descendants, in MiB."""
    total = 0
    for current in [pid, *_descendants(pid)]:
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


@dataclass
class Side:
    label: str
    tree: Path
    python: str
    db: int
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    rates: dict[int, list[float]] = field(default_factory=dict)
    cpu_ms: dict[int, list[float]] = field(default_factory=dict)
    watch_times: dict[str, list[float]] = field(
        default_factory=lambda: {"tls": [], "first_byte": []})
    lone_times: dict[str, list[float]] = field(
        default_factory=lambda: {"tls": [], "first_byte": []})


def _child(side: Side, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen([side.python, str(Path(__file__).resolve()), "--child",
                             str(side.tree), *args], cwd=side.tree, env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def run_cycle(side: Side, redis_url: str, n: int, ports: list[int], ca: str, *, cycle: int,
              timings: Path) -> tuple[float, float, dict[str, int]]:
    url = _db_url(redis_url, side.db)
    child = _child(side, "cycle", url, str(n), ",".join(map(str, ports)), ca, str(cycle))
    assert child.stdin is not None and child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{side.label}: the cycle driver did not start")
    # The workers keep their files open: read only what this cycle appends.
    offsets = {path: path.stat().st_size for path in timings.glob("*.jsonl")}
    cpu_before = sum(tree_cpu(w.pid) for w in side.workers)
    child.stdin.write("go\n")
    child.stdin.flush()
    result = json.loads(child.stdout.readline())
    cpu = sum(tree_cpu(w.pid) for w in side.workers) - cpu_before
    child.wait()
    for path in timings.glob("*.jsonl"):
        with open(path) as handle:
            handle.seek(offsets.get(path, 0))
            lines = handle.read().splitlines()
        for line in lines:
            record = json.loads(line)
            for phase in side.watch_times:
                if record.get(phase) is not None:
                    side.watch_times[phase].append(float(record[phase]))
    return float(result["elapsed"]), cpu, result["verdicts"]


def run_lone(side: Side, count: int, ports: list[int], ca: str) -> None:
    child = _child(side, "lone", str(count), ",".join(map(str, ports)), ca)
    out, _ = child.communicate()
    times = json.loads(out.strip().splitlines()[-1])
    for phase in side.lone_times:
        side.lone_times[phase].extend(times[phase])


def ensure_baseline(directory: Path, commit: str) -> Path:
    python = directory / ".venv" / "bin" / "python"
    if python.exists():
        return python
    if not directory.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(directory),
                        commit], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory / ".venv")], check=True)
    subprocess.run([str(directory / ".venv" / "bin" / "pip"), "install", "-q", "-e",
                    f"{directory}[test]"], check=True)
    return python


def _db_url(url: str, db: int) -> str:
    return f"{url.rsplit('/', 1)[0]}/{db}"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000")
    parser.add_argument("--workers", default="1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--origins", type=int, default=4, help="origin servers")
    parser.add_argument("--origin-kind", choices=("nginx", "python"), default="nginx")
    parser.add_argument("--lone", type=int, default=40, help="origins per lone-probe run")
    parser.add_argument("--baseline-dir", default=f"/tmp/base{DEFAULT_BASELINE_COMMIT}")
    parser.add_argument("--baseline-commit", default=DEFAULT_BASELINE_COMMIT)
    parser.add_argument("--baseline", default="", help="'none': measure this tree only")
    args = parser.parse_args()
    _use_tree(ROOT)
    from tests.support.redis_server import RedisServer, find_redis_server

    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    executable = find_redis_server()
    if executable is None:
        sys.exit("redis-server is needed (apt-get install redis-server)")
    sides = [Side("this tree", ROOT, sys.executable, 2)]
    if args.baseline != "none":
        base_dir = Path(args.baseline_dir)
        python = ensure_baseline(base_dir, args.baseline_commit)
        head = subprocess.run(["git", "-C", str(base_dir), "rev-parse", "--short", "HEAD"],
                              check=False, capture_output=True, text=True).stdout.strip()
        sides.insert(0, Side(f"baseline {head}", base_dir, str(python), 1))
    with tempfile.TemporaryDirectory(prefix="origin502-bench-") as tmp_name, \
            RedisServer(executable) as redis:
        tmp = Path(tmp_name)
        timings = tmp / "timings"
        timings.mkdir()
        servers = origin_servers(args.origin_kind, args.origins, tmp)
        ports, ca = servers.__enter__()
        print(f"{os.cpu_count()} CPU(s), shared; {args.origins} {args.origin_kind} TLS origins "
              "on 127.0.0.1; "
              f"batches of 25; sides interleaved, {args.rounds} round(s); ratios of this run "
              "are the figures, absolute numbers depend on the machine's other load")
        cycle = 0
        try:
            for count in worker_counts:
                for side in sides:
                    side.workers = start_workers(
                        count, _db_url(redis.url, side.db), tmp, tree=side.tree, python=side.python,
                        extra_env={"PYTHONPATH": str(HOOK_DIR),
                                   "ORIGIN502_BENCH_TIMINGS": str(timings)},
                        tag=f"bench{side.db}")
                try:
                    for side in sides:  # warm-up: imports, trust store, worker pools
                        cycle += 1
                        run_cycle(side, redis.url, 50, ports, ca, cycle=cycle, timings=timings)
                        side.watch_times = {"tls": [], "first_byte": []}
                    for n in sizes:
                        for side in sides:
                            side.rates[n], side.cpu_ms[n] = [], []
                        for round_ in range(args.rounds):
                            order = sides if round_ % 2 == 0 else sides[::-1]
                            for side in order:
                                cycle += 1
                                elapsed, cpu, verdicts = run_cycle(
                                    side, redis.url, n, ports, ca, cycle=cycle, timings=timings)
                                side.rates[n].append(n / elapsed)
                                side.cpu_ms[n].append(cpu / n * 1000)
                                print(f"  {side.label:17s} {count} worker(s) {n:5d} watches: "
                                      f"{elapsed:6.2f} s {n / elapsed:6.1f} origins/s, "
                                      f"{cpu / n * 1000:5.2f} ms CPU per origin  {verdicts}",
                                      flush=True)
                            for side in order:
                                run_lone(side, args.lone, ports, ca)
                    _summary(sides, count, sizes)
                    for side in sides:
                        rss = sum(tree_rss_mb(w.pid) for w in side.workers)
                        print(f"  {side.label:17s} resident memory of the worker(s), with "
                              f"their probe processes: {rss:.0f} MiB")
                finally:
                    for side in sides:
                        for proc in side.workers:
                            proc.terminate()
                        for proc in side.workers:
                            proc.wait(10)
        finally:
            servers.__exit__(None, None, None)


def _summary(sides: list[Side], count: int, sizes: list[int]) -> None:
    print(f"\n{count} worker(s), medians over the rounds:")
    for n in sizes:
        for side in sides:
            print(f"  {side.label:17s} {n:5d} watches: {_median(side.rates[n]):6.1f} origins/s "
                  f"per {'worker' if count == 1 else f'{count} workers'}, "
                  f"{_median(side.cpu_ms[n]):5.2f} ms CPU per origin")
        if len(sides) == 2:
            base, this = sides
            print(f"  ratio this/baseline: {_median(this.rates[n]) / _median(base.rates[n]):.2f}x "
                  f"origins/s, {_median(base.cpu_ms[n]) / _median(this.cpu_ms[n]):.2f}x less "
                  "CPU per origin")
    print("TLS and first-byte times reported by the watch jobs vs a lone probe of the same "
          "origins (medians, ms):")
    for side in sides:
        parts = []
        for phase in ("tls", "first_byte"):
            watched, lone = _median(side.watch_times[phase]), _median(side.lone_times[phase])
            parts.append(f"{phase} {watched:6.2f} vs {lone:5.2f} = {watched / lone:5.1f}x")
        print(f"  {side.label:17s} " + "   ".join(parts))


def child_main(argv: list[str]) -> None:
    tree, mode, *rest = argv
    _use_tree(Path(tree))
    if mode == "cycle":
        url, n, ports, ca, cycle = rest
        result = drive_cycle(url, int(n), [int(p) for p in ports.split(",")], ca, int(cycle))
        print(json.dumps(result), flush=True)
    elif mode == "lone":
        count, ports, ca = rest
        print(json.dumps(lone_probes(int(count), [int(p) for p in ports.split(",")], ca)))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        main()
