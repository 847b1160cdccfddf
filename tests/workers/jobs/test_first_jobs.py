"""A new run's first jobs, worded from a template (workers/jobs/queues.py), are the commands RQ
itself words for them: same keys, fields, values, TTLs and order, only the times differ. An
RQ upgrade that changes how it stores a job fails here. Real redis-server: the commands run,
and RQ reads the jobs back."""

from __future__ import annotations

import zlib

import pytest
from rq.job import Job

from workers.jobs import queues
from workers.jobs.run_record import RunStore

REQUESTS = [
    {"hostname": "origin.example.com", "port": 443, "host_header": "www.example.com"},
    {"hostname": "ünïcode.example.com", "options": {"tls": ["1.2", "1.3"]}, "note": None},
    {"port": 8443},  # no hostname: RQ's description says "None", so does the template
]


@pytest.fixture
def connection(redis_url):
    return queues.connect(redis_url)


def _run(run_id, request):
    from tests.bot.reports import run

    made = run("queued", run_id=run_id)
    made.request = request
    return made


def _timeless(commands):
    """The commands with the times left out and the job data decompressed (RQ reads any
    zlib stream; first_job_commands makes a cheaper one)."""
    out = []
    for command in commands:
        words = list(command)
        if words[0] == "HSET":
            for index in range(2, len(words) - 1, 2):
                if words[index] in ("created_at", "enqueued_at"):
                    words[index + 1] = "<time>"
                elif words[index] == "data":
                    words[index + 1] = zlib.decompress(words[index + 1])
        out.append([w.value if hasattr(w, "value") else w for w in words])
    return out


@pytest.mark.parametrize("request_", REQUESTS)
def test_the_template_words_what_rq_words(connection, request_):
    run_id = "rabcdef0123456789-0a1b2c3d4e5f"
    store = RunStore(connection)
    template = store.record_first_jobs(queues.STAND_IN_RUN, queues.STAND_IN_REQUEST)
    made = queues.first_job_commands(template, run_id, request_)
    recorded = store.record_first_jobs(run_id, request_)
    assert _timeless(made) == _timeless(recorded)
    times = [w for c in made if c[0] == "HSET"
             for name, w in zip(c[2::2], c[3::2], strict=True) if name == "created_at"]
    assert len(times) == 2 and all(t.endswith("Z") for t in times)


def test_the_jobs_run_and_read_back_as_rq_jobs(connection):
    run_id = "r0000000000000001-ffffffffffff"
    request = REQUESTS[0]
    with connection.pipeline(transaction=True) as pipe:
        for command in RunStore(connection)._first_jobs(_run(run_id, request)):
            pipe.execute_command(*command)
        pipe.execute()
    assert connection.lrange("rq:queue:origin502-probe", 0, -1) == [f"probe-{run_id}".encode()]
    assert connection.lrange("rq:queue:origin502-delivery", 0, -1) == [
        f"sync-{run_id}-1".encode()]
    probe = Job.fetch(f"probe-{run_id}", connection=connection, serializer=queues.SERIALIZER)
    assert probe.func_name == queues.PROBE_JOB
    assert list(probe.args) == [run_id, request]
    assert probe.description == f"probe origin.example.com for run {run_id}"
    assert probe.timeout == queues.PROBE_TIMEOUT and probe.retries_left == queues.PROBE_RETRIES
    assert 0 < connection.ttl(f"rq:job:probe-{run_id}") <= queues.PROBE_TTL
    sync = Job.fetch(f"sync-{run_id}-1", connection=connection, serializer=queues.SERIALIZER)
    assert sync.func_name == queues.SYNC_JOB and list(sync.args) == [run_id]
    assert sync.get_status() == "queued" and probe.get_status() == "queued"
