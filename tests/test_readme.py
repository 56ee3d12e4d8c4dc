"""The README is the newcomer's contract: its settings table and commands must stay true."""

from __future__ import annotations

import re
from pathlib import Path

from xinyong.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_setting() -> None:
    for name in Settings.model_fields:
        assert f"`XINYONG_{name.upper()}`" in README, (
            f"README does not document XINYONG_{name.upper()}"
        )


def test_readme_settings_table_names_only_real_settings() -> None:
    documented = set(re.findall(r"^\| `XINYONG_([A-Z_]+)`", README, flags=re.M))
    real = {name.upper() for name in Settings.model_fields} | {"TEST_PG_URL"}
    assert documented == real


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```sh\n(.+?)\n```", README, flags=re.S)
    assert len(blocks) == 2, "the README must give exactly two commands"
    demo, test = blocks
    assert "xinyong demo" in demo
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
