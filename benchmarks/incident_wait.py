"""How long does an incident probe wait in the queue while a watch cycle runs?

Starts its own redis-server, loopback TLS origins and one `origin502 worker --queues probe`
process (as benchmarks/watch_cycle.py does), then, in the same run:

- baseline: an incident probe queued on an idle worker;
- the case: the same probe queued while the worker checks a cycle of N watched origins
  (batches of 25 on the watch queue), several times during the cycle.

The wait is RQ's own record: the job's `started_at - enqueued_at`. The aim (issue 8) is that a
watch cycle never delays an incident probe by more than 0.5 s. Traffic goes to loopback only.

    .venv/bin/python benchmarks/incident_wait.py [--watches 1000] [--samples 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rq.job import Job  # noqa: E402

from benchmarks.watch_cycle import (  # noqa: E402
    T0,
    create_watches,
    start_origins,
    start_workers,
)
from tests.support.redis_server import RedisServer, find_redis_server  # noqa: E402
from workers.jobs import queues  # noqa: E402
from workers.options import build_request  # noqa: E402
from workers.watches.clock import FixedClock  # noqa: E402
from workers.watches.scheduler import Scheduler  # noqa: E402
from workers.watches.store import WatchStore  # noqa: E402


def incident_wait(connection, port: int, ca: str) -> float:
    """Queue one incident probe; seconds it waited before a worker started it."""
    name = "incident.bench.test"
    request = build_request(name, https_port=port, resolve=((name, "127.0.0.1"),), ca_file=ca,
                            allow_private=True)
    job_id = queues.enqueue_probe(connection, uuid.uuid4().hex, request.to_dict())
    job = Job.fetch(job_id, connection=connection, serializer=queues.SERIALIZER)
    while job.started_at is None:
        time.sleep(0.01)
        job.refresh()
    return (job.started_at - job.enqueued_at).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--origins", type=int, default=4)
    args = parser.parse_args()
    executable = find_redis_server()
    if executable is None:
        sys.exit("redis-server is needed (apt-get install redis-server)")
    with tempfile.TemporaryDirectory(prefix="origin502-bench-") as tmp_name, \
            RedisServer(executable) as redis:
        tmp = Path(tmp_name)
        origins, ports, ca = start_origins(args.origins, tmp)
        workers = start_workers(1, redis.url, tmp)
        try:
            connection = queues.connect(redis.url)
            idle = [incident_wait(connection, ports[0], ca) for _ in range(args.samples)]
            store = WatchStore(connection)
            due = T0 + 300
            ids = create_watches(store, args.watches, ports, ca, due)
            state_keys = [store.state_key(w) for w in ids]
            Scheduler(connection, FixedClock(due)).tick()
            busy = []
            while len(busy) < args.samples:
                busy.append(incident_wait(connection, ports[0], ca))
                time.sleep(0.2)
            remaining = sum(r is None for r in connection.mget(state_keys))
            while any(r is None for r in connection.mget(state_keys)):
                time.sleep(0.05)
        finally:
            for proc in workers + origins:
                proc.kill()
                proc.wait()
    print(f"1 worker, {args.origins} origin processes, 2 cores shared; queue wait of an "
          "incident probe (RQ started_at - enqueued_at)")
    print(f"  baseline, idle worker          median {statistics.median(idle) * 1000:7.1f} ms  "
          f"max {max(idle) * 1000:7.1f} ms  ({len(idle)} probes)")
    print(f"  during a {args.watches}-watch cycle     median "
          f"{statistics.median(busy) * 1000:7.1f} ms  max {max(busy) * 1000:7.1f} ms  "
          f"({len(busy)} probes; {remaining} watches still unchecked after the last one)")
    print(f"  ratio (max during cycle / baseline median) "
          f"{max(busy) / statistics.median(idle):7.1f} x   aim: max <= 500 ms")


if __name__ == "__main__":
    main()
