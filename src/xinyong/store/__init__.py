"""The serving store: schema, migrations, engines and repositories.

Subjects, current credit files, scores, inquiries, consents, disputes and the
audit log live here (SQLite embedded, PostgreSQL in production); the furnished
records themselves live in the ledger.
"""

from __future__ import annotations

from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import current_revision, head_revision, upgrade

__all__ = ["current_revision", "head_revision", "make_engine", "transaction", "upgrade"]
