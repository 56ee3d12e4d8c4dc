"""Deterministic links: the same validated identifier, or an enterprise's name and registration.

Runs before the model and needs no training: mentions carrying the same
validated identifier (scheme, country and keyed hash) are linked, star-wise to
the group's earliest mention, so a group of ``k`` mentions costs ``k - 1``
rows, not ``k²/2``. For persons the birth dates in the group must be
compatible (:func:`~xinyong.resolve.identity_rules.dates_compatible`): a
mention whose birth date fits none of the group's is a *conflict*, recorded
for review and linked to nothing by this pass; while a group holds such a
conflict, mentions without a birth date are left to the model, which cannot
merge across the conflict either (clustering refuses it).

Enterprises without a credit code link deterministically by exact normalised
legal name plus the same registration date (issue: "by name plus registration
details where the code is missing").

Incremental runs pass ``new``: only links that touch a new mention are made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import pyarrow as pa

from xinyong.resolve.identity_rules import dates_compatible, is_validated

__all__ = ["Candidate", "deterministic_candidates"]


class Candidate(NamedTuple):
    """A proposed decision about a pair, before clustering decides what it changes."""

    left: str
    right: str
    judgement: str  # positive or unsure
    method: str  # identifier, rule or splink
    reason: str
    match_weight: float | None = None
    match_probability: float | None = None

    @staticmethod
    def make(a: str, b: str, judgement: str, method: str, reason: str, **scores: Any) -> Candidate:
        """A candidate with its pair in key order (one spelling per pair)."""
        left, right = (a, b) if a < b else (b, a)
        return Candidate(left, right, judgement, method, reason, **scores)


def _rows(frame: pa.Table) -> list[dict[str, Any]]:
    columns = ["unique_id", "kind", "dob", "reg_date", "id_scheme", "id_hash", "org_name"]
    rows: list[dict[str, Any]] = frame.select(columns).to_pylist()
    return rows


def _touches(new: Collection[str] | None, a: str, b: str) -> bool:
    return new is None or a in new or b in new


def _identifier_group(
    scheme: str, members: Sequence[Mapping[str, Any]], new: Collection[str] | None
) -> Iterable[Candidate]:
    members = sorted(members, key=lambda m: str(m["unique_id"]))
    if members[0]["kind"] != "person":
        first = members[0]["unique_id"]
        for m in members[1:]:
            if _touches(new, first, m["unique_id"]):
                yield Candidate.make(
                    first, m["unique_id"], "positive", "identifier", f"same {scheme}"
                )
        return
    anchors: list[Mapping[str, Any]] = []  # first mention of each birth-date class
    undated: list[Mapping[str, Any]] = []
    for m in members:
        if m["dob"] is None:
            undated.append(m)
            continue
        anchor = next((a for a in anchors if dates_compatible(a["dob"], m["dob"])), None)
        if anchor is not None:
            if _touches(new, anchor["unique_id"], m["unique_id"]):
                yield Candidate.make(
                    anchor["unique_id"], m["unique_id"], "positive", "identifier", f"same {scheme}"
                )
            continue
        if anchors and _touches(new, anchors[0]["unique_id"], m["unique_id"]):
            yield Candidate.make(
                anchors[0]["unique_id"],
                m["unique_id"],
                "unsure",
                "identifier",
                f"conflict: same {scheme} but birth dates {anchors[0]['dob']} and {m['dob']}",
            )
        anchors.append(m)
    if len(anchors) <= 1:
        head = anchors[0] if anchors else undated[0]
        for m in undated:
            if m is not head and _touches(new, head["unique_id"], m["unique_id"]):
                yield Candidate.make(
                    head["unique_id"], m["unique_id"], "positive", "identifier", f"same {scheme}"
                )


def deterministic_candidates(
    frame: pa.Table, new: Collection[str] | None = None
) -> list[Candidate]:
    """Identifier links, identifier conflicts and enterprise name+registration links.

    ``frame`` is the comparison frame of every mention; with ``new`` (a set
    of mention keys) only candidates touching a new mention are returned.
    """
    rows = _rows(frame)
    by_id: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        scheme, digest = row["id_scheme"], row["id_hash"]
        if scheme and digest and is_validated(scheme):
            by_id[(scheme, digest)].append(row)
        if row["kind"] == "enterprise" and row["org_name"] and row["reg_date"]:
            by_name[(row["org_name"], row["reg_date"])].append(row)
    if new is not None:
        by_id = {k: v for k, v in by_id.items() if any(m["unique_id"] in new for m in v)}
        by_name = {k: v for k, v in by_name.items() if any(m["unique_id"] in new for m in v)}
    out: list[Candidate] = []
    for (scheme, _digest), members in by_id.items():
        if len(members) > 1:
            out.extend(_identifier_group(scheme, members, new))
    for members in by_name.values():
        members.sort(key=lambda m: str(m["unique_id"]))
        coded = [m for m in members if m["id_hash"]]
        anchor = (coded or members)[0]["unique_id"]
        out.extend(
            Candidate.make(
                anchor,
                m["unique_id"],
                "positive",
                "rule",
                "same legal name and registration date, credit code missing",
            )
            for m in members
            if not m["id_hash"]
            and m["unique_id"] != anchor
            and _touches(new, anchor, m["unique_id"])
        )
    return out
