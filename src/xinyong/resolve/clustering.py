"""Subjects as a pure function of decisions: constrained connected components.

Input: the mentions (with the facts constraints need) and the effective
decisions about pairs. Output: which mentions form one subject, and which
positive decisions were refused. The rules, in order:

1. Positive decisions are taken strongest first: human, then identifier,
   then enterprise rule, then the model by falling match weight (ties by the
   pair's keys, so the order is total and the result reproducible).
2. A positive decision joining two mentions already in one subject changes
   nothing (it is *redundant*).
3. A positive decision is *refused* if the merge would put into one subject

   * two mentions a human judged different (a negative decision), or
   * two different lifelong identifiers of one scheme (two resident
     numbers, two credit codes), or
   * one validated identifier with incompatible birth dates, or
   * a person and an enterprise.

   Human positives override the identifier rules (a person whose number was
   reissued), never a human negative or the kind.

A refused decision is a mixed file caught before it happened; the review
queue lists it. Connected components over the accepted decisions are the
subjects; a subject's id comes from its earliest mention
(:func:`~xinyong.resolve.mentions.subject_id_for`), so re-running over the
same decisions gives the same ids, and a merge keeps the older subject's id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from xinyong.resolve.identity_rules import dates_compatible, is_lifelong, is_validated

__all__ = ["PRIORITY", "Clustering", "Edge", "MentionFacts", "cluster"]

#: Order in which positive decisions are applied (lower first).
PRIORITY: Final = {"human": 0, "identifier": 1, "rule": 2, "splink": 3}


class MentionFacts(NamedTuple):
    """What clustering needs to know about a mention to keep subjects sound.

    (Named tuples, not dataclasses: a run builds one per mention and one edge
    per candidate pair, and tuples are several times cheaper to make.)
    """

    key: str
    kind: str
    id_scheme: str | None = None
    id_hash: str | None = None
    birth_date: str | None = None


class Edge(NamedTuple):
    """A positive decision about a pair, as clustering applies it."""

    left: str
    right: str
    method: str
    match_weight: float | None = None
    ref: int | None = None  # decision id, or candidate index during a run

    def order(self) -> tuple[int, float, str, str]:
        weight = self.match_weight if self.match_weight is not None else float("inf")
        return (PRIORITY[self.method], -weight, self.left, self.right)


@dataclass(slots=True)
class _State:
    """What a subject under construction must not be merged with; only kept when non-empty."""

    ids: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # scheme->hash->dobs
    negatives: set[str] = field(default_factory=set)  # keys judged different from a member


@dataclass(frozen=True, slots=True)
class Clustering:
    """The subjects and what happened to each positive decision."""

    cluster_of: Mapping[str, str]  # mention key -> earliest mention key of its subject
    accepted: tuple[Edge, ...]
    redundant: tuple[Edge, ...]
    refused: tuple[tuple[Edge, str], ...]

    def clusters(self) -> dict[str, list[str]]:
        """Earliest mention key -> the subject's mention keys, sorted."""
        out: dict[str, list[str]] = {}
        for key, head in self.cluster_of.items():
            out.setdefault(head, []).append(key)
        for keys in out.values():
            keys.sort()
        return out


class _Forest:
    """Union-find by size; constraint state exists only for subjects that carry some.

    Most mentions have no validated identifier and no human "different", so
    they get no state object at all: a run over a whole population builds one
    per identifier-bearing subject, not one per mention.
    """

    def __init__(self, mentions: Iterable[MentionFacts]) -> None:
        self.facts: dict[str, MentionFacts] = {m.key: m for m in mentions}
        self.parent: dict[str, str] = {}
        self.size: dict[str, int] = {}
        self.state: dict[str, _State] = {}

    def find(self, key: str) -> str:
        parent = self.parent
        root = key
        while (up := parent.get(root, root)) != root:
            root = up
        while (up := parent.get(key, key)) != root:
            parent[key], key = root, up
        return root

    def _state(self, root: str, create: bool = False) -> _State | None:
        state = self.state.get(root)
        if state is not None or root in self.parent:
            if state is None and create:
                state = self.state[root] = _State()
            return state
        # A mention never merged yet: its own facts are its state.
        self.parent[root] = root
        m = self.facts[root]
        if m.id_scheme and m.id_hash and is_validated(m.id_scheme):
            dobs = {m.birth_date} if m.birth_date else set()
            state = self.state[root] = _State({m.id_scheme: {m.id_hash: dobs}})
        elif create:
            state = self.state[root] = _State()
        return state

    def add_negative(self, a: str, b: str) -> None:
        state = self._state(a, create=True)
        assert state is not None
        state.negatives.add(b)

    def conflict(self, a: str, b: str, human: bool) -> str | None:
        kind_a, kind_b = self.facts[a].kind, self.facts[b].kind
        if kind_a != kind_b:
            return f"would merge a {kind_a} with a {kind_b}"
        sa, sb = self._state(a), self._state(b)
        for state, other in ((sa, b), (sb, a)):
            if state is not None and any(self.find(k) == other for k in state.negatives):
                return "a human judged members of the two subjects different"
        if human or sa is None or sb is None:
            return None
        for scheme, hashes_a in sa.ids.items():
            hashes_b = sb.ids.get(scheme)
            if not hashes_b:
                continue
            if is_lifelong(scheme) and (set(hashes_a) != set(hashes_b) or len(hashes_a) > 1):
                return f"would merge two different {scheme} identifiers"
            for digest, dobs_a in hashes_a.items():
                dobs_b = hashes_b.get(digest, set())
                if not all(dates_compatible(x, y) for x in dobs_a for y in dobs_b):
                    return f"same {scheme} but incompatible birth dates"
        return None

    def union(self, a: str, b: str) -> None:
        if self.size.get(a, 1) < self.size.get(b, 1):
            a, b = b, a
        self.parent[b] = a
        self.size[a] = self.size.get(a, 1) + self.size.pop(b, 1)
        moved = self.state.pop(b, None)
        if moved is None:
            return
        state = self.state.get(a)
        if state is None:
            self.state[a] = moved
            return
        state.negatives |= moved.negatives
        for scheme, hashes in moved.ids.items():
            target = state.ids.setdefault(scheme, {})
            for digest, dobs in hashes.items():
                target.setdefault(digest, set()).update(dobs)


def cluster(
    mentions: Iterable[MentionFacts],
    positives: Iterable[Edge],
    negatives: Iterable[tuple[str, str]] = (),
) -> Clustering:
    """Constrained connected components of ``positives`` over ``mentions``.

    ``negatives`` are pairs a human judged different. Decisions naming a
    mention not in ``mentions`` are ignored (a withdrawn mention).
    """
    forest = _Forest(mentions)
    for a, b in negatives:
        if a in forest.facts and b in forest.facts:
            forest.add_negative(forest.find(a), b)
            forest.add_negative(forest.find(b), a)
    accepted: list[Edge] = []
    redundant: list[Edge] = []
    refused: list[tuple[Edge, str]] = []
    facts = forest.facts
    for edge in sorted(positives, key=Edge.order):
        if edge.left not in facts or edge.right not in facts:
            continue
        a, b = forest.find(edge.left), forest.find(edge.right)
        if a == b:
            redundant.append(edge)
            continue
        reason = forest.conflict(a, b, human=edge.method == "human")
        if reason is not None:
            refused.append((edge, reason))
            continue
        forest.union(a, b)
        accepted.append(edge)
    root_of = {key: forest.find(key) for key in forest.parent}
    head: dict[str, str] = {}
    for key, root in root_of.items():
        if key < head.get(root, key + "\uffff"):
            head[root] = key
    cluster_of = {key: head[root_of[key]] if key in root_of else key for key in facts}
    return Clustering(cluster_of, tuple(accepted), tuple(redundant), tuple(refused))
