"""``new_id``: opaque, unguessable, and in creation order (so keyed inserts append)."""

from __future__ import annotations

import re
import time

from xinyong.store.repositories import new_id


def test_ids_keep_their_form_and_are_unique() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    # The random part varies within one millisecond: 80 bits, not a counter.
    assert len({i[12:] for i in ids}) == len(ids)


def test_ids_made_later_sort_after_earlier_ones() -> None:
    ids = []
    for _ in range(12):
        ids.append(new_id())
        time.sleep(0.002)
    assert ids == sorted(ids)
