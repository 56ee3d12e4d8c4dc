"""Subjects as a pure function of decisions: constraints, order, stable ids."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.resolve.clustering import Edge, MentionFacts, cluster
from xinyong.resolve.deterministic import deterministic_candidates
from xinyong.resolve.features import FRAME_SCHEMA
from xinyong.resolve.quality import pairwise_scores


def _facts(*specs: tuple[str, str | None, str | None]) -> list[MentionFacts]:
    return [MentionFacts(key, "person", "cn_ric" if h else None, h, dob) for key, h, dob in specs]


def test_a_bridge_never_joins_two_resident_numbers() -> None:
    facts = _facts(("a", "R1", "1985-03-12"), ("b", None, "1985-03-12"), ("c", "R2", "1985-03-12"))
    result = cluster(facts, [Edge("a", "b", "splink", 20.0), Edge("b", "c", "splink", 25.0)])
    assert result.cluster_of["a"] != result.cluster_of["c"]
    # The stronger link wins; the weaker one is refused, with the reason.
    assert result.cluster_of["b"] == result.cluster_of["c"]
    ((edge, reason),) = result.refused
    assert (edge.left, edge.right) == ("a", "b") and "cn_ric" in reason


def test_one_identifier_with_incompatible_birth_dates_is_refused() -> None:
    facts = _facts(("a", "R1", "1985-03-12"), ("b", "R1", "1960-07-01"))
    result = cluster(facts, [Edge("a", "b", "splink", 30.0)])
    assert result.cluster_of["a"] != result.cluster_of["b"]
    assert "birth dates" in result.refused[0][1]


def test_a_human_may_merge_two_numbers_but_never_across_a_human_no() -> None:
    facts = _facts(("a", "R1", None), ("b", "R2", None), ("c", None, None))
    merged = cluster(facts, [Edge("a", "b", "human")])
    assert merged.cluster_of["a"] == merged.cluster_of["b"]
    kept_apart = cluster(
        facts, [Edge("a", "c", "human"), Edge("b", "c", "human")], negatives=[("a", "b")]
    )
    assert kept_apart.cluster_of["a"] != kept_apart.cluster_of["b"]


def test_persons_and_enterprises_never_merge() -> None:
    facts = [MentionFacts("a", "person"), MentionFacts("b", "enterprise")]
    assert cluster(facts, [Edge("a", "b", "human")]).refused


def test_the_subject_key_is_the_earliest_mention_so_a_merge_keeps_the_older_id() -> None:
    facts = _facts(("m1", None, None), ("m2", None, None), ("m3", None, None))
    before = cluster(facts, [Edge("m2", "m3", "splink", 9.0)])
    after = cluster(facts, [Edge("m2", "m3", "splink", 9.0), Edge("m1", "m3", "splink", 8.0)])
    assert before.cluster_of["m3"] == "m2"
    assert after.cluster_of["m3"] == after.cluster_of["m2"] == "m1"


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_decisions_are_read(rng: random.Random) -> None:
    keys = [f"m{i:02d}" for i in range(12)]
    facts = [
        MentionFacts(k, "person", "cn_ric" if i % 4 == 0 else None, f"R{i % 8}", None)
        for i, k in enumerate(keys)
    ]
    edges = [
        Edge(a, b, rng.choice(["identifier", "splink"]), rng.uniform(0, 30))
        for a, b in {tuple(sorted(rng.sample(keys, 2))) for _ in range(20)}
    ]
    shuffled = edges[:]
    rng.shuffle(shuffled)
    assert cluster(facts, edges).cluster_of == cluster(facts, shuffled).cluster_of


def _frame(rows: Sequence[Mapping[str, object]]) -> pa.Table:
    full = [{name: row.get(name) for name in FRAME_SCHEMA.names} for row in rows]
    return pa.Table.from_pylist(full, schema=FRAME_SCHEMA)


def _person(uid: str, scheme: str, digest: str, dob: str | None) -> dict[str, object]:
    return {"unique_id": uid, "kind": "person", "id_scheme": scheme, "id_hash": digest, "dob": dob}


def test_identifier_groups_link_star_wise_and_flag_birth_date_conflicts() -> None:
    rows = [
        _person("a", "cn_ric", "H", "1985-03-12"),
        _person("b", "cn_ric", "H", "1985-03-21"),
        _person("c", "cn_ric", "H", None),
        _person("d", "us_ssn", "S", "1970-01-01"),
        _person("e", "us_ssn", "S", "1990-06-15"),
        _person("f", "au_febrl_ssid", "X", None),
        _person("g", "au_febrl_ssid", "X", None),
    ]
    found = {(c.left, c.right): c for c in deterministic_candidates(_frame(rows))}
    assert found[("a", "b")].judgement == "positive"  # day and month swapped: compatible
    assert found[("a", "c")].judgement == "positive"
    assert found[("d", "e")].judgement == "unsure" and "birth dates" in found[("d", "e")].reason
    assert ("f", "g") not in found  # not a validated identifier: the model decides
    only_new = deterministic_candidates(_frame(rows), new={"c"})
    assert {(c.left, c.right) for c in only_new} == {("a", "c")}


def test_enterprises_without_a_code_link_by_name_and_registration_date() -> None:
    rows = [
        {"unique_id": "a", "kind": "enterprise", "org_name": "示例", "reg_date": "2015-01-01"},
        {"unique_id": "b", "kind": "enterprise", "org_name": "示例", "reg_date": "2015-01-01",
         "id_scheme": "cn_uscc", "id_hash": "U"},
        {"unique_id": "c", "kind": "enterprise", "org_name": "示例", "reg_date": "2016-01-01"},
    ]  # fmt: skip
    found = {(c.left, c.right): c for c in deterministic_candidates(_frame(rows))}
    assert set(found) == {("a", "b")} and found[("a", "b")].method == "rule"


def test_pairwise_scores_count_pairs_from_cluster_sizes() -> None:
    truth = {"a": 1, "b": 1, "c": 1, "d": 2}
    predicted = {"a": "x", "b": "x", "c": "y", "d": "y"}
    scores = pairwise_scores(predicted, truth)
    assert (scores.true_positives, scores.predicted_pairs, scores.true_pairs) == (1, 2, 3)
    assert scores.precision == 0.5 and round(scores.recall, 4) == 0.3333
