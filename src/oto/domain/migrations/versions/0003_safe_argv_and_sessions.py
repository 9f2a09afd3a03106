"""end of options, leading dashes and confined paths; dashboard sessions that logout ends

Revision ID: 0003_safe_argv_and_sessions
Revises: 0002_artifact_count
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_safe_argv_and_sessions"
down_revision = "0002_artifact_count"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("executables") as batch_op:
        batch_op.add_column(sa.Column("end_of_options", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("parameters") as batch_op:
        batch_op.add_column(sa.Column("allow_leading_dash", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("confine", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch_op:
        batch_op.drop_column("session_generation")
    with op.batch_alter_table("parameters") as batch_op:
        batch_op.drop_column("confine")
        batch_op.drop_column("allow_leading_dash")
    with op.batch_alter_table("executables") as batch_op:
        batch_op.drop_column("end_of_options")
