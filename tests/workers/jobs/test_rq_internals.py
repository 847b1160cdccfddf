"""The RQ internals origin502's worker and job classes override or call, as pyproject's pin
says: a new RQ that renames or reshapes one fails here, not in a worker at 3 a.m."""

from __future__ import annotations

import inspect
from importlib.metadata import requires, version

from packaging.requirements import Requirement
from packaging.version import Version
from redis import Redis
from rq import SimpleWorker
from rq.job import Job

from workers.jobs.allowed import ProjectJob
from workers.jobs.worker import BackgroundWorker, Origin502Worker


def _pinned() -> Requirement:
    (rq,) = [Requirement(r) for r in requires("origin502") or [] if r.startswith("rq")]
    return rq


def test_installed_rq_is_within_the_pinned_range():
    rq = _pinned()
    assert Version(version("rq")) in rq.specifier
    assert any(spec.operator == "<" for spec in rq.specifier), "the pin needs an upper bound"


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_worker_methods_called_by_origin502_have_the_shapes_it_uses():
    assert _parameters(SimpleWorker.prepare_execution) == ["self", "job"]
    assert _parameters(SimpleWorker.maintain_heartbeats) == ["self", "job", "execution"]
    assert _parameters(SimpleWorker.perform_job) == ["self", "job", "queue", "execution"]
    assert _parameters(SimpleWorker.set_state)[:2] == ["self", "state"]
    assert _parameters(SimpleWorker.register_death) == ["self"]


def test_worker_methods_origin502_overrides_exist_with_the_same_shape():
    for name in ("execute_job", "get_heartbeat_ttl", "request_stop",
                 "_install_signal_handlers", "run_maintenance_tasks"):
        ours = getattr(BackgroundWorker, name)
        theirs = getattr(SimpleWorker, name)
        assert ours is not theirs, name
        assert _parameters(theirs) == _parameters(ours), name
    assert isinstance(inspect.getattr_static(SimpleWorker, "dequeue_timeout"), property)
    for attribute in ("max_connection_wait_time", "death_penalty_class"):
        assert hasattr(SimpleWorker, attribute), attribute
    # Set by the constructor, then overwritten by Origin502Worker's.
    for keyword in ("job_monitoring_interval", "maintenance_interval", "job_class", "serializer"):
        assert keyword in _parameters(SimpleWorker.__init__), keyword
    assert issubclass(Origin502Worker, SimpleWorker)


def test_job_properties_and_attributes_project_job_overrides_exist():
    for name in ("func", "success_callback", "failure_callback", "stopped_callback",
                 "should_retry"):
        assert isinstance(inspect.getattr_static(Job, name), property), name
        assert isinstance(inspect.getattr_static(ProjectJob, name), property), name
    job = Job(id="x", connection=Redis())  # a client that never connects: nothing is sent
    for attribute in ("_success_callback_name", "_failure_callback_name",
                      "_stopped_callback_name"):
        assert hasattr(job, attribute), attribute
