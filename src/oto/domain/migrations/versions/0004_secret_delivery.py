"""secrets: how each secret parameter's value reaches its program

Revision ID: 0004_secret_delivery
Revises: 0003_safe_argv_and_sessions
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_secret_delivery"
down_revision = "0003_safe_argv_and_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parameters") as batch:
        batch.add_column(sa.Column("delivery", sa.String(length=10), nullable=False, server_default="argv"))
        batch.add_column(sa.Column("template", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("parameters") as batch:
        batch.drop_column("template")
        batch.drop_column("delivery")
