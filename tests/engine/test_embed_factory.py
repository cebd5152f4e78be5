from __future__ import annotations

import pytest

from openmemory.config import Settings
from openmemory.engine.embed import open_embedder
from openmemory.engine.embed.minilm import MiniLMEmbedder
from openmemory.engine.embed.ollama import OllamaEmbedder
from openmemory.engine.embed.openai_compat import OpenAIEmbedder
from openmemory.engine.embed.synthetic import SyntheticEmbedder
from openmemory.errors import ConfigError


def test_synthetic_uses_vec_dim() -> None:
    embedder = open_embedder(Settings.load(embeddings="synthetic", vec_dim=64))
    assert isinstance(embedder, SyntheticEmbedder)
    assert (embedder.name, embedder.dim) == ("synthetic-64", 64)


def test_minilm_is_the_default_and_opens_without_loading() -> None:
    embedder = open_embedder(Settings.load(embeddings="minilm"))
    assert isinstance(embedder, MiniLMEmbedder)
    assert embedder._loaded is None
    assert (embedder.name, embedder.dim) == ("minilm-l6-v2-int8", 384)


def test_openai_needs_a_key_for_api_openai_com() -> None:
    with pytest.raises(ConfigError, match="OM_OPENAI_API_KEY"):
        open_embedder(Settings.load(embeddings="openai", openai_api_key=None))


def test_openai_compatible_server_without_key_is_allowed() -> None:
    settings = Settings.load(
        embeddings="openai",
        openai_base_url="http://127.0.0.1:1/v1",
        openai_model="bge-m3",
        openai_dimensions=32,
        outbound_allow="127.0.0.1",
    )
    embedder = open_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedder)
    assert (embedder.name, embedder.dim) == ("openai:bge-m3", 32)
    embedder.close()


def test_ollama_is_named_after_its_model() -> None:
    settings = Settings.load(embeddings="ollama", ollama_model="mxbai-embed-large", outbound_allow="localhost")
    embedder = open_embedder(settings)
    assert isinstance(embedder, OllamaEmbedder)
    assert embedder.name == "ollama:mxbai-embed-large"
    embedder.close()
