"""The same data trains the same model, whatever batch ids its ingest was given.

Mention keys carry the ledger batch id (time of ingest and a random token),
and Splink chooses the pairs behind its u estimates by hashing the unique id.
Before training saw content ids instead, re-ingesting the same furnisher files
moved u in the third digit and flipped links near the threshold (255-257 links
on the test population).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from resolve_testkit import FAST, Population

from xinyong.resolve.features import build_frame
from xinyong.resolve.mentions import read_batch_records
from xinyong.resolve.model import content_ids, person_spec, train, train_and_predict


def _person_frame(population: Population) -> pa.Table:
    ledger = population.ledger
    records = read_batch_records(ledger, [m.batch_id for m in ledger.stored()])
    first = records.group_by("group_hash").aggregate([("record_key", "min")])
    firsts = records.filter(pc.is_in(records["record_key"], value_set=first["record_key_min"]))
    rows = firsts.to_pylist()
    frame = build_frame([r["record_key"] for r in rows], rows)
    return frame.filter(pc.equal(frame["kind"], "person"))


def _reingested(frame: pa.Table) -> pa.Table:
    """The same mentions under other batch ids, in the same batch order."""
    batches = sorted({k.split(".")[0] for k in frame["unique_id"].to_pylist()})
    renamed = {b: f"b{i:04d}zz{'f' * 8}" for i, b in enumerate(batches)}
    keys = [
        renamed[k.split(".")[0]] + k[len(k.split(".")[0]) :] for k in frame["unique_id"].to_pylist()
    ]
    return frame.set_column(frame.column_names.index("unique_id"), "unique_id", pa.array(keys))


def test_content_ids_are_unique_and_restore_the_callers_keys(population: Population) -> None:
    frame = _person_frame(population)
    ids = content_ids(frame)
    assert ids.frame.num_rows == frame.num_rows
    assert len(set(ids.frame["unique_id"].to_pylist())) == frame.num_rows
    assert sorted(ids.original.values()) == sorted(frame["unique_id"].to_pylist())
    assert content_ids(_reingested(frame)).frame["unique_id"] == ids.frame["unique_id"]


def test_the_same_mentions_under_other_batch_ids_train_the_same_model(
    population: Population,
) -> None:
    frame = _person_frame(population)
    again = _reingested(frame)
    spec = person_spec()
    first = train(frame, spec, seed=FAST.seed, max_pairs=FAST.max_pairs)
    second = train(again, spec, seed=FAST.seed, max_pairs=FAST.max_pairs)
    assert first.settings == second.settings

    _, pairs = train_and_predict(frame, spec, seed=FAST.seed, max_pairs=FAST.max_pairs)
    _, pairs_again = train_and_predict(again, spec, seed=FAST.seed, max_pairs=FAST.max_pairs)
    assert pairs.num_rows == pairs_again.num_rows > 0
    # keys come back as the caller's, the smaller one left, as Splink orders them
    lefts, rights = pairs["left_key"].to_pylist(), pairs["right_key"].to_pylist()
    assert all(a < b for a, b in zip(lefts, rights, strict=True))
    keys = set(frame["unique_id"].to_pylist())
    assert set(lefts) | set(rights) <= keys
    # Equal to the last digits that mean anything: DuckDB sums in parallel, so the 16th
    # digit of a weight may differ between two scorings of the same pairs by one model.
    assert sorted(round(w, 9) for w in pairs["match_weight"].to_pylist()) == sorted(
        round(w, 9) for w in pairs_again["match_weight"].to_pylist()
    )
