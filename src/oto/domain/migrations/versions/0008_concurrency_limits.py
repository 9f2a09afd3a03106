"""concurrency limits: max_concurrent on executables and jobs, and why a queued run waits

Revision ID: 0008_concurrency_limits
Revises: 0007_notifications
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_concurrency_limits"
down_revision = "0007_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executables") as batch:
        batch.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("max_concurrent", sa.Integer(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("waiting", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("waiting")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("max_concurrent")
    with op.batch_alter_table("executables") as batch:
        batch.drop_column("max_concurrent")
