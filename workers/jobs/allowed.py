"""The only functions an origin502 worker runs: the project's own jobs and callbacks.

RQ imports whatever dotted path a job in Redis names (`os.getenv`, `subprocess.run`, ...), so
anyone who can write to Redis could otherwise run code in a worker that holds the Slack token.
`ProjectJob` is the job class every origin502 worker and queue uses (RQ's `job_class` hook):
it resolves a job's function and callbacks only from the names below, refuses anything else
with a logged error, and never retries or calls back for a refused job.

Relies on rq.job.Job's `func`, `*_callback` and `should_retry` properties and its
`_*_callback_name` attributes (rq 2.x and 3.x); pyproject pins the range.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from rq.job import Job

from workers.jobs import queues
from workers.watches import dispatch

log = logging.getLogger(__name__)

JOB_FUNCTIONS: Final[frozenset[str]] = frozenset({
    queues.PROBE_JOB,
    queues.SYNC_JOB,
    queues.EVIDENCE_JOB,
    dispatch.WATCH_BATCH_JOB,
    dispatch.ALERTS_JOB,
    dispatch.DIGEST_JOB,
})
JOB_CALLBACKS: Final[frozenset[str]] = frozenset({
    queues.PROBE_FAILURE_CALLBACK,
    queues.DELIVERY_FAILURE_CALLBACK,
})


class ForeignJobError(Exception):
    """A job in Redis names a function that is not one of origin502's jobs."""


class ProjectJob(Job):
    """An RQ job that runs only origin502's own functions."""

    def is_project_job(self) -> bool:
        try:
            name = self.func_name
        except Exception:  # noqa: BLE001 - undecodable job data is not ours either
            return False
        return self.instance is None and name in JOB_FUNCTIONS

    @property
    def func(self) -> Any:
        if not self.is_project_job():
            log.error(
                "refused a job naming a function that is not origin502's",
                extra={"job_id": self.id, "queue": self.origin, "func": _name(self)},
            )
            raise ForeignJobError(f"job {self.id} names {_name(self)!r}, not an origin502 job")
        return super().func

    @property
    def should_retry(self) -> bool:
        return self.is_project_job() and bool(super().should_retry)

    @property
    def success_callback(self) -> Any:
        return self._callback("_success_callback_name", lambda: super(ProjectJob, self)
                              .success_callback)

    @property
    def failure_callback(self) -> Any:
        return self._callback("_failure_callback_name", lambda: super(ProjectJob, self)
                              .failure_callback)

    @property
    def stopped_callback(self) -> Any:
        return self._callback("_stopped_callback_name", lambda: super(ProjectJob, self)
                              .stopped_callback)

    def _callback(self, attribute: str, resolve: Any) -> Any:
        name = getattr(self, attribute, None)
        if not name:
            return None
        if not self.is_project_job() or name not in JOB_CALLBACKS:
            log.error(
                "refused a job callback that is not origin502's",
                extra={"job_id": self.id, "func": _name(self), "callback": str(name)},
            )
            return None
        return resolve()


def _name(job: Job) -> str:
    try:
        return str(job.func_name)
    except Exception:  # noqa: BLE001
        return "<undecodable>"
