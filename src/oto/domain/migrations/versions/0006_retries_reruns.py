"""retries and reruns: retry policies of jobs and routine steps, each attempt of a run, what a run repeats

Revision ID: 0006_retries_reruns
Revises: 0005_run_inputs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_retries_reruns"
down_revision = "0005_run_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("retry", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("routine_steps") as batch:
        batch.add_column(sa.Column("retry", sa.JSON(none_as_null=True), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("rerun_of", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("carried_over", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_runs_rerun_of", ["rerun_of"])
    op.create_table(
        "run_attempts",
        sa.Column("run_id", sa.String(length=100), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stdout", sa.Text(), nullable=False),
        sa.Column("stderr", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "number"),
    )


def downgrade() -> None:
    op.drop_table("run_attempts")
    with op.batch_alter_table("runs") as batch:
        batch.drop_index("ix_runs_rerun_of")
        batch.drop_column("carried_over")
        batch.drop_column("rerun_of")
    with op.batch_alter_table("routine_steps") as batch:
        batch.drop_column("retry")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("retry")
