"""One settings object for the whole system, read from ``XINYONG_*`` variables.

Every setting has a default that works on a laptop with nothing installed: the
serving store is a SQLite file and the ledger a folder, both under
``XINYONG_HOME``. Production deployments point ``XINYONG_DB_URL`` at
PostgreSQL and set ``XINYONG_HASH_KEY`` from their secret store.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Jurisdiction(StrEnum):
    """The legal regime whose retention, consent and dispute rules apply."""

    CN = "CN"
    US = "US"
    EU = "EU"


class Settings(BaseSettings):
    """Deployment settings. Field descriptions are the README's documentation."""

    model_config = SettingsConfigDict(env_prefix="XINYONG_", extra="ignore")

    home: Path = Field(
        default=Path("./xinyong-data"),
        description="Folder holding the SQLite store, the ledger and the hash key file.",
    )
    db_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the serving store; PostgreSQL as "
            "postgresql+psycopg://user@host/db. Default: sqlite file "
            "XINYONG_HOME/xinyong.sqlite3."
        ),
    )
    hash_key: str | None = Field(
        default=None,
        description=(
            "Deployment secret for the keyed hashes (HMAC-SHA256) of identifiers. "
            "Default: a random key created by `xinyong init` in XINYONG_HOME/hash.key."
        ),
    )
    jurisdiction: Jurisdiction = Field(
        default=Jurisdiction.CN,
        description="Jurisdiction profile (CN, US or EU) for retention, consent and deadlines.",
    )
    bureau_name: str | None = Field(
        default=None,
        description="The bureau's name on adverse action notices (FCRA 615(a)(2)).",
    )
    bureau_address: str | None = Field(
        default=None, description="The bureau's postal address on adverse action notices."
    )
    bureau_phone: str | None = Field(
        default=None, description="The bureau's telephone number on adverse action notices."
    )
    bureau_web: str | None = Field(
        default=None,
        description="Where subjects get their free report, on adverse action notices.",
    )
    otel: bool = Field(
        default=False,
        description=(
            "FastAPI's OpenTelemetry spans and metrics for every request (an OTel SDK and "
            "exporter must be configured). Off by default: even with nothing configured, "
            "FastAPI checks for a provider on every request (~3 % of /health's CPU)."
        ),
    )
    audit_anchor_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "How often each service worker records the inquiry chain's head in the audit "
            "chain (when it moved), so that an inquiry log cut back shows in `audit verify`."
        ),
    )

    @property
    def ledger_dir(self) -> Path:
        """Where the append-only Parquet batches live."""
        return self.home / "ledger"

    @property
    def database_url(self) -> str:
        """The serving store URL, defaulting to a SQLite file under ``home``."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'xinyong.sqlite3').resolve()}"

    @property
    def hash_key_file(self) -> Path:
        return self.home / "hash.key"

    def hash_key_bytes(self, *, create: bool = False) -> bytes:
        """The HMAC key: the setting if given, else the key file under ``home``.

        With ``create`` a missing key file is made with 256 random bits, readable
        by its owner only, so that an embedded deployment never runs on a key
        that is the same for everyone.
        """
        if self.hash_key:
            return self.hash_key.encode("utf-8")
        path = self.hash_key_file
        if path.exists():
            return path.read_text(encoding="ascii").strip().encode("ascii")
        if not create:
            raise FileNotFoundError(
                f"no hash key: set XINYONG_HASH_KEY or run `xinyong init` to create {path}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        return key.encode("ascii")


def get_settings() -> Settings:
    """Settings read afresh from the environment (cheap; no caching surprises in tests)."""
    return Settings()
