"""Exported chains verify offline, and a tampered export shows where it was touched."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from xinyong.audit import ChainHead, append, export_chain, verify, verify_export
from xinyong.audit.export import ExportFormatError, read_export
from xinyong.store.engine import transaction

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def exported(engine: Engine, tmp_path: Path) -> tuple[Path, ChainHead]:
    """Six events exported to a file; the engine is disposed before anyone verifies."""
    with transaction(engine) as conn:
        for i in range(6):
            append(
                conn,
                actor="operator:王",
                action="inquiry",
                subject_id=f"s{i}",
                reason=None if i % 2 else "credit_application",
                payload={"i": i, "amount_minor": 10**15 + i, "ok": True, "x": [0.1, None]},
                at=T0 + timedelta(seconds=i, microseconds=i * 7),
            )
    path = tmp_path / "exports" / "audit.jsonl"
    path.parent.mkdir()
    with engine.connect() as conn:
        head = export_chain(conn, path)
        assert head == verify(conn).head
    assert head is not None
    engine.dispose()
    return path, head


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _write(path: Path, lines: list[str]) -> Path:
    out = path.with_name("tampered.jsonl")
    out.write_text("".join(lines), encoding="utf-8")
    return out


def test_export_verifies_offline(exported: tuple[Path, ChainHead]) -> None:
    path, head = exported
    result = verify_export(path, anchor=head)
    assert result.ok and result.checked == 6 and result.head == head
    # Canonical JSON Lines: one object per line, UTF-8 in clear, hash over `at` as written.
    lines = _lines(path)
    assert len(lines) == 6 and all(line.endswith("}\n") for line in lines)
    first = json.loads(lines[0])
    assert first["seq"] == 1 and first["at"] == "2024-05-01T09:00:00.000000Z"
    assert "王" in lines[0]
    assert lines[0].rstrip("\n") == json.dumps(
        first, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_verify_export_reads_an_open_text_stream(exported: tuple[Path, ChainHead]) -> None:
    path, _ = exported
    assert verify_export(io.StringIO(path.read_text(encoding="utf-8"))).ok


def test_export_to_a_stream_and_of_an_empty_chain(engine: Engine) -> None:
    buffer = io.StringIO()
    with engine.connect() as conn:
        assert export_chain(conn, buffer) is None
    assert buffer.getvalue() == ""
    result = verify_export(io.StringIO(""))
    assert result.ok and result.checked == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "mallory"),
        ("action", "noop"),
        ("payload", {"i": 2}),
        ("at", "2024-05-01T09:00:02.000015Z"),
        ("reason", "collection"),
        ("subject_id", None),
    ],
)
def test_an_edited_line_is_named(
    exported: tuple[Path, ChainHead], field: str, value: object
) -> None:
    path, head = exported
    lines = _lines(path)
    event = json.loads(lines[2])
    assert event[field] != value
    event[field] = value
    lines[2] = json.dumps(event, ensure_ascii=False) + "\n"
    result = verify_export(_write(path, lines), anchor=head)
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 3, 2)


@pytest.mark.parametrize("index", [0, 2])
def test_a_deleted_line_is_named(exported: tuple[Path, ChainHead], index: int) -> None:
    path, _ = exported
    lines = _lines(path)
    del lines[index]
    result = verify_export(_write(path, lines))
    assert (result.ok, result.first_broken_seq) == (False, index + 1)


def test_a_truncated_file_needs_the_anchor(exported: tuple[Path, ChainHead]) -> None:
    path, head = exported
    tampered = _write(path, _lines(path)[:-2])
    assert verify_export(tampered).ok
    result = verify_export(tampered, anchor=head)
    assert (result.ok, result.first_broken_seq) == (False, 5)


def test_swapped_lines_are_named(exported: tuple[Path, ChainHead]) -> None:
    path, _ = exported
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    result = verify_export(_write(path, lines))
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_swapped_seq_values_are_named(exported: tuple[Path, ChainHead]) -> None:
    path, _ = exported
    lines = _lines(path)
    a, b = json.loads(lines[1]), json.loads(lines[2])
    a["seq"], b["seq"] = b["seq"], a["seq"]
    lines[1], lines[2] = json.dumps(b) + "\n", json.dumps(a) + "\n"
    result = verify_export(_write(path, lines))
    assert (result.ok, result.first_broken_seq) == (False, 2)


@pytest.mark.parametrize(
    "bad_line",
    [
        "{not json\n",
        "[]\n",
        '{"seq": 4}\n',
    ],
)
def test_a_malformed_line_is_a_broken_link(exported: tuple[Path, ChainHead], bad_line: str) -> None:
    path, _ = exported
    lines = _lines(path)
    lines[3] = bad_line
    result = verify_export(_write(path, lines))
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.reason is not None and "line 4" in result.reason


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seq": "1"}, "seq must be an integer"),
        ({"seq": True}, "seq must be an integer"),
        ({"actor": 1}, "actor must be a string"),
        ({"reason": 5}, "reason must be a string or null"),
        ({"payload": [1]}, "payload must be a JSON object"),
        ({"at": "yesterday"}, "ISO-8601"),
        ({"at": "2024-05-01T09:00:00"}, "no time zone"),
        ({"extra": 1}, "unexpected"),
    ],
)
def test_read_export_names_the_problem(
    exported: tuple[Path, ChainHead], change: dict[str, object], message: str
) -> None:
    path, _ = exported
    event = json.loads(_lines(path)[0])
    event.update(change)
    with pytest.raises(ExportFormatError, match=message) as info:
        list(read_export(["\n", json.dumps(event) + "\n"]))
    assert info.value.line_no == 2


def test_blank_lines_are_ignored(exported: tuple[Path, ChainHead]) -> None:
    path, head = exported
    lines = _lines(path)
    lines.insert(3, "\n")
    lines.append("   \n")
    assert verify_export(_write(path, lines), anchor=head).ok
