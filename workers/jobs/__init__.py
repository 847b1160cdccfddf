"""RQ jobs: the probe job that runs the engine, the run records both sides share, the queues,
and the `origin502 worker` command that works them.

Probe workers face the internet and never hold the Slack token: a probe job writes its
progress and report to Redis and enqueues a delivery job (by dotted path, on its own queue)
that a delivery worker with the token turns into Slack messages.
"""
