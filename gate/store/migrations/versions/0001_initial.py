"""initial schema: branches, flights, jobs, tests, steps

Revision ID: 0001
Revises:
Create Date: 2026-11-26 09:25:33.808246
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_branch")),
        sa.UniqueConstraint("name", name=op.f("uq_branch_name")),
    )
    op.create_table(
        "test",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=500), nullable=False),
        sa.Column("testid", sa.String(length=1000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test")),
        sa.UniqueConstraint("job", "testid", name=op.f("uq_test_job_testid")),
    )
    op.create_table(
        "flight",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("blessing", sa.String(length=50), nullable=False),
        sa.Column("revisions", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ingested", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("pushed", sa.Boolean(), nullable=False),
        sa.Column("judged_baseline", sa.JSON(), nullable=False),
        sa.Column("baseline_flights", sa.JSON(), nullable=False),
        sa.Column("tests", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_flight_branch_id_branch")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flight")),
    )
    with op.batch_alter_table("flight", schema=None) as batch_op:
        batch_op.create_index("ix_flight_branch_id_id", ["branch_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_flight_digest"), ["digest"], unique=False)

    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_job_flight_id_flight"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("flight_id", "name", name=op.f("uq_job_flight_id_name")),
    )
    op.create_table(
        "step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stepno", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("classification", sa.String(length=30), nullable=True),
        sa.Column("ref_flight", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["flight_id"], ["flight.id"], name=op.f("fk_step_flight_id_flight"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_step_job_id_job"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["test_id"], ["test.id"], name=op.f("fk_step_test_id_test")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step")),
    )
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.create_index("ix_step_flight_id", ["flight_id"], unique=False)
        batch_op.create_index("ix_step_test_id_flight_id", ["test_id", "flight_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_index("ix_step_test_id_flight_id")
        batch_op.drop_index("ix_step_flight_id")

    op.drop_table("step")
    op.drop_table("job")
    with op.batch_alter_table("flight", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flight_digest"))
        batch_op.drop_index("ix_flight_branch_id_id")

    op.drop_table("flight")
    op.drop_table("test")
    op.drop_table("branch")
