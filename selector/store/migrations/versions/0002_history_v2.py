"""The history as selector/history.py created it by hand before Alembic (PRAGMA user_version 2).

runs and results (version 1), and the benchmark tables (version 2). Every table and index is created
only where it is missing, so a SQLite history written by that code (version 1 or 2) passes through
this revision untouched, and a new database, SQLite or PostgreSQL, gets the same schema.

Revision ID: 0002
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # version 1: runs of live comparisons and their two sides
    _create_runs()
    _create_results()
    op.create_index("results_model", "results", ["model"], if_not_exists=True)
    op.create_index("runs_created", "runs", ["created_at"], if_not_exists=True)
    # version 2: benchmarks, their prompts and one row per (model, prompt)
    _create_benchmark_prompts()
    _create_benchmark_results()
    op.create_index("benchmark_results_catalogue", "benchmark_results", ["catalogue_id"], if_not_exists=True)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA user_version = 2")


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False, server_default="compare"),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("system", sa.Text),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
        sa.Column("blind", sa.Integer, nullable=False, server_default="0"),
        sa.Column("vote", sa.Text, sa.CheckConstraint("vote IS NULL OR vote IN ('a', 'b', 'tie', 'both_bad')")),
        sa.Column("wall_s", sa.Float),
        sa.Column("status", sa.Text, nullable=False, server_default="running"),
        if_not_exists=True,
    )


def _create_results() -> None:
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("side", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("litellm_model", sa.Text),
        sa.Column("api_base", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("ttft_s", sa.Float),
        sa.Column("latency_s", sa.Float),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("output_tokens_counted", sa.Integer),
        sa.Column("tokens_per_s", sa.Float),
        sa.Column("cost_usd", sa.Float),
        sa.Column("cost_source", sa.Text),
        sa.Column("finish_reason", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.Text),
        sa.Column("finished_at", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "side"),
        if_not_exists=True,
    )


def _create_benchmark_prompts() -> None:
    op.create_table(
        "benchmark_prompts",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("row", sa.Integer, primary_key=True, quote=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("expected", sa.Text),
        sa.Column("check_kind", sa.Text),
        if_not_exists=True,
    )


def _create_benchmark_results() -> None:
    op.create_table(
        "benchmark_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("row", sa.Integer, nullable=False, quote=True),
        sa.Column("catalogue_id", sa.Text),
        sa.Column("prompt", sa.Text),
        sa.Column("expected", sa.Text),
        sa.Column("check", sa.Text, quote=True),
        sa.Column("text", sa.Text),
        sa.Column("ok", sa.Integer, nullable=False),
        sa.Column("ttft_s", sa.Float),
        sa.Column("latency_s", sa.Float),
        sa.Column("input_tokens", sa.Integer),
        sa.Column("output_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("cost_source", sa.Text),
        sa.Column("finish_reason", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.Text),
        sa.Column("passed", sa.Integer),
        sa.Column("judge_text", sa.Text),
        sa.Column("finished_at", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "model", "row"),
        if_not_exists=True,
    )


def downgrade() -> None:
    for table in ("benchmark_results", "benchmark_prompts", "results", "runs"):
        op.drop_table(table)
