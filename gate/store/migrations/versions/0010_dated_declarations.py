"""features belong to a release; dated updates with their prose; each feature's declarations
(status and notes) per update; the links and counts of a feature by its id

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00.000000

Each moment at which statuses were recorded becomes an update of its release (with no prose),
each status change a declaration of that update; a feature's notes go to its newest declaration.
The links of tests to features and the counts of a feature's steps, keyed by slug until now,
are keyed by the feature of that slug (slugs were unique: there is one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _carry(name: str, select: str) -> None:
    """Keep the rows of a query in a scratch table while the tables they come from change."""
    op.execute(f"CREATE TABLE {name} AS {select}")


def upgrade() -> None:
    # The rows to carry over, read while the old tables are there.
    _carry(
        "carry_declaration",
        "SELECT f.release_id AS release_id, c.feature_id AS feature_id, c.at AS at, "
        "c.after AS status, c.id AS change_id FROM status_change c "
        "JOIN feature f ON f.id = c.feature_id",
    )
    # A feature with no recorded status keeps its status, declared at its release's first
    # update (or now, when its release has none).
    op.execute(
        "INSERT INTO carry_declaration (release_id, feature_id, at, status, change_id) "
        "SELECT f.release_id, f.id, COALESCE((SELECT min(d.at) FROM carry_declaration d "
        "WHERE d.release_id = f.release_id), CURRENT_TIMESTAMP), f.status, 0 FROM feature f "
        "WHERE NOT EXISTS (SELECT 1 FROM status_change c WHERE c.feature_id = f.id)"
    )
    _carry("carry_notes", "SELECT id AS feature_id, notes FROM feature")
    _carry(
        "carry_link",
        "SELECT DISTINCT l.test_id AS test_id, f.id AS feature_id FROM test_feature l "
        "JOIN feature f ON f.slug = l.slug",
    )
    _carry(
        "carry_count",
        "SELECT s.flight_id AS flight_id, f.id AS feature_id, s.status AS status, "
        "s.steps AS steps FROM feature_status s JOIN feature f ON f.slug = s.slug",
    )
    op.drop_table("status_change")
    op.drop_table("test_feature")
    op.drop_table("feature_status")

    with op.batch_alter_table("feature") as batch:
        batch.drop_constraint("uq_feature_slug", type_="unique")
        batch.drop_column("status")
        batch.drop_column("notes")
        batch.add_column(sa.Column("carried_from", sa.String(length=100), nullable=True))
        batch.create_unique_constraint("uq_feature_release_id_slug", ["release_id", "slug"])

    op.create_table(
        "roadmap_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("imported", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_roadmap_update_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_update")),
        sa.UniqueConstraint("release_id", "at", name=op.f("uq_roadmap_update_release_id_at")),
    )
    op.create_table(
        "declaration",
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["feature.id"],
            name=op.f("fk_declaration_feature_id_feature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["roadmap_update.id"],
            name=op.f("fk_declaration_update_id_roadmap_update"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("update_id", "feature_id", name=op.f("pk_declaration")),
    )
    op.create_index(op.f("ix_declaration_feature_id"), "declaration", ["feature_id"], unique=False)
    op.create_table(
        "test_feature",
        sa.Column("test_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["feature.id"],
            name=op.f("fk_test_feature_feature_id_feature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["test_id"], ["test.id"], name=op.f("fk_test_feature_test_id_test")
        ),
        sa.PrimaryKeyConstraint("test_id", "feature_id", name=op.f("pk_test_feature")),
    )
    op.create_index(
        op.f("ix_test_feature_feature_id"), "test_feature", ["feature_id"], unique=False
    )
    op.create_table(
        "feature_status",
        sa.Column("flight_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["feature.id"],
            name=op.f("fk_feature_status_feature_id_feature"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flight_id"],
            ["flight.id"],
            name=op.f("fk_feature_status_flight_id_flight"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "flight_id", "feature_id", "status", name=op.f("pk_feature_status")
        ),
    )

    op.execute(
        "INSERT INTO roadmap_update (release_id, at, summary, imported) "
        "SELECT DISTINCT release_id, at, '', at FROM carry_declaration"
    )
    # One declaration per feature and moment: the last change recorded then.
    op.execute(
        "INSERT INTO declaration (update_id, feature_id, status, notes) "
        "SELECT u.id, d.feature_id, d.status, '' FROM carry_declaration d "
        "JOIN roadmap_update u ON u.release_id = d.release_id AND u.at = d.at "
        "WHERE d.change_id = (SELECT max(e.change_id) FROM carry_declaration e "
        "WHERE e.feature_id = d.feature_id AND e.at = d.at)"
    )
    op.execute(
        "UPDATE declaration SET notes = (SELECT n.notes FROM carry_notes n "
        "WHERE n.feature_id = declaration.feature_id) "
        "WHERE update_id = (SELECT u.id FROM roadmap_update u JOIN declaration e "
        "ON e.update_id = u.id WHERE e.feature_id = declaration.feature_id "
        "ORDER BY u.at DESC LIMIT 1)"
    )
    op.execute("INSERT INTO test_feature (test_id, feature_id) SELECT * FROM carry_link")
    op.execute(
        "INSERT INTO feature_status (flight_id, feature_id, status, steps) "
        "SELECT * FROM carry_count"
    )
    for name in ("carry_declaration", "carry_notes", "carry_link", "carry_count"):
        op.execute(f"DROP TABLE {name}")


def downgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text("SELECT slug FROM feature GROUP BY slug HAVING count(*) > 1")
    ).first()
    if shared is not None:
        raise RuntimeError(
            f"cannot downgrade below 0010: feature {shared[0]!r} is in several releases, and "
            "a feature's slug was its key before"
        )
    _carry(
        "carry_change",
        "SELECT d.feature_id AS feature_id, u.at AS at, d.status AS status, "
        "LAG(d.status) OVER (PARTITION BY d.feature_id ORDER BY u.at) AS before_status "
        "FROM declaration d JOIN roadmap_update u ON u.id = d.update_id",
    )
    _carry(
        "carry_latest",
        "SELECT d.feature_id AS feature_id, d.status AS status, d.notes AS notes "
        "FROM declaration d JOIN roadmap_update u ON u.id = d.update_id "
        "WHERE u.at = (SELECT max(v.at) FROM declaration e JOIN roadmap_update v "
        "ON v.id = e.update_id WHERE e.feature_id = d.feature_id)",
    )
    _carry(
        "carry_link",
        "SELECT l.test_id AS test_id, f.slug AS slug FROM test_feature l "
        "JOIN feature f ON f.id = l.feature_id",
    )
    _carry(
        "carry_count",
        "SELECT s.flight_id AS flight_id, f.slug AS slug, s.status AS status, "
        "s.steps AS steps FROM feature_status s JOIN feature f ON f.id = s.feature_id",
    )
    op.drop_table("feature_status")
    op.drop_index(op.f("ix_test_feature_feature_id"), table_name="test_feature")
    op.drop_table("test_feature")
    op.drop_index(op.f("ix_declaration_feature_id"), table_name="declaration")
    op.drop_table("declaration")
    op.drop_table("roadmap_update")

    # The feature table as it was, its columns in their old order, status and notes back.
    _carry(
        "carry_feature",
        "SELECT f.id AS id, f.slug AS slug, f.release_id AS release_id, f.title AS title, "
        "COALESCE(l.status, 'ok') AS status, f.owners AS owners, COALESCE(l.notes, '') AS notes, "
        "f.links AS links, f.tests AS tests, f.position AS position FROM feature f "
        "LEFT JOIN carry_latest l ON l.feature_id = f.id",
    )
    op.drop_table("feature")
    op.create_table(
        "feature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("tests", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["release.id"], name=op.f("fk_feature_release_id_release")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature")),
        sa.UniqueConstraint("slug", name=op.f("uq_feature_slug")),
    )
    op.execute("INSERT INTO feature SELECT * FROM carry_feature")
    if bind.dialect.name == "postgresql":  # the new table's id sequence goes on from its rows
        op.execute(
            "SELECT setval(pg_get_serial_sequence('feature', 'id'), "
            "COALESCE((SELECT max(id) FROM feature), 0) + 1, false)"
        )

    op.create_table(
        "status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.String(length=20), nullable=True),
        sa.Column("after", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feature_id"],
            ["feature.id"],
            name=op.f("fk_status_change_feature_id_feature"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_change")),
    )
    op.create_index(
        op.f("ix_status_change_feature_id"), "status_change", ["feature_id"], unique=False
    )
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
    op.execute(
        'INSERT INTO status_change (feature_id, at, "before", "after", note) '
        "SELECT feature_id, at, before_status, status, '' FROM carry_change "
        "WHERE before_status IS NULL OR before_status <> status ORDER BY at"
    )
    op.execute("INSERT INTO test_feature (test_id, slug) SELECT * FROM carry_link")
    op.execute(
        "INSERT INTO feature_status (flight_id, slug, status, steps) SELECT * FROM carry_count"
    )
    for name in ("carry_change", "carry_latest", "carry_link", "carry_count", "carry_feature"):
        op.execute(f"DROP TABLE {name}")
