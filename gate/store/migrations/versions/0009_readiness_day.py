"""every feature's readiness as of each day of its release's cycle (and the counts of each
state), kept as flights are stored

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_day",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("readiness", sa.String(length=20), nullable=False),
        sa.Column("pass_rate", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_readiness_day_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "slug", "day", name=op.f("pk_readiness_day")),
    )
    op.create_table(
        "readiness_count",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_readiness_count_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "day", name=op.f("pk_readiness_count")),
    )
    op.create_table(
        "readiness_kept",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("first", sa.Date(), nullable=True),
        sa.Column("through", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_readiness_kept_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_readiness_kept")),
    )
    # Every release has its record of kept days (none kept yet): the next flight, `db upgrade`
    # or the app's start keeps them.
    op.execute(
        "INSERT INTO readiness_kept (release_id, policy, first, through) "
        "SELECT id, '', NULL, NULL FROM release"
    )


def downgrade() -> None:
    op.drop_table("readiness_kept")
    op.drop_table("readiness_count")
    op.drop_table("readiness_day")
