"""how many files a run made, beyond the ones it lists

Revision ID: 0002_artifact_count
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_artifact_count"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for runs recorded before: their list was all they had (or all that was said)
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("artifacts_total", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("artifacts_total")
