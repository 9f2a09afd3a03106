"""run history: one index per listing filter, ordered as listings read (newest first by created_at, id)

Each listing of runs filters on one column (the status, job, routine, trigger, kind or parent) and
reads newest first by ``(created_at, id)``, jobs and routines only (``parent_id IS NULL``) unless it
asks for steps. An index on ``(filter, created_at, id)`` lets SQLite and PostgreSQL walk just the
page's rows, for the first page and for a page after a cursor alike, at any size of history. Those
indexes end with ``parent_id`` too: a listing's capped count (up to 10,001 entries) then reads the
index alone, never the table. The listing with no filter has its own partial index, of the runs
without a parent: PostgreSQL does not take ``IS NULL`` on an index's first column as fixing it, so
``(parent_id, created_at, id)`` would not give that listing its order. Each new index also serves
what the single-column index on its first column served, so those are dropped (fewer to write).

Revision ID: 0009_run_history_indexes
Revises: 0008_concurrency_limits
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_run_history_indexes"
down_revision = "0008_concurrency_limits"
branch_labels = None
depends_on = None

# index name -> its columns
LISTINGS = {
    "ix_runs_parent_created": ["parent_id", "created_at", "id"],
    "ix_runs_status_created": ["status", "created_at", "id", "parent_id"],
    "ix_runs_job_created": ["job_name", "created_at", "id", "parent_id"],
    "ix_runs_routine_created": ["routine_name", "created_at", "id", "parent_id"],
    "ix_runs_trigger_created": ["trigger", "created_at", "id", "parent_id"],
    "ix_runs_kind_created": ["kind", "created_at", "id"],
}
# the single-column indexes the ones above make redundant
REPLACED = {"ix_runs_parent_id": "parent_id", "ix_runs_status": "status", "ix_runs_job_name": "job_name",
            "ix_runs_routine_name": "routine_name", "ix_runs_trigger": "trigger"}

# jobs and routines (not steps), for the listing with no filter
TOP = "ix_runs_top_created"
TOP_WHERE = "parent_id IS NULL"


def upgrade() -> None:
    for name, columns in LISTINGS.items():
        op.create_index(name, "runs", columns)
    op.create_index(TOP, "runs", ["created_at", "id"], postgresql_where=sa.text(TOP_WHERE),
                    sqlite_where=sa.text(TOP_WHERE))
    for name in REPLACED:
        op.drop_index(name, table_name="runs")


def downgrade() -> None:
    for name, column in REPLACED.items():
        op.create_index(name, "runs", [column])
    op.drop_index(TOP, table_name="runs")
    for name in LISTINGS:
        op.drop_index(name, table_name="runs")
