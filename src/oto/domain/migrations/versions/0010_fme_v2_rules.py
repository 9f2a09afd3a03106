"""parameters: the FME v2 rules (require_any, required, groups with bounds, value rules)

Revision ID: 0010_fme_v2_rules
Revises: 0009_run_history_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_fme_v2_rules"
down_revision = "0009_run_history_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parameters") as batch:
        batch.add_column(sa.Column("require_any", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("when", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("parameters") as batch:
        batch.drop_column("when")
        batch.drop_column("groups")
        batch.drop_column("required")
        batch.drop_column("require_any")
