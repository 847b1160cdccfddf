"""RQ jobs: the probe job that runs the engine, and the run records both sides share.

Probe workers face the internet and never hold the Slack token: a probe job writes its
progress and report to Redis and enqueues a delivery job (by dotted path, on its own queue)
that a delivery worker with the token turns into Slack messages.
"""
