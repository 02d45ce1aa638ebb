"""the first pass of each test on each branch, and a step index by flight then test

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "test_pass",
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("blessing", sa.String(length=50), nullable=False),
        sa.Column("first_flight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["branch.id"], name=op.f("fk_test_pass_branch_id_branch")
        ),
        sa.ForeignKeyConstraint(["test_id"], ["test.id"], name=op.f("fk_test_pass_test_id_test")),
        sa.PrimaryKeyConstraint("branch_id", "test_id", "blessing", name=op.f("pk_test_pass")),
    )
    op.execute(
        "INSERT INTO test_pass (branch_id, test_id, blessing, first_flight)"
        " SELECT flight.branch_id, step.test_id, flight.blessing, min(flight.id)"
        " FROM step JOIN flight ON flight.id = step.flight_id WHERE step.status = 'pass'"
        " GROUP BY flight.branch_id, step.test_id, flight.blessing"
    )
    with op.batch_alter_table("step") as batch:
        batch.drop_index("ix_step_flight_id")
        batch.create_index("ix_step_flight_id_test_id", ["flight_id", "test_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("step") as batch:
        batch.drop_index("ix_step_flight_id_test_id")
        batch.create_index("ix_step_flight_id", ["flight_id"], unique=False)
    op.drop_table("test_pass")
