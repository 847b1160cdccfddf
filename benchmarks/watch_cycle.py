"""How long does one full cycle over 1,000 watched origins take, with one worker and with four?

Starts its own redis-server and several loopback TLS origins (each in its own process, with a
wildcard certificate, so every watch has its own name `oNNNN.bench.test` reached with
`--resolve` on 127.0.0.1), creates N watches that are all due at once, lets the scheduler
enqueue them (batches of 25, probed concurrently inside a worker), and times until every
watch has a new result in Redis, with 1 and 4 `origin502 worker --queues probe` processes.
Sizes 250, 500 and 1,000 show whether the cost grows linearly.

Traffic goes to loopback only. Run: .venv/bin/python benchmarks/watch_cycle.py [--sizes ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.certs import CertFactory, write_pem  # noqa: E402
from tests.support.redis_server import RedisServer, find_redis_server  # noqa: E402
from workers.jobs.queues import connect  # noqa: E402
from workers.options import build_request  # noqa: E402
from workers.watches.clock import FixedClock  # noqa: E402
from workers.watches.model import WatchSpec, watch_id_for  # noqa: E402
from workers.watches.scheduler import Scheduler  # noqa: E402
from workers.watches.store import WatchStore  # noqa: E402

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


def start_origins(count: int, tmp: Path) -> tuple[list[subprocess.Popen[str]], list[int], str]:
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
        ports.append(int(proc.stdout.readline()))
        procs.append(proc)
    return procs, ports, str(ca)


def create_watches(store: WatchStore, n: int, ports: list[int], ca: str, due: float) -> list[str]:
    ids = []
    with store.redis.pipeline() as pipe:
        for i in range(n):
            name = f"o{i:04d}.bench.test"
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


def start_workers(count: int, redis_url: str, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    procs = []
    for number in range(count):
        with open(logs / f"worker-{number}.log", "ab") as log:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "worker", "--queues", "probe",
                 "--metrics-port", "0", "--name", f"bench-{number}-{time.time_ns()}"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    connection = connect(redis_url)
    deadline = time.monotonic() + 60
    while len(connection.keys("rq:worker:bench-*")) < count:  # registered and listening
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not start; see {logs}")
        time.sleep(0.1)
    return procs


CYCLES = iter(range(1, 1_000_000))


def one_cycle(redis_url: str, n: int, ports: list[int], ca: str) -> tuple[float, dict[str, int]]:
    connection = connect(redis_url)
    for key in connection.scan_iter("origin502:*"):
        connection.delete(key)
    store = WatchStore(connection)
    # Each cycle is a new occurrence: the same one again would be (rightly) not run twice.
    due = T0 + 300 * next(CYCLES)
    ids = create_watches(store, n, ports, ca, due)
    state_keys = [store.state_key(w) for w in ids]
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
    return elapsed, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="250,500,1000")
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--origins", type=int, default=4, help="origin processes")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    executable = find_redis_server()
    if executable is None:
        sys.exit("redis-server is needed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="origin502-bench-") as tmp_name, \
            RedisServer(executable) as redis:
        tmp = Path(tmp_name)
        origins, ports, ca = start_origins(args.origins, tmp)
        print(f"{os.cpu_count()} CPU(s); {args.origins} origin processes on 127.0.0.1; "
              f"batches of 25 origins per job, probed concurrently in each worker")
        results: dict[tuple[int, int], float] = {}
        try:
            for count in worker_counts:
                workers = start_workers(count, redis.url, tmp)
                try:
                    one_cycle(redis.url, 50, ports, ca)  # warm-up: imports, trust store
                    for n in sizes:
                        elapsed, verdicts = one_cycle(redis.url, n, ports, ca)
                        results[(count, n)] = elapsed
                        print(f"{count} worker(s) {n:5d} watches: {elapsed:6.2f} s  "
                              f"({elapsed / n * 1000:5.2f} ms per origin, "
                              f"{n / elapsed:6.1f} origins/s)  verdicts {verdicts}")
                finally:
                    for proc in workers:
                        proc.terminate()
                    for proc in workers:
                        proc.wait(10)
        finally:
            for proc in origins:
                proc.kill()
                proc.wait()
        if all((w, n) in results for w in worker_counts for n in sizes):
            print("\nsize ratio vs time ratio (linear means equal):")
            base = sizes[0]
            for count in worker_counts:
                ratios = ", ".join(
                    f"{n / base:.0f}x size → {results[(count, n)] / results[(count, base)]:.2f}x "
                    "time" for n in sizes[1:])
                print(f"  {count} worker(s): {ratios}")
            if 1 in worker_counts and 4 in worker_counts and 1000 in sizes:
                speedup = results[(1, 1000)] / results[(4, 1000)]
                print(f"  1000 watches: 4 workers are {speedup:.2f}x faster than 1")


if __name__ == "__main__":
    main()
