"""Each vectorised gate fires exactly where its reference rule function reports something.

The fast path accepts a record that no gate flags, and for a flagged one
calls only the flagged reference functions. Both are right only if every
gate agrees with its function on every record: that is tested here,
function by function, on records with faults planted field by field, and on
the moov-io samples.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from metro2_plant import planted_record
from metro2_testkit import make_file, sample

from xinyong.ingest import metro2
from xinyong.ingest.fast.metro2_fields import Block
from xinyong.ingest.fast.metro2_frame import frame_of
from xinyong.ingest.fast.metro2_gates import FAMILIES, gates, reference_violations
from xinyong.ingest.fast.metro2_scan import shapes
from xinyong.ingest.metro2 import Record, write

EXAMPLES = int(__import__("os").environ.get("FAST_EXAMPLES", "40"))


def _reference_flags(record: Record) -> list[bool]:
    """Whether each family's reference function reports anything for ``record``."""
    j1 = record.appendage("J1")
    out = []
    for family in FAMILIES:
        if family.segment is None:
            found = family.rule(record)  # type: ignore[call-arg,arg-type]
        elif family.label == "base":
            found = family.rule(family.label, record.base)  # type: ignore[call-arg,arg-type]
        else:
            found = family.rule(family.label, j1) if j1 is not None else []  # type: ignore[call-arg,arg-type]
        out.append(bool(found))
    return out


def assert_gates_agree(data: bytes, variant: str) -> int:
    """Every simple record's gates equal its reference flags; returns how many were compared."""
    reference = metro2.read(data).records
    frame = frame_of(data, len(data), data, variant)
    compared = 0
    for chunk in frame.chunks(10_000):
        block = Block(chunk.rec)
        simple, has_j1 = shapes(block, chunk.lengths)
        flags = gates(block, has_j1)
        for i in np.flatnonzero(simple).tolist():
            record = reference[chunk.first_no + i - 1]
            want = _reference_flags(record)
            got = [bool(f[i]) for f in flags]
            wrong = [
                f"{fam.label}:{fam.rule.__name__} gate {g}, reference {w}"
                for fam, g, w in zip(FAMILIES, got, want, strict=True)
                if g != w
            ]
            assert not wrong, f"record {record.record_no}: {wrong}"
            assert reference_violations(record, got) == metro2.validate_record(record)
            compared += 1
    return compared


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(planted_record(others=False), min_size=1, max_size=8),
    st.sampled_from(["fixed", "variable"]),
)
def test_gates_agree_with_the_reference_rules(records: list[Record], variant: str) -> None:
    assert assert_gates_agree(write(make_file(records), variant), variant) == len(records)


@pytest.mark.parametrize("name", ["unpacked_fixed_file", "unpacked_variable_file"])
def test_gates_agree_on_the_moov_samples(name: str) -> None:
    data = sample(f"{name}.dat")
    detected = metro2.detect(data)
    assert detected is not None
    assert_gates_agree(data, detected.variant)
