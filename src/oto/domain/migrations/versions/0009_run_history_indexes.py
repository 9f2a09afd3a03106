"""run history: one index per listing filter, ordered as listings read (newest first by created_at, id)

Each listing of runs filters on one column (top-level runs: ``parent_id IS NULL``; or the status,
job, routine, trigger or kind) and reads newest first by ``(created_at, id)``. An index on
``(filter, created_at, id)`` lets SQLite and PostgreSQL walk just the page's rows, for the first
page and for a page after a cursor alike, at any size of history. Each one also serves what the
single-column index on its first column served, so those are dropped (fewer indexes to write per run).

Revision ID: 0009_run_history_indexes
Revises: 0004_secret_delivery
"""

from __future__ import annotations

from alembic import op

revision = "0009_run_history_indexes"
down_revision = "0004_secret_delivery"
branch_labels = None
depends_on = None

# index name -> its leading column; every one continues (created_at, id)
LISTINGS = {
    "ix_runs_parent_created": "parent_id",
    "ix_runs_status_created": "status",
    "ix_runs_job_created": "job_name",
    "ix_runs_routine_created": "routine_name",
    "ix_runs_trigger_created": "trigger",
    "ix_runs_kind_created": "kind",
}
# the single-column indexes the ones above make redundant
REPLACED = {"ix_runs_parent_id": "parent_id", "ix_runs_status": "status", "ix_runs_job_name": "job_name",
            "ix_runs_routine_name": "routine_name", "ix_runs_trigger": "trigger"}


def upgrade() -> None:
    for name, column in LISTINGS.items():
        op.create_index(name, "runs", [column, "created_at", "id"])
    for name in REPLACED:
        op.drop_index(name, table_name="runs")


def downgrade() -> None:
    for name, column in REPLACED.items():
        op.create_index(name, "runs", [column])
    for name in LISTINGS:
        op.drop_index(name, table_name="runs")
