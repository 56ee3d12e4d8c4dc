"""Publish a clustering into the serving store's subject tables, changing only what changed.

Given the mention -> subject assignment that clustering computed:

* subjects that appear for the first time get a ``subjects`` row (active);
* a subject whose earliest mention now belongs to another subject is
  ``merged`` into it (``merged_into``), and a merged subject whose earliest
  mention heads a subject again is active again; a ``subject.merged`` or
  ``subject.split`` audit event records each change to a published subject;
* ``resolution_mentions.subject_id`` is updated for the mentions that moved;
* ``person_names``, ``enterprises`` and ``subject_identifiers`` are rebuilt for
  the subjects whose mentions changed (and emptied for merged ones), from the
  names and identifiers their mentions carry.

Everything happens on the caller's connection, inside its transaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from xinyong.audit import chain
from xinyong.resolve.mentions import subject_id_for
from xinyong.resolve.names import is_han
from xinyong.store.resolution_schema import resolution_mentions
from xinyong.store.schema import enterprises, person_names, subject_identifiers, subjects

__all__ = ["PublishReport", "publish"]

_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class PublishReport:
    """What publishing changed in the subject tables."""

    subjects_created: int
    subjects_merged: int
    subjects_reactivated: int
    mentions_moved: int
    subjects_rebuilt: int


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _full_name(row: Mapping[str, Any]) -> str | None:
    if row["full_name"]:
        return str(row["full_name"])
    family, given = row["family_name"] or "", row["given_names"] or ""
    if not family and not given:
        return None
    if is_han(family + given):
        return family + given
    return f"{given} {family}".strip()


def _names(members: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in members:
        full = _full_name(m)
        if full is None:
            continue
        row = {
            "family_name": m["family_name"],
            "given_names": m["given_names"],
            "full_name": full[:512],
            "script": "han" if is_han(full) else "latin",
        }
        seen.setdefault(tuple(row.values()), row)
    return list(seen.values())


def _most_common(values: Iterable[Any]) -> Any:
    counts = Counter(v for v in values if v is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(v for v, n in counts.items() if n == best)  # first seen = earliest mention


def _rebuild(conn: Connection, subject_ids: Sequence[str], at: datetime) -> None:
    """Names, enterprise facts and identifiers of ``subject_ids``, from their mentions."""
    m = resolution_mentions
    for chunk in _chunks(subject_ids):
        for table in (person_names, enterprises, subject_identifiers):
            conn.execute(delete(table).where(table.c.subject_id.in_(chunk)))
        members: dict[str, list[Any]] = defaultdict(list)
        rows = conn.execute(
            select(m).where(m.c.subject_id.in_(chunk)).order_by(m.c.mention_key)
        ).mappings()
        for row in rows:
            members[row["subject_id"]].append(row)
        names: list[dict[str, Any]] = []
        firms: list[dict[str, Any]] = []
        ids: dict[tuple[str, str, str], dict[str, Any]] = {}
        for subject_id, rows_ in members.items():
            if rows_[0]["kind"] == "person":
                names.extend({"subject_id": subject_id, **n} for n in _names(rows_))
            else:
                legal = _most_common(r["legal_name"] for r in rows_)
                if legal is not None:
                    firms.append(
                        {
                            "subject_id": subject_id,
                            "legal_name": legal,
                            "registration_date": _most_common(
                                r["registration_date"] for r in rows_
                            ),
                        }
                    )
            for r in rows_:
                if r["id_hash"] and r["id_scheme"]:
                    ids.setdefault(
                        (subject_id, r["id_scheme"], r["id_hash"]),
                        {
                            "subject_id": subject_id,
                            "scheme": r["id_scheme"],
                            "value_hash": r["id_hash"],
                            "value_masked": r["id_masked"] or "****",
                            "country": r["id_country"],
                            "created_at": at,
                        },
                    )
        if names:
            conn.execute(insert(person_names), names)
        if firms:
            conn.execute(insert(enterprises), firms)
        if ids:
            conn.execute(insert(subject_identifiers), list(ids.values()))


def publish(
    conn: Connection,
    cluster_of: Mapping[str, str],
    *,
    actor: str,
    at: datetime,
    run_id: str | None = None,
) -> PublishReport:
    """Make the store's subjects match ``cluster_of`` (mention key -> earliest key)."""
    m = resolution_mentions
    current: dict[str, str | None] = {}
    kind_of: dict[str, str] = {}
    defining: dict[str, str] = {}  # own_subject_id -> mention key
    for row in conn.execute(select(m.c.mention_key, m.c.subject_id, m.c.kind, m.c.own_subject_id)):
        current[row.mention_key] = row.subject_id
        kind_of[row.mention_key] = row.kind
        defining[row.own_subject_id] = row.mention_key
    target = {key: subject_id_for(head) for key, head in cluster_of.items() if key in current}
    moved = {k: s for k, s in target.items() if current[k] != s}
    active_ids = set(target.values())

    existing = {
        row.subject_id: (row.status, row.merged_into)
        for row in conn.execute(
            select(subjects.c.subject_id, subjects.c.status, subjects.c.merged_into)
        )
    }
    created = sorted(active_ids - set(existing))
    if created:
        heads = {subject_id_for(h): h for h in set(cluster_of.values())}
        conn.execute(
            insert(subjects),
            [
                {"subject_id": s, "kind": kind_of[heads[s]], "created_at": at, "status": "active"}
                for s in created
            ],
        )
    if moved:
        conn.execute(
            update(m).where(m.c.mention_key == bindparam("k")).values(subject_id=bindparam("s")),
            [{"k": k, "s": s} for k, s in sorted(moved.items())],
        )

    # Status of every subject resolution defined: active iff it heads a cluster.
    status_changes = []
    merged = reactivated = 0
    for subject_id, (status, merged_into) in existing.items():
        key = defining.get(subject_id)
        if key is None or key not in target:
            continue  # not a resolution subject, or its mention is not clustered
        if subject_id in active_ids:
            if status != "active" or merged_into is not None:
                status_changes.append({"i": subject_id, "st": "active", "into": None})
                reactivated += 1
        else:
            into = target[key]
            if status != "merged" or merged_into != into:
                status_changes.append({"i": subject_id, "st": "merged", "into": into})
                if status == "active":
                    merged += 1
    if status_changes:
        conn.execute(
            update(subjects)
            .where(subjects.c.subject_id == bindparam("i"))
            .values(status=bindparam("st"), merged_into=bindparam("into")),
            status_changes,
        )

    _audit_changes(conn, moved, current, active_ids, existing, actor=actor, run_id=run_id, at=at)
    rebuilt = sorted(
        {s for s in moved.values()}
        | {s for k in moved if (s := current[k]) is not None}
        | {c["i"] for c in status_changes}
    )
    _rebuild(conn, rebuilt, at)
    return PublishReport(len(created), merged, reactivated, len(moved), len(rebuilt))


def _audit_changes(
    conn: Connection,
    moved: Mapping[str, str],
    current: Mapping[str, str | None],
    active_ids: set[str],
    existing: Mapping[str, tuple[str, str | None]],
    *,
    actor: str,
    run_id: str | None,
    at: datetime,
) -> None:
    """One audit event per published subject that was merged into, or split from, another."""
    flows: dict[tuple[str, str], int] = Counter()
    for key, new in moved.items():
        old = current[key]
        if old is not None and old != new and existing.get(old, ("", None))[0] == "active":
            flows[(old, new)] += 1
    for (old, new), count in sorted(flows.items()):
        merged = old not in active_ids
        chain.append(
            conn,
            actor=actor,
            action="subject.merged" if merged else "subject.split",
            subject_id=old,
            reason=(
                f"resolution merged subject {old} into {new}"
                if merged
                else f"resolution moved {count} mention(s) of subject {old} to {new}"
            ),
            payload={"from": old, "to": new, "mentions": count, "run_id": run_id},
            at=at,
        )


def mention_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Identity fields of new mentions as ``resolution_mentions`` wants them (lengths capped)."""
    out = []
    for r in rows:
        address = " ".join(
            str(p)
            for p in (
                r.get("address_line1"),
                r.get("address_line2"),
                r.get("city"),
                r.get("region"),
            )
            if p
        )
        out.append(
            {
                "family_name": _cap(r.get("family_name"), 256),
                "given_names": _cap(r.get("given_names"), 256),
                "full_name": _cap(r.get("full_name"), 512),
                "legal_name": _cap(r.get("legal_name"), 512),
                "birth_date": r.get("birth_date")
                if isinstance(r.get("birth_date"), date)
                else None,
                "registration_date": (
                    r.get("registration_date")
                    if isinstance(r.get("registration_date"), date)
                    else None
                ),
                "id_scheme": r.get("id_scheme") if r.get("id_hash") else None,
                "id_country": r.get("id_country") if r.get("id_hash") else None,
                "id_hash": r.get("id_hash"),
                "id_masked": r.get("id_masked") if r.get("id_hash") else None,
                "address": _cap(address, 512),
            }
        )
    return out


def _cap(value: Any, size: int) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:size] if text else None
