"""Anyone who can write to Redis can queue a job; a real `origin502 worker` runs only
origin502's own job functions and logs the refusal (issue 11: `os.getenv('SLACK_BOT_TOKEN')`
queued on the delivery queue used to come back with the token)."""

from __future__ import annotations

import pytest
from redis import Redis
from rq import Callback, Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from tests.bot.fakeslack import BOT_TOKEN
from workers.jobs.queues import DELIVERY_QUEUE, PROBE_QUEUE

pytestmark = pytest.mark.e2e


def _finished(redis, job_id):
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    return job if job.get_status() in (JobStatus.FINISHED, JobStatus.FAILED) else None


@pytest.mark.parametrize(("queue", "func", "args"), [
    (DELIVERY_QUEUE, "os.getenv", ("SLACK_BOT_TOKEN",)),
    (PROBE_QUEUE, "os.getenv", ("SLACK_BOT_TOKEN",)),
    (DELIVERY_QUEUE, "subprocess.getoutput", ("env",)),
    (DELIVERY_QUEUE, "bot.settings.Settings.from_env", ()),  # project code, but not a job
])
def test_worker_refuses_a_job_that_is_not_origin502s(stack_factory, queue, func, args):
    stack = stack_factory(workers=False)
    worker = stack.start_worker("--queues", "probe,delivery", name="worker")
    redis = Redis.from_url(stack.env["REDIS_URL"])
    job = Queue(queue, connection=redis, serializer=JSONSerializer).enqueue(
        func, args=args, on_failure=Callback("os.abort"), on_success=Callback("os.abort"),
    )
    done = stack.slack.wait_for(lambda: _finished(redis, job.id), timeout=30)
    assert done.get_status() == JobStatus.FAILED
    assert done.return_value() is None
    assert BOT_TOKEN not in str(done.latest_result().exc_string if done.latest_result() else "")
    worker.wait_for_output(r"refused a job naming a function that is not origin502's")
    assert func in worker.output()
    assert worker.popen.poll() is None  # os.abort as a callback did not run
    assert BOT_TOKEN not in worker.output()
