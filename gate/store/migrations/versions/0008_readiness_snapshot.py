"""the readiness of every feature kept at its release's feature and code freezes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_snapshot",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("declared", sa.String(length=20), nullable=False),
        sa.Column("readiness", sa.String(length=20), nullable=False),
        sa.Column("pass_rate", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_readiness_snapshot_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "release_id", "milestone", "slug", name=op.f("pk_readiness_snapshot")
        ),
    )


def downgrade() -> None:
    op.drop_table("readiness_snapshot")
