"""osstest's whole judgement: push decision, trees compared, retests, findings of other flights

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("flight") as batch:
        batch.add_column(sa.Column("intended", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("log_url", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("push", sa.String(length=30), nullable=False, server_default="not_pushing")
        )
        batch.add_column(sa.Column("blocking", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("subject", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("judged_tested", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("retests", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("other_findings", sa.JSON(), nullable=False, server_default="[]")
        )
    op.execute("UPDATE flight SET push = 'pushed' WHERE pushed")
    # The stored subject is written when a flight is judged; `pushgate db rebuild` is not needed
    # for the flights of older schemas: an empty subject reads as the bare flight line.
    op.execute(
        "UPDATE flight SET blocking = (SELECT count(*) FROM step"
        " WHERE step.flight_id = flight.id AND step.classification = 'regression')"
    )
    with op.batch_alter_table("step") as batch:
        batch.add_column(sa.Column("ref_status", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("ref_blessing", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("step") as batch:
        batch.drop_column("ref_blessing")
        batch.drop_column("ref_status")
    # Not in a batch: on SQLite a batch copies flight into a new table and drops the old one,
    # and with foreign keys on, dropping it deletes every job and step (ON DELETE CASCADE).
    # SQLite drops a column in place since 3.35.
    for column in (
        "other_findings",
        "retests",
        "judged_tested",
        "blocking",
        "subject",
        "push",
        "log_url",
        "intended",
    ):
        op.drop_column("flight", column)
