"""A shared store for a team: who made each run and vote, and votes as rows of their own.

- runs.who: the name the person gave in the sidebar ('' when none); benchmark runs are runs too.
- votes: one row per verdict on a pair (left model, right model, outcome, who, use-case tag), so
  the arena can rate models from every vote of every person. The verdicts already stored in
  runs.vote are copied in (left = side a, right = side b); runs.vote stays for older readers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("who", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("left_model", sa.Text, nullable=False),
        sa.Column("right_model", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, sa.CheckConstraint("outcome IN ('left', 'right', 'tie', 'both_bad')"),
                  nullable=False),
        sa.Column("who", sa.Text, nullable=False, server_default=""),
        sa.Column("tag", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    op.create_index("votes_created", "votes", ["created_at"])
    op.create_index("votes_tag", "votes", ["tag"])
    op.create_index("votes_run", "votes", ["run_id"])
    op.execute(
        "INSERT INTO votes (run_id, left_model, right_model, outcome, who, tag, created_at) "
        "SELECT r.id, a.model, b.model, "
        "CASE r.vote WHEN 'a' THEN 'left' WHEN 'b' THEN 'right' ELSE r.vote END, r.who, NULL, r.created_at "
        "FROM runs r "
        "JOIN results a ON a.run_id = r.id AND a.side = 'a' "
        "JOIN results b ON b.run_id = r.id AND b.side = 'b' "
        "WHERE r.vote IS NOT NULL ORDER BY r.id"
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 3")


def downgrade() -> None:
    op.drop_table("votes")
    # Native DROP COLUMN (SQLite >= 3.35, PostgreSQL): a batch copy of runs would cascade-delete results.
    op.execute("ALTER TABLE runs DROP COLUMN who")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 2")
