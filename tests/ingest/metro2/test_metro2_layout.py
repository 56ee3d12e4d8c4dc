"""The layout tables and code lists are internally consistent."""

from __future__ import annotations

import pytest

from xinyong.ingest.metro2 import codes, layout
from xinyong.ingest.metro2.layout import Layout

ALL = [
    *layout.CHARACTER_LAYOUTS.values(),
    layout.PACKED_HEADER,
    layout.PACKED_BASE,
    layout.PACKED_TRAILER,
]


@pytest.mark.parametrize("lay", ALL, ids=lambda lay: f"{lay.name}-{lay.length}")
def test_fields_tile_the_segment(lay: Layout) -> None:
    position = 1
    for f in lay.fields:
        assert f.start == position, f"{lay.name}.{f.name} starts at {f.start}, expected {position}"
        position = f.end + 1
    assert position - 1 == lay.length
    names = [f.name for f in lay.fields]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", ["header", "base", "trailer"])
def test_packed_and_character_have_the_same_fields(name: str) -> None:
    char, packed = layout.CHARACTER_LAYOUTS[name], layout.PACKED_LAYOUTS[name]
    assert [f.name for f in char.fields] == [f.name for f in packed.fields]
    for c, p in zip(char.fields, packed.fields, strict=True):
        assert c.required == p.required
        if p.kind == "packed":
            assert c.kind in ("numeric", "date", "timestamp")
        elif not c.name.startswith("reserved"):
            assert (c.kind, c.length) == (p.kind, p.length)


def test_known_positions_from_the_crrg() -> None:
    base = layout.BASE
    assert (base.field("account_status").start, base.field("payment_rating").start) == (124, 126)
    assert base.field("payment_history_profile").slice == slice(126, 150)
    assert base.field("date_account_information").start == 182
    assert base.field("ecoa_code").start == 325
    assert layout.TRAILER.field("block_count").start == 57
    assert layout.TRAILER.field("total_telephone_numbers_all_segments").start == 399
    assert layout.PACKED_TRAILER.field("total_telephone_numbers_all_segments").start == 227
    assert {s: lay.length for s, lay in layout.APPENDAGES.items()} == {
        "J1": 100, "J2": 200, "K1": 34, "K2": 34, "K3": 40, "K4": 30, "L1": 54, "N1": 146,
    }  # fmt: skip


def test_code_lists_point_at_real_fields() -> None:
    for (segment, field), code_list in codes.FIELD_CODES.items():
        f = layout.CHARACTER_LAYOUTS[segment].field(field)
        assert all(len(c) <= f.length for c in code_list), (segment, field)
        assert all(meaning for meaning in code_list.values())


def test_status_sets_are_subsets_of_the_status_list() -> None:
    statuses = set(codes.ACCOUNT_STATUS)
    assert statuses >= codes.STATUSES_NEEDING_PAYMENT_RATING
    assert statuses >= codes.STATUSES_NEEDING_DOFD
    assert statuses >= codes.STATUSES_NEEDING_CHARGE_OFF_AMOUNT
    assert set(layout.TRAILER_STATUS_CODES) == statuses
    assert set(codes.CONSUMER_INFORMATION_INDICATOR) >= codes.BANKRUPTCY_INDICATORS
    assert (
        codes.meaning("base", "account_status", "97")
        == "Unpaid balance reported as a loss (charge-off)"
    )
    assert codes.meaning("base", "surname", "X") is None
