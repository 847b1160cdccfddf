"""Incident probes come before watch batches: a real worker busy with a watch batch still
takes a slash command's probe at once, on the lane it keeps for them."""

from __future__ import annotations

import pytest
from rq.job import Job, JobStatus

from tests.e2e.test_e2e_slack import finished_parent
from workers.jobs import queues
from workers.options import build_request
from workers.watches.dispatch import enqueue_watch_batch
from workers.watches.model import WatchSpec, watch_id_for
from workers.watches.store import WatchStore

pytestmark = pytest.mark.e2e
T0 = 1_800_000_000.0


def test_an_incident_probe_runs_while_a_watch_batch_holds_the_worker(
    stack_factory, good_origin, hanging_origin, redis_url, monkeypatch
):
    stack = stack_factory()
    monkeypatch.setenv("ORIGIN502_NAMESERVER", stack.env["ORIGIN502_NAMESERVER"])
    redis = queues.connect(redis_url)
    # A watch whose origin accepts the request and never answers: its batch holds the main
    # worker for the whole read timeout.
    request = build_request(
        "origin.test", https_port=hanging_origin.port, read_timeout=120, allow_private=True
    )
    spec = WatchSpec(watch_id=watch_id_for("CWATCH", request), channel="CWATCH",
                     request=request.to_dict(), text="origin.test", interval=300,
                     created_by="UALICE", created_at=T0, display="origin.test",
                     watchers=["UALICE"])
    WatchStore(redis).put_watch(spec, due_at=T0)
    batch_id = enqueue_watch_batch(redis, [(spec.watch_id, T0)])
    assert batch_id is not None
    batch = Job.fetch(batch_id, connection=redis, serializer=queues.SERIALIZER)
    stack.slack.wait_for(lambda: hanging_origin.connections, timeout=20)
    assert batch.get_status(refresh=True) == JobStatus.STARTED

    stack.send.command(f"origin.test --https-port {good_origin.port}")
    parent = finished_parent(stack)
    assert "works, with warnings" in parent.text
    # The incident's answer came while the batch was still waiting on its origin.
    assert batch.get_status(refresh=True) == JobStatus.STARTED
