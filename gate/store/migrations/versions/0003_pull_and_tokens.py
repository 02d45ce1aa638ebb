"""pull sources, their cursors, and API tokens

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:22:48.960564
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_source")),
        sa.UniqueConstraint("url", name=op.f("uq_pull_source_url")),
    )
    op.create_table(
        "token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token")),
        sa.UniqueConstraint("name", name=op.f("uq_token_name")),
    )
    op.create_table(
        "pulled_flight",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("flight", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["pull_source.id"],
            name=op.f("fk_pulled_flight_source_id_pull_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "flight", name=op.f("pk_pulled_flight")),
    )


def downgrade() -> None:
    op.drop_table("pulled_flight")
    op.drop_table("token")
    op.drop_table("pull_source")
