"""inputs: values given at run time (job and routine inputs, step bindings, schedule values)

Revision ID: 0005_run_inputs
Revises: 0004_secret_delivery
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_run_inputs"
down_revision = "0004_secret_delivery"
branch_labels = None
depends_on = None

_TABLES = (("jobs", "inputs"), ("routines", "inputs"), ("routine_steps", "bindings"), ("schedules", "input_values"))


def upgrade() -> None:
    for table, column in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    for table, column in reversed(_TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
