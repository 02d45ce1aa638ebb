"""a feature's declaration can grant it a freeze exception

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 21:00:00.000000

Every declaration stored before this one grants none (an empty text).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.add_column(sa.Column("exception", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("declaration") as batch:
        batch.drop_column("exception")
