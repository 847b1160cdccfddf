"""Which origins the viewers of a distribution reach were not checked in this run. Pure: it
reads the distribution, the behaviours the run covers and the probes that ran; no I/O.

The product's rule (README): a verdict is ok or warn only when everything viewers depend on
was looked at. For a distribution, what the viewers of a behaviour depend on is the origin
CloudFront sends their requests to: the behaviour's origin, or for an origin group its
primary, since CloudFront tries the failover only when the primary fails (cloudfront-facts
§7.3). A failover that was not checked behind a primary that was is the group rule's business
(workers/origin_groups.py: it matters only once the primary fails, and then its behaviour is
unknown there).

Three kinds of "not checked" are told apart:
- counted: an origin we would probe but could not — an unfilled placeholder or tenant parameter
  in its domain, an origin type the API answer does not name, a probe that could not run. Its
  viewers cannot be promised anything, so the distribution cannot be ok or warn;
- not covered: S3 and VPC origins. The README says origin502 lists them and does not probe
  them (CloudFront reaches them in ways a probe from the internet cannot reproduce); counting
  them would make every site with a bucket beside its servers "unknown" for a limit the
  product documents, so they are named in the verdict's reason instead;
- outside the run: behaviours and origins --path / --origin leave out. Not named at all.
"""

from __future__ import annotations

from workers.diagnosis import catalog
from workers.models.distribution import (
    Behaviour,
    DistOrigin,
    Distribution,
    OriginProbe,
    UncheckedOrigin,
)

# Origin kinds origin502 does not probe by design (README: "S3 and VPC origins are listed, not
# probed").
NOT_COVERED_KINDS = frozenset({"s3", "vpc"})
# The words are the catalog's; the name stays here too, as this module finds the note
# workers/distribution.py writes (failed_inside_note) by it.
PROBE_DID_NOT_RUN = catalog.PROBE_DID_NOT_RUN


def failed_inside_note(exc: BaseException) -> str:
    """The note for a probe that origin502 itself failed to run (it starts with
    PROBE_DID_NOT_RUN, which is how coverage finds it again)."""
    return catalog.PROBE_FAILED_INSIDE.format(exc_name=type(exc).__name__)


def _why(origin: DistOrigin | None, probes: list[OriginProbe], ran: bool) -> str | None:
    """Why viewers' first origin was not checked; None when every probe of it ran (or, before
    the probes run, when it is to be probed)."""
    if origin is None:
        return catalog.NOT_AN_ORIGIN
    if origin.not_probed:
        return origin.not_probed_short or origin.not_probed
    if not ran or (probes and all(p.report is not None for p in probes)):
        return None
    # A probe kept without a report: origin502 failed inside while running it (its note
    # says how, workers/distribution.py).
    return next((n for p in probes for n in p.notes if n.startswith(PROBE_DID_NOT_RUN)),
                PROBE_DID_NOT_RUN)


def coverage(dist: Distribution, probes: list[OriginProbe], behaviours: list[Behaviour],
             origin_id: str | None = None, *, ran: bool = True
             ) -> tuple[list[UncheckedOrigin], list[UncheckedOrigin]]:
    """(counted, not covered): the origins the viewers of ``behaviours`` (those the run
    covers) reach first and that were not checked, one entry per origin and group, naming
    the behaviours. With ``origin_id`` (--origin), only behaviours whose first origin it is
    count: the others are outside the run. ``ran`` False: before the probes run (a live
    view), only what no probe will check."""
    counted: dict[tuple[str, str], UncheckedOrigin] = {}
    not_covered: dict[tuple[str, str], UncheckedOrigin] = {}
    for behaviour in behaviours:
        if behaviour.shadowed_by or not behaviour.origin_ids:
            continue  # no viewer reaches it
        first = behaviour.origin_ids[0]
        if origin_id is not None and first != origin_id:
            continue
        origin = dist.origin(first)
        group = behaviour.target_id if behaviour.is_group else ""
        kind = origin.kind if origin is not None else "unknown"
        if kind in NOT_COVERED_KINDS:
            into, why = not_covered, catalog.KIND_WORDS[kind]
        else:
            found = _why(origin, [p for p in probes
                                  if p.origin_id == first and behaviour.label in p.behaviours],
                         ran)
            if found is None:
                continue
            into, why = counted, found
        entry = into.setdefault((first, group), UncheckedOrigin(first, [], why, kind, group))
        entry.behaviours.append(behaviour.label)
    return list(counted.values()), list(not_covered.values())


def _role(entry: UncheckedOrigin) -> str:
    return catalog.ROLE.format(group=entry.group) if entry.group else ""


def unchecked_reason(unchecked: list[UncheckedOrigin]) -> str | None:
    """Why the distribution cannot be ok or warn: each origin not checked, why, and what it
    serves ("origin tpl: unfilled placeholder, serves /t/*"); None when there is none."""
    if not unchecked:
        return None
    listed = "; ".join(catalog.UNCHECKED_ONE.format(origin=u.origin_id, role=_role(u),
                                                    why=u.why,
                                                    behaviours=", ".join(u.behaviours))
                       for u in unchecked)
    return catalog.UNCHECKED_REASON.format(listed=listed)


def not_covered_reason(not_covered: list[UncheckedOrigin]) -> str | None:
    """The S3 and VPC origins viewers reach, said beside an ok or warn verdict (not counted:
    see the module's docstring); None when there is none."""
    if not not_covered:
        return None
    listed = ", ".join(catalog.NOT_COVERED_ONE.format(kind=catalog.KIND_WORDS[u.kind],
                                                      origin=u.origin_id, role=_role(u),
                                                      behaviours=", ".join(u.behaviours))
                       for u in not_covered)
    return catalog.NOT_COVERED_REASON.format(listed=listed,
                                             them="it" if len(not_covered) == 1 else "them")
