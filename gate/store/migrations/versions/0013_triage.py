"""known issues (triage rules) and accepted regressions, each a name with dated versions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 02:20:00.000000

Nothing stored before holds either: the tables start empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "triage_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_rule")),
        sa.UniqueConstraint("name", name=op.f("uq_triage_rule_name")),
    )
    op.create_table(
        "triage_rule_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bug_url", sa.Text(), server_default="", nullable=False),
        sa.Column("job", sa.Text(), server_default="*", nullable=False),
        sa.Column("testid", sa.Text(), server_default="*", nullable=False),
        sa.Column("message", sa.Text(), server_default="", nullable=False),
        sa.Column("host", sa.Text(), server_default="*", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("retired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["triage_rule.id"],
            name=op.f("fk_triage_rule_version_rule_id_triage_rule"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_rule_version")),
    )
    op.create_index("ix_triage_rule_version_rule_id_at", "triage_rule_version", ["rule_id", "at"])
    op.create_table(
        "acceptance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=500), nullable=False),
        sa.Column("testid", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_acceptance_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance")),
        sa.UniqueConstraint(
            "release_id", "job", "testid", name=op.f("uq_acceptance_release_id_job_testid")
        ),
    )
    op.create_table(
        "acceptance_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("acceptance_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["acceptance_id"],
            ["acceptance.id"],
            name=op.f("fk_acceptance_version_acceptance_id_acceptance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_version")),
    )
    op.create_index(
        "ix_acceptance_version_acceptance_id_at", "acceptance_version", ["acceptance_id", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_acceptance_version_acceptance_id_at", table_name="acceptance_version")
    op.drop_table("acceptance_version")
    op.drop_table("acceptance")
    op.drop_index("ix_triage_rule_version_rule_id_at", table_name="triage_rule_version")
    op.drop_table("triage_rule_version")
    op.drop_table("triage_rule")
