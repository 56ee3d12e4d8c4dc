"""The service benchmark's seeded SQLite store survives a migration: a copy of a store
seeded the same way at an earlier revision is upgraded instead of seeded again (seeding
a million subjects takes minutes, and every migration changes the cache key)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service as bench  # benchmarks/service.py

from xinyong.store.migrate import current_revision, downgrade, head_revision

SUBJECTS = 20


def test_an_earlier_revisions_store_is_upgraded_not_seeded_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = bench.sqlite_store(SUBJECTS, tmp_path)
    assert "seeding" in capsys.readouterr().out
    # The same seed at the revision before the head, under the key it had then.
    previous = str(int(head_revision()) - 1).zfill(4)
    downgrade(url, previous)
    seeded = Path(url.removeprefix("sqlite:///"))
    earlier = seeded.with_name("service-earlier.sqlite3")
    seeded.rename(earlier)

    def must_not_seed(*_: object) -> str:
        raise AssertionError("seeded again")

    monkeypatch.setattr(bench, "_seed_into", must_not_seed)
    again_url, again_token = bench.sqlite_store(SUBJECTS, tmp_path)
    assert "upgrading a copy" in capsys.readouterr().out
    assert (again_url, again_token) == (url, token)
    assert current_revision(again_url) == head_revision()
    assert current_revision(f"sqlite:///{earlier}") == previous  # the original is kept
    # Another subject count is not the same seed: seeded anew.
    with pytest.raises(AssertionError, match="seeded again"):
        bench.sqlite_store(SUBJECTS + 1, tmp_path)
