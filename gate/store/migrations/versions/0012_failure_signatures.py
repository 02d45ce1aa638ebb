"""failing steps keep a failure signature, so that failures cluster by cause

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:10:00.000000

Every failing step already stored gets its signature, worked out from its stored message and
the start of its output as an ingest does now (`gate.store.failures`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failure_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failure_signature")),
        sa.UniqueConstraint("digest", name=op.f("uq_failure_signature_digest")),
    )
    op.create_table(
        "failure",
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["step_id"], ["step.id"], name=op.f("fk_failure_step_id_step"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flight.id"],
            name=op.f("fk_failure_flight_id_flight"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["test_id"], ["test.id"], name=op.f("fk_failure_test_id_test")),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["failure_signature.id"],
            name=op.f("fk_failure_signature_id_failure_signature"),
        ),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_failure")),
    )
    op.create_index("ix_failure_signature_id_flight_id", "failure", ["signature_id", "flight_id"])
    op.create_index("ix_failure_flight_id", "failure", ["flight_id"])
    from sqlalchemy.orm import Session

    from gate.store.failures import record_failures

    with Session(bind=op.get_bind()) as session:
        flights = session.execute(sa.text("SELECT id FROM flight ORDER BY id")).scalars().all()
        for number in flights:
            record_failures(session, number)
        session.flush()


def downgrade() -> None:
    op.drop_index("ix_failure_flight_id", table_name="failure")
    op.drop_index("ix_failure_signature_id_flight_id", table_name="failure")
    op.drop_table("failure")
    op.drop_table("failure_signature")
