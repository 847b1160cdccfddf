"""A verdict given before the diagnosis has ended, and why it is not final yet.

When the first connection attempt to a port has timed out, CloudFront still has attempts to
make (three by default, ten seconds each). Waiting for all of them before saying anything
costs the on-call person thirty seconds; instead origin502 says at once what the report would
be if the remaining attempts fail the same way, marked as provisional, and replaces it with the
final report when they end. The final report is the same as without this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workers.models.record import Record
from workers.models.report import Report


@dataclass(eq=False, repr=False)
class Provisional(Record):
    """The report as it stands, with every connection still retrying presumed to keep failing
    the same way, and ``note`` saying what is still running ("first attempt timed out; 2 more
    attempts running…")."""

    report: Report
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"note": self.note, "report": self.report.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provisional:
        return cls(report=Report.from_dict(data["report"]), note=str(data["note"]))
