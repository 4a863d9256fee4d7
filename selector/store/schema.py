"""The store's tables as SQLAlchemy Core objects: the schema at the newest migration.

Change the schema only through a new revision in migrations/versions/ and then here; a test
checks that the two agree (tests/test_store.py).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text, UniqueConstraint

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", Text, nullable=False, server_default="compare"),  # compare | benchmark | ...
    Column("created_at", Text, nullable=False),  # ISO 8601, UTC, milliseconds: sorts as text
    Column("prompt", Text, nullable=False),  # benchmark runs: the prompt file's name
    Column("system", Text),
    Column("settings", Text, nullable=False, server_default="{}"),  # JSON, never a key
    Column("blind", Integer, nullable=False, server_default="0"),
    Column("vote", Text, CheckConstraint("vote IS NULL OR vote IN ('a', 'b', 'tie', 'both_bad')")),
    Column("wall_s", Float),
    Column("status", Text, nullable=False, server_default="running"),  # running | done | stopped
    Column("who", Text, nullable=False, server_default=""),  # the name given in the sidebar
    Index("runs_created", "created_at"),
)

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("side", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("litellm_model", Text),
    Column("api_base", Text),  # without credentials or query string
    Column("text", Text),
    Column("ttft_s", Float),
    Column("latency_s", Float),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("output_tokens_counted", Integer),
    Column("tokens_per_s", Float),
    Column("cost_usd", Float),  # NULL = unknown
    Column("cost_source", Text),
    Column("finish_reason", Text),
    Column("error", Text),
    Column("error_kind", Text),
    Column("finished_at", Text, nullable=False),
    UniqueConstraint("run_id", "side"),
    Index("results_model", "model"),
)

benchmark_prompts = Table(
    "benchmark_prompts", metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("row", Integer, primary_key=True, quote=True),  # 1-based, as in the uploaded file
    Column("prompt", Text, nullable=False),
    Column("expected", Text),
    Column("check_kind", Text),  # exact | contains | regex | judge; NULL: nothing expected
)

benchmark_results = Table(
    "benchmark_results", metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("model", Text, nullable=False),
    Column("row", Integer, nullable=False, quote=True),
    Column("catalogue_id", Text),
    Column("prompt", Text),
    Column("expected", Text),
    Column("check", Text, quote=True),
    Column("text", Text),
    Column("ok", Integer, nullable=False),
    Column("ttft_s", Float),
    Column("latency_s", Float),
    Column("input_tokens", Integer),
    Column("output_tokens", Integer),
    Column("cost_usd", Float),
    Column("cost_source", Text),
    Column("finish_reason", Text),
    Column("error", Text),
    Column("error_kind", Text),
    Column("passed", Integer),  # NULL: not checked
    Column("judge_text", Text),
    Column("finished_at", Text, nullable=False),
    UniqueConstraint("run_id", "model", "row"),
    Index("benchmark_results_catalogue", "catalogue_id"),
)

votes = Table(
    "votes", metadata,
    Column("id", Integer, primary_key=True),
    # A vote outlives its run: the arena's ratings should not change when someone prunes history.
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("left_model", Text, nullable=False),
    Column("right_model", Text, nullable=False),
    Column("outcome", Text, CheckConstraint("outcome IN ('left', 'right', 'tie', 'both_bad')"), nullable=False),
    Column("who", Text, nullable=False, server_default=""),
    Column("tag", Text),  # the use case the vote speaks for (rules.py ids), NULL: none given
    Column("created_at", Text, nullable=False),
    Index("votes_created", "created_at"),
    Index("votes_tag", "tag"),
    Index("votes_run", "run_id"),
)
