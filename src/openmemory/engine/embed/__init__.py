"""Embedders: text to unit vectors. ``open_embedder(settings)`` picks one from ``OM_EMBEDDINGS``.

    minilm     MiniLMEmbedder      local all-MiniLM-L6-v2 int8 ONNX, 384 dimensions (default)
    synthetic  SyntheticEmbedder   upstream's deterministic hashed features, OM_VEC_DIM dimensions
    openai     OpenAIEmbedder      any OpenAI-compatible /embeddings endpoint
    ollama     OllamaEmbedder      a local Ollama server

Modules are imported only for the embedder that is opened, and models load on first use.
"""

from __future__ import annotations

from openmemory.config import Settings
from openmemory.engine.embed.base import Embedder, Vectors, l2_normalise
from openmemory.errors import ConfigError, OutboundRefused
from openmemory.outbound import OutboundPolicy

__all__ = ["Embedder", "Vectors", "l2_normalise", "open_embedder"]

_OPENAI_HOST = "api.openai.com"


def open_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings.embeddings`` names; nothing is loaded or contacted yet.

    Raises ConfigError when the choice cannot work as configured (OpenAI without a key, a URL on a private
    address not listed in OM_OUTBOUND_ALLOW), and EmbedderError when a piece it needs is not installed.
    """
    kind = settings.embeddings
    timeout_s = settings.embed_timeout_ms / 1000
    policy = OutboundPolicy.parse(
        settings.outbound_allow, max_response_bytes=settings.outbound_max_bytes, timeout_s=timeout_s
    )
    if kind == "synthetic":
        from openmemory.engine.embed.synthetic import SyntheticEmbedder

        return SyntheticEmbedder(settings.vec_dim)
    if kind == "minilm":
        from openmemory.engine.embed.minilm import MiniLMEmbedder

        return MiniLMEmbedder(threads=settings.embed_threads or None)
    if kind == "openai":
        from openmemory.engine.embed.openai_compat import OpenAIEmbedder

        if settings.openai_api_key is None and _OPENAI_HOST in settings.openai_base_url:
            raise ConfigError(
                "OM_OPENAI_API_KEY: required when OM_EMBEDDINGS=openai uses api.openai.com "
                "(or point OM_OPENAI_BASE_URL at a compatible server that needs no key)"
            )
        _check_url(policy, settings.openai_base_url, "OM_OPENAI_BASE_URL")
        return OpenAIEmbedder(
            policy=policy,
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            dimensions=settings.openai_dimensions,
            timeout_s=timeout_s,
        )
    if kind == "ollama":
        from openmemory.engine.embed.ollama import OllamaEmbedder

        _check_url(policy, settings.ollama_url, "OM_OLLAMA_URL")
        return OllamaEmbedder(url=settings.ollama_url, model=settings.ollama_model, timeout_s=timeout_s, policy=policy)
    raise ConfigError(f"OM_EMBEDDINGS: unknown embedder {kind!r} (got {kind!r})")


def _check_url(policy: OutboundPolicy, url: str, setting: str) -> None:
    """Fail at start-up, naming the setting, when the configured URL is a private address not allowed
    (a local Ollama is a fine choice, but an explicit one: OM_OUTBOUND_ALLOW=localhost)."""
    try:
        policy.check_literal(url, setting)
    except OutboundRefused as exc:
        raise ConfigError(str(exc)) from None
