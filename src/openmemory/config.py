"""Settings: the only reader of the environment.

Variable names follow upstream OpenMemory (``OM_*``) so an existing ``.env`` keeps working. Build a
``Settings`` once in an entry point and pass it down; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from openmemory.errors import ConfigError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

EmbedderKind = Literal["minilm", "synthetic", "openai", "ollama"]


def _env(name: str, *more: str) -> AliasChoices:
    return AliasChoices(name, *more)


class Settings(BaseSettings):
    """Runtime configuration, read from ``OM_*`` environment variables (and ``.env``)."""

    # env_ignore_empty: `OM_EMBEDDINGS=` (set but empty) means "not set", as in a shell or a .env template
    model_config = SettingsConfigDict(
        env_file=None,
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
        frozen=True,
        env_ignore_empty=True,
    )

    # storage
    metadata_backend: Literal["sqlite", "postgres"] = Field(
        "sqlite", validation_alias=_env("OM_METADATA_BACKEND"), description="Storage backend: sqlite or postgres."
    )
    db_path: Path = Field(
        Path("data/openmemory.sqlite"),
        validation_alias=_env("OM_DB_PATH"),
        description="SQLite database file (created with its directory when missing).",
    )
    vector_table: str | None = Field(
        None,
        validation_alias=_env("OM_VECTOR_TABLE"),
        description="Vector table name; unset = detect `vectors` (v1.2) or `openmemory_vectors`.",
    )
    auto_migrate: bool = Field(
        True,
        validation_alias=_env("OM_AUTO_MIGRATE"),
        description="Apply pending schema migrations when a database is opened.",
    )
    busy_timeout_ms: int = Field(
        5000, ge=0, validation_alias=_env("OM_BUSY_TIMEOUT_MS"), description="SQLite lock wait in ms."
    )
    pg_url: SecretStr | None = Field(
        None,
        validation_alias=_env("OM_PG_URL", "DATABASE_URL"),
        description="PostgreSQL DSN; overrides the OM_PG_HOST.. parts.",
    )
    pg_host: str = Field("127.0.0.1", validation_alias=_env("OM_PG_HOST"), description="PostgreSQL host.")
    pg_port: int = Field(5432, validation_alias=_env("OM_PG_PORT"), description="PostgreSQL port.")
    pg_db: str = Field("openmemory", validation_alias=_env("OM_PG_DB"), description="PostgreSQL database.")
    pg_user: str = Field("postgres", validation_alias=_env("OM_PG_USER"), description="PostgreSQL user.")
    pg_password: SecretStr | None = Field(
        None, validation_alias=_env("OM_PG_PASSWORD"), description="PostgreSQL password."
    )
    pg_schema: str = Field("public", validation_alias=_env("OM_PG_SCHEMA"), description="PostgreSQL schema.")
    pg_table: str = Field(
        "openmemory_memories", validation_alias=_env("OM_PG_TABLE"), description="PostgreSQL memories table."
    )
    pg_ssl: Literal["disable", "require", "verify-full", "prefer"] = Field(
        "prefer", validation_alias=_env("OM_PG_SSL"), description="PostgreSQL TLS mode."
    )
    pg_pool_max: int = Field(
        10,
        ge=1,
        le=1000,
        validation_alias=_env("OM_PG_POOL_MAX"),
        description="Most PostgreSQL connections one process holds; requests beyond wait for one.",
    )
    pg_pool_timeout_s: float = Field(
        10.0,
        gt=0,
        le=600,
        validation_alias=_env("OM_PG_POOL_TIMEOUT_S"),
        description="How long a request waits for a PostgreSQL connection before a 503 `store_unavailable`.",
    )
    serve_query_threads: int = Field(
        2,
        ge=1,
        le=256,
        validation_alias=_env("OM_SERVE_QUERY_THREADS"),
        description="Queries one server worker answers at once (`POST /memory/query`); more wait their turn in "
        "arrival order (fewer at once: a shorter tail; measured best at 2 on SQLite and PostgreSQL).",
    )
    pg_index_build_memory_mb: int = Field(
        4096,
        ge=64,
        validation_alias=_env("OM_PG_INDEX_BUILD_MEMORY_MB"),
        description="Most maintenance_work_mem a pgvector HNSW (re)build may take, in MB (it asks for what the "
        "graph needs, at least 1 GB: a graph that fits builds many times faster).",
    )
    pg_create_db: bool = Field(
        False,
        validation_alias=_env("OM_PG_CREATE_DB"),
        description="Create the PostgreSQL database when it does not exist.",
    )

    # embeddings
    embeddings: EmbedderKind = Field(
        "minilm",
        validation_alias=_env("OM_EMBEDDINGS"),
        description="Embedder: minilm (local, default), synthetic, openai, ollama.",
    )
    vec_dim: int = Field(
        256, ge=8, le=8192, validation_alias=_env("OM_VEC_DIM"), description="Dimension of synthetic vectors."
    )
    embed_threads: int = Field(
        0,
        ge=0,
        le=64,
        validation_alias=_env("OM_EMBED_THREADS"),
        description="MiniLM: texts embedded at once by add_many and imports (0 = up to 4; one text: one thread).",
    )
    embed_timeout_ms: int = Field(
        30000, ge=1, validation_alias=_env("OM_EMBED_TIMEOUT_MS"), description="HTTP embedder timeout in ms."
    )
    openai_base_url: str = Field(
        "https://api.openai.com/v1",
        validation_alias=_env("OM_OPENAI_BASE_URL"),
        description="OpenAI-compatible embeddings base URL.",
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=_env("OM_OPENAI_API_KEY", "OPENAI_API_KEY"), description="OpenAI API key."
    )
    openai_model: str = Field(
        "text-embedding-3-small", validation_alias=_env("OM_OPENAI_MODEL"), description="OpenAI model."
    )
    openai_dimensions: int | None = Field(
        None, validation_alias=_env("OM_OPENAI_DIMENSIONS"), description="Requested OpenAI dimensions."
    )
    ollama_url: str = Field(
        "http://localhost:11434", validation_alias=_env("OM_OLLAMA_URL", "OLLAMA_URL"), description="Ollama URL."
    )
    ollama_model: str = Field(
        "nomic-embed-text", validation_alias=_env("OM_OLLAMA_MODEL"), description="Ollama embedding model."
    )

    # outbound requests (embedders, importers): see openmemory/outbound.py
    outbound_allow: str | None = Field(
        None,
        validation_alias=_env("OM_OUTBOUND_ALLOW"),
        description="Private, loopback or link-local hosts, addresses or CIDR blocks that outbound requests "
        "(HTTP embedders, importers) may reach, comma-separated (e.g. `localhost,10.0.0.0/8`; `*` = any). A local "
        "Ollama (the default OM_OLLAMA_URL) needs `localhost` here.",
    )
    outbound_max_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024,
        validation_alias=_env("OM_OUTBOUND_MAX_BYTES"),
        description="Largest answer, in bytes, an outbound request may read before it is cut off.",
    )

    recall_flush_ms: int = Field(
        50,
        ge=0,
        le=60_000,
        validation_alias=_env("OM_RECALL_FLUSH_MS"),
        description="Buffer query-time reinforcement and write it every N ms (0 = at once, within the query). This "
        "process's own reads (get, list, export, update) write what is buffered first; other processes see it within "
        "N ms, and a process that ends without closing its Memory loses at most that much.",
    )
    ann_min_memories: int | None = Field(
        None,
        ge=0,
        validation_alias=_env("OM_ANN_MIN_MEMORIES"),
        description="Owners with at least this many memories are searched through an approximate (HNSW) index "
        "instead of an exact scan (SQLite: an int8 graph with float32 re-scoring, built in the background while the "
        "exact scan answers, default 5000; "
        "PostgreSQL: pgvector's index, below it the owner's rows are sorted exactly, default 20000; 0 = every "
        "owner).",
    )
    word_expansion: bool = Field(
        True,
        validation_alias=_env("OM_WORD_EXPANSION"),
        description="Lexical search also looks for the owner's own words that the embedding model finds close to "
        "the question's words (LoCoMo dev recall@10 0.720 -> 0.733; a question's words never seen before cost one "
        "model call; an owner's vocabulary is embedded in the background, unexpanded until it is done).",
    )
    warm_memories: int = Field(
        200_000,
        ge=0,
        validation_alias=_env("OM_WARM_MEMORIES"),
        description="At `opm serve` start-up, load the search indexes of the most recently active owners, up to "
        "this many memories in all (0 = none; others load on their first query).",
    )

    user_id: str | None = Field(
        None,
        validation_alias=_env("OM_USER_ID"),
        description="The user `opm mcp` (stdio) acts for; unset = the system/default user.",
    )

    # server
    host: str = Field("127.0.0.1", validation_alias=_env("OM_HOST"), description="Address `opm serve` binds.")
    port: int = Field(8080, ge=1, le=65535, validation_alias=_env("OM_PORT"), description="HTTP port.")
    api_key: SecretStr | None = Field(None, validation_alias=_env("OM_API_KEY"), description="One API key.")
    api_keys: SecretStr | None = Field(
        None, validation_alias=_env("OM_API_KEYS"), description="Several keys: `key:tenant,key2:tenant2`."
    )
    admin_key: SecretStr | None = Field(
        None, validation_alias=_env("OM_ADMIN_KEY"), description="Admin key: sees every tenant."
    )
    max_payload_size: int = Field(
        1_000_000, ge=1024, validation_alias=_env("OM_MAX_PAYLOAD_SIZE"), description="Max body bytes."
    )
    max_concurrent_per_key: int = Field(
        32,
        ge=0,
        validation_alias=_env("OM_MAX_CONCURRENT_PER_KEY"),
        description="Requests one API key may have in progress at once, per server process; more get 429 (0 = no cap).",
    )
    rate_limit_enabled: bool = Field(
        False,
        validation_alias=_env("OM_RATE_LIMIT_ENABLED"),
        description="Limit each API key to OM_RATE_LIMIT_MAX_REQUESTS per OM_RATE_LIMIT_WINDOW_MS, per server "
        "process (a token bucket); more get 429.",
    )
    rate_limit_window_ms: int = Field(
        60_000, ge=1000, validation_alias=_env("OM_RATE_LIMIT_WINDOW_MS"), description="Rate-limit window in ms."
    )
    rate_limit_max_requests: int = Field(
        100,
        ge=1,
        validation_alias=_env("OM_RATE_LIMIT_MAX_REQUESTS"),
        description="Requests per window for one API key (also its burst).",
    )
    decay_interval_minutes: float = Field(
        1440, ge=0, validation_alias=_env("OM_DECAY_INTERVAL_MINUTES"), description="Decay job period (0=off)."
    )
    prune_interval_minutes: float = Field(
        10080, ge=0, validation_alias=_env("OM_PRUNE_INTERVAL_MINUTES"), description="Waypoint prune period."
    )
    auto_reflect: bool = Field(
        False, validation_alias=_env("OM_AUTO_REFLECT"), description="Run the per-user reflection job."
    )
    reflect_interval: float = Field(
        10, ge=0, validation_alias=_env("OM_REFLECT_INTERVAL"), description="Reflection job period (minutes)."
    )
    user_summary_interval: float = Field(
        30, ge=0, validation_alias=_env("OM_USER_SUMMARY_INTERVAL"), description="Summary refresh (minutes)."
    )

    @field_validator("pg_schema", "pg_table", "vector_table")
    @classmethod
    def _safe_identifier(cls, value: str | None) -> str | None:
        if value is not None and not _IDENTIFIER.match(value):
            raise ValueError(f"unsafe SQL identifier {value!r}: must match {_IDENTIFIER.pattern}")
        return value

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment once; a bad value raises ConfigError naming the variable."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as exc:
            raise _config_error(exc) from None

    def replace(self, **changes: object) -> Settings:
        """A copy with ``changes`` applied and validated like any other value (the environment is not re-read).

        Raises ConfigError naming the variable, exactly as ``load`` does.
        """
        try:
            copy = type(self).model_validate({**self.model_dump(exclude_unset=True), **changes})
        except ValidationError as exc:
            raise _config_error(exc) from None
        return copy

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Settings:
        """pydantic's copy, but an ``update`` is validated (pydantic would store it unchecked): see ``replace``."""
        if update:
            return self.replace(**update)
        return super().model_copy(deep=deep)


def _config_error(exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = str(first["loc"][0]) if first["loc"] else "?"
    return ConfigError(f"{_variable_name(loc)}: {first['msg']} (got {first.get('input')!r})")


def _variable_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return field_or_alias.upper()
