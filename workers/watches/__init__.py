"""Watched origins: schedules, the alert state machine, digests and their Redis data model.

Pure parts (no I/O): `schedule`, `alerts`, `digest`, `model`. Redis: `store`. Jobs and the
scheduler: `jobs`, `dispatch`, `scheduler`, `scheduler_cli`. Nothing here imports the Slack side.
"""
