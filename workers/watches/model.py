"""What a watch is: one origin with its options, probed on a schedule for one channel."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from workers.models import ProbeRequest
from workers.models.record import Record
from workers.models.serialize import from_dict, to_dict
from workers.watches.schedule import interval_label


def watch_id_for(channel: str, request: ProbeRequest) -> str:
    """Deterministic: the same target with the same options in the same channel is one watch."""
    blob = f"{channel}\0{request.cache_key()}".encode()
    return "w" + hashlib.sha256(blob).hexdigest()[:15]


@dataclass(eq=False, repr=False)
class WatchSpec(Record):
    """A watch as created from Slack. Changes only when someone watches it again."""

    watch_id: str
    channel: str
    request: dict[str, Any]  # ProbeRequest.to_dict()
    text: str  # TARGET [options] as typed (without --every), for display and re-parsing
    interval: int  # seconds: 300, 900 or 3600
    created_by: str
    created_at: float
    display: str = ""
    watchers: list[str] = field(default_factory=list)  # users who asked to watch it

    @property
    def probe_request(self) -> ProbeRequest:
        return ProbeRequest.from_dict(self.request)

    @property
    def every(self) -> str:
        return interval_label(self.interval)

    @property
    def name(self) -> str:
        return self.display or str(self.request.get("display") or self.request["hostname"])

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WatchSpec:
        return from_dict(cls, data)
