"""The resolution state as the store holds it, and the clustering that follows from it.

:func:`current_clustering` is the one place where subjects are computed from
stored rows: the mentions (with the facts constraints need) and the effective
decisions. A run, a review judgement and its withdrawal all end by calling it
and publishing the result, so the published subjects are always the pure
function of the decision rows that the design promises.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Select, select

from xinyong.resolve.clustering import Clustering, MentionFacts, cluster
from xinyong.resolve.decisions import Decision, Pair, active_decisions, edges, effective
from xinyong.resolve.identity_rules import frame_scheme
from xinyong.store.resolution_schema import resolution_mentions, resolution_records

__all__ = ["current_clustering", "record_links", "record_subjects", "store_facts"]


def store_facts(conn: Connection) -> list[MentionFacts]:
    """Every mention with its kind, identifier and birth date, from the store."""
    m = resolution_mentions
    rows = conn.execute(
        select(
            m.c.mention_key, m.c.kind, m.c.id_scheme, m.c.id_country, m.c.id_hash, m.c.birth_date
        )
    )
    return [
        MentionFacts(
            key,
            kind,
            frame_scheme(scheme, country) if digest else None,
            digest,
            birth.isoformat() if birth is not None else None,
        )
        for key, kind, scheme, country, digest, birth in rows
    ]


def current_clustering(conn: Connection) -> tuple[Clustering, Mapping[Pair, Decision]]:
    """The subjects that the stored decisions imply, and the effective decision per pair."""
    decided = effective(active_decisions(conn))
    positives, negatives = edges(decided)
    return cluster(store_facts(conn), positives, negatives), decided


def record_subjects() -> Select[str, str, int, str | None]:
    """``table_name, batch_id, record_no, subject_id`` of every resolved ledger record
    (one row per consumer of an account; :func:`record_links` says which).

    The join credit files use: a ledger row (``accounts`` or
    ``public_records``, by ``batch_id`` and ``record_no``) to the subject it
    belongs to now. ``subject_id`` follows merges and splits without any
    record row being rewritten, because records point at mentions.
    """
    r, m = resolution_records, resolution_mentions
    return select(r.c.table_name, r.c.batch_id, r.c.record_no, m.c.subject_id).join(
        m, r.c.mention_key == m.c.mention_key
    )


def record_links() -> Select[str, str, int, int, str | None]:
    """``table_name, batch_id, record_no, consumer_no, subject_id``: the links a
    pipeline run reads (:data:`xinyong.files.model.LINKS_SCHEMA`).

    ``consumer_no`` tells an account's primary consumer (0) from its associated
    consumers (1.., Metro 2 J1/J2), who share the ledger row position but are
    other people with their own subjects; it is 0 for public records.
    """
    r, m = resolution_records, resolution_mentions
    return select(
        r.c.table_name, r.c.batch_id, r.c.record_no, r.c.consumer_no, m.c.subject_id
    ).join(m, r.c.mention_key == m.c.mention_key)
