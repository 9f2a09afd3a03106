"""notifications: webhooks told when runs end, and each attempt at telling them

Revision ID: 0007_notifications
Revises: 0006_retries_reruns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_notifications"
down_revision = "0006_retries_reruns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False, unique=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("on", sa.JSON(), nullable=False),
        sa.Column("target_kind", sa.String(length=10), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notifications_target", "notifications", ["target"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("notification_id", sa.Integer(),
                  sa.ForeignKey("notifications.id", ondelete="CASCADE"), nullable=False),
        sa.Column("run_id", sa.String(length=100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_notification_deliveries_notification_id", "notification_deliveries", ["notification_id"])
    op.create_index("ix_notification_deliveries_run_id", "notification_deliveries", ["run_id"])


def downgrade() -> None:
    op.drop_table("notification_deliveries")
    op.drop_table("notifications")
