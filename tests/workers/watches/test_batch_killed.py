"""A watch batch whose worker is killed mid-batch loses no watch: real worker processes, a
real Redis, an origin that keeps the probe busy (its port drops connection requests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rq.job import Job

from tests.support.ports import DroppingPort
from tests.workers.watches.conftest import wait_until
from workers.jobs import queues
from workers.options import build_request
from workers.watches.dispatch import enqueue_watch_batch
from workers.watches.model import WatchSpec, watch_id_for
from workers.watches.store import WatchStore, watch_member

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
T0 = 1_800_000_000.0


def start_worker(redis_url: str, logs: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
    with open(logs / f"{name}.log", "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--queues", "probe", "--metrics-port",
             "0", "--heartbeat", "1", "--maintenance-interval", "1",
             "--name", f"{name}-{os.getpid()}-{time.time_ns()}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_a_batch_killed_mid_probe_is_checked_by_its_retry(redis_url, tmp_path):
    redis = queues.connect(redis_url)
    store = WatchStore(redis)
    with DroppingPort() as silent:
        # Each check waits 3 s for a connection that never comes: time to kill the worker.
        request = build_request("silent.test", https_port=silent.port, timeout=3,
                                connection_attempts=1, resolve=(("silent.test", "127.0.0.1"),),
                                allow_private=True)
        spec = WatchSpec(watch_id=watch_id_for("CKILL", request), channel="CKILL",
                         request=request.to_dict(), text="silent.test", interval=300,
                         created_by="UALICE", created_at=T0, display="silent.test")
        store.put_watch(spec, due_at=T0)
        job_id = enqueue_watch_batch(redis, [(spec.watch_id, T0)])
        done = store.done_key(watch_member(spec.watch_id), T0)
        first = start_worker(redis_url, tmp_path, "doomed")
        try:
            wait_until(lambda: redis.get(done) == job_id.encode(), 30, what="the batch claimed")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        assert store.state(spec.watch_id) is None  # killed before it recorded anything
        second = start_worker(redis_url, tmp_path, "heir")
        try:
            wait_until(lambda: store.state(spec.watch_id) is not None, 60,
                       what="the retried batch recorded the watch")
            job = Job.fetch(job_id, connection=redis, serializer=queues.SERIALIZER)
            wait_until(lambda: job.get_status(refresh=True) == "finished", 30,
                       what="the retried batch finished")
        finally:
            second.terminate()
            second.wait(10)
    state = store.state(spec.watch_id)
    assert state.checks == 1 and state.verdict == "fail"
    assert redis.get(done) == b"done"
    redis.close()
