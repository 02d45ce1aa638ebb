"""summaries the pages read: the roadmap's links, step counts per flight and per feature, and an
index of the steps that did not pass; an index of the steps by job, which deleting a job (of a
replaced or pruned flight) looks its steps up by

The new tables start empty; `gate.store.db.upgrade` fills them (`gate.store.summaries.rebuild`)
when it crosses this revision, because linking a test to a feature takes the roadmap's globs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NOTABLE = "status <> 'pass' OR attempts > 1"


def upgrade() -> None:
    op.create_table(
        "test_feature",
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_id"], ["test.id"], name=op.f("fk_test_feature_test_id_test")
        ),
        sa.PrimaryKeyConstraint("test_id", "slug", name=op.f("pk_test_feature")),
    )
    op.create_index(op.f("ix_test_feature_slug"), "test_feature", ["slug"], unique=False)
    op.create_table(
        "flight_status",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flight.id"],
            name=op.f("fk_flight_status_flight_id_flight"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flight_id", "status", name=op.f("pk_flight_status")),
    )
    op.create_table(
        "feature_status",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flight.id"],
            name=op.f("fk_feature_status_flight_id_flight"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("flight_id", "slug", "status", name=op.f("pk_feature_status")),
    )
    op.create_index(
        "ix_step_notable",
        "step",
        ["flight_id", "test_id"],
        unique=False,
        sqlite_where=sa.text(NOTABLE),
        postgresql_where=sa.text(NOTABLE),
    )
    op.create_index("ix_step_job_id", "step", ["job_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_step_job_id", table_name="step")
    op.drop_index("ix_step_notable", table_name="step")
    op.drop_table("feature_status")
    op.drop_table("flight_status")
    op.drop_index(op.f("ix_test_feature_slug"), table_name="test_feature")
    op.drop_table("test_feature")
