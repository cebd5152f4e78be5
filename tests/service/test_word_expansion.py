"""Vocabulary expansion (OM_WORD_EXPANSION): a question finds a memory written in other words, drawing the other
words only from the asking owner's own memories (engine/expand.py, store/vocabulary.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from openmemory.config import Settings
from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.engine.embed.synthetic import SyntheticEmbedder
from openmemory.engine.expand import QUERY_WORDS
from openmemory.engine.retrieve import retrieve
from openmemory.memory import Memory
from tests.service.conftest import Clock
from tests.store.pg import PG_SERVERS, throwaway_schema

DIM = 64
_rng = np.random.default_rng(7)
_CHARITY = _rng.standard_normal(DIM)
# Words the "model" finds close to "charity" (cosine ~0.8), and one it does not.
CLOSE = {"charity": _CHARITY, "volunteered": _CHARITY + 0.7 * _rng.standard_normal(DIM)}


class WordModel:
    """The synthetic embedder, except that a few single words get vectors that say which ones are close."""

    def __init__(self) -> None:
        self.inner = SyntheticEmbedder(dim=DIM)
        self.words_embedded: list[str] = []

    @property
    def name(self) -> str:
        return "word-model-test"

    @property
    def dim(self) -> int:
        return DIM

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        out = self.inner.embed(texts, sector=sector)
        for i, text in enumerate(texts):
            if " " not in text:
                self.words_embedded.append(text)
            if text in CLOSE:
                out[i] = l2_normalise(CLOSE[text][None, :])[0]
        return out

    def embed_words(self, words: Sequence[str]) -> Vectors:
        return self.embed(words)

    def embed_query(self, text: str) -> Vectors:
        return self.inner.embed_query(text)


class HeldFill(WordModel):
    """A word model whose background fill waits until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def embed_words(self, words: Sequence[str]) -> Vectors:
        if threading.current_thread() is not threading.main_thread():
            assert self.release.wait(30)
        return super().embed_words(words)


def _memory(path: Path, *, expansion: bool, model: WordModel | None = None) -> Memory:
    settings = Settings.load(embeddings="synthetic", word_expansion=expansion)
    return Memory(path, settings=settings, embedder=model or WordModel(), clock=Clock())


@pytest.fixture
def on(tmp_path: Path) -> Iterator[Memory]:
    with _memory(tmp_path / "on.sqlite", expansion=True) as memory:
        yield memory


DISTRACTORS = ["the kettle needs descaling", "bought new running shoes", "the train was late again"]


def _fill(memory: Memory, user_id: str, texts: list[str]) -> list[str]:
    return [memory.add(t, user_id=user_id).memory_id for t in texts]


def test_a_question_in_other_words_finds_the_memory_through_a_word_only_the_owner_wrote(on: Memory) -> None:
    (shelter,) = _fill(on, "alice", ["I volunteered at the shelter on Sunday"])
    _fill(on, "alice", DISTRACTORS)
    hits = on.query("charity", user_id="alice", k=2, reinforce=False)
    assert hits[0].memory.memory_id == shelter
    assert hits[0].parts.lexical > 0  # "charity" is nowhere in it: the match is "volunteered"


def test_with_the_setting_off_a_question_in_other_words_has_no_lexical_match(tmp_path: Path) -> None:
    with _memory(tmp_path / "off.sqlite", expansion=False) as off:
        _fill(off, "alice", ["I volunteered at the shelter on Sunday"])
        _fill(off, "alice", DISTRACTORS)
        hits = off.query("charity", user_id="alice", k=10, reinforce=False)
    assert all(h.parts.lexical == 0 for h in hits)


def test_setting_off_ranks_exactly_as_before_and_embeds_no_words(tmp_path: Path) -> None:
    model = WordModel()
    with _memory(tmp_path / "off.sqlite", expansion=False, model=model) as off:
        _fill(off, "alice", ["I volunteered at the shelter", *DISTRACTORS])
        model.words_embedded.clear()
        hits = off.query("charity at the shelter", user_id="alice", k=10, reinforce=False)
        assert model.words_embedded == []
        with off._store.session():
            plain = retrieve(
                off._store, off.embedder, "charity at the shelter", user_id="alice", k=10, where=None,
                now_ms=off._clock(),
            )  # fmt: skip
    assert [(h.memory.memory_id, h.score) for h in hits] == [(h.memory.memory_id, h.score) for h in plain]


def test_a_word_only_another_user_wrote_is_never_used_for_the_expansion(tmp_path: Path) -> None:
    """Alice's answers are the same whether or not bob wrote the close word; she gets no lexical match from it."""
    answers = []
    for crowded in (False, True):
        with _memory(tmp_path / f"{crowded}.sqlite", expansion=True) as memory:
            _fill(memory, "alice", ["I spent Sunday at the shelter", *DISTRACTORS])
            if crowded:
                _fill(memory, "bob", ["I volunteered at the shelter on Sunday", "volunteered again"])
                memory.query("charity", user_id="bob", k=3, reinforce=False)  # bob's vocabulary is embedded
            hits = memory.query("charity", user_id="alice", k=10, reinforce=False)
            answers.append([(h.memory.content, h.score, h.parts) for h in hits])
            assert all(h.parts.lexical == 0 for h in hits)
    assert answers[0] == answers[1]


def test_the_vocabulary_follows_an_update(on: Memory) -> None:
    (shelter,) = _fill(on, "alice", ["I volunteered at the shelter on Sunday"])
    _fill(on, "alice", DISTRACTORS)
    assert on.query("charity", user_id="alice", k=1, reinforce=False)[0].parts.lexical > 0
    on.update(shelter, user_id="alice", content="I spent Sunday at the shelter")
    assert all(h.parts.lexical == 0 for h in on.query("charity", user_id="alice", k=10, reinforce=False))
    on.update(shelter, user_id="alice", content="I volunteered again")
    assert on.query("charity", user_id="alice", k=1, reinforce=False)[0].memory.memory_id == shelter


def test_the_vocabulary_follows_a_delete(on: Memory) -> None:
    first, second = _fill(on, "alice", ["I volunteered at the shelter", "volunteered at the food bank"])
    _fill(on, "alice", DISTRACTORS)
    on.delete(first, user_id="alice")
    assert on.query("charity", user_id="alice", k=1, reinforce=False)[0].memory.memory_id == second
    on.delete(second, user_id="alice")
    assert all(h.parts.lexical == 0 for h in on.query("charity", user_id="alice", k=10, reinforce=False))


def test_question_words_are_embedded_in_one_call_and_only_once(tmp_path: Path) -> None:
    model = WordModel()
    with _memory(tmp_path / "calls.sqlite", expansion=True, model=model) as memory:
        _fill(memory, "alice", ["I volunteered at the shelter", *DISTRACTORS])
        memory.query("charity shelter", user_id="alice", k=3, reinforce=False)
        calls = len(model.words_embedded)
        memory.query("charity shelter", user_id="alice", k=3, reinforce=False)
        memory.query("shelter charity work", user_id="alice", k=3, reinforce=False)
    assert calls > 0
    assert model.words_embedded[calls:] == ["work"]  # cached by word: only the new one is embedded


@pytest.mark.slow
def test_the_real_model_finds_a_memory_asked_about_in_other_words(tmp_path: Path) -> None:
    settings = Settings.load(embeddings="minilm", word_expansion=True)
    with Memory(tmp_path / "minilm.sqlite", settings=settings, clock=Clock()) as memory:
        (pottery,) = _fill(memory, "alice", ["Took a pottery class with my sister"])
        _fill(memory, "alice", [*DISTRACTORS, "my sister called about the class reunion"])
        hits = memory.query("ceramics", user_id="alice", k=1, reinforce=False)
    assert hits[0].memory.memory_id == pottery and hits[0].parts.lexical > 0


def test_a_cold_owners_large_vocabulary_is_embedded_in_the_background_not_on_the_query(tmp_path: Path) -> None:
    """More than QUERY_WORDS words never embedded: the query embeds none of them and is answered without the
    expansion; once the background fill is done, the owner's whole vocabulary is used."""
    model = HeldFill()
    many = [f"entry{chr(97 + i)}{chr(97 + j)} logged" for i in range(10) for j in range(10)]
    with _memory(tmp_path / "cold.sqlite", expansion=True, model=model) as memory:
        (shelter,) = _fill(memory, "alice", ["I volunteered at the shelter on Sunday"])
        _fill(memory, "alice", many)
        assert len(memory._store.vocabulary(user_id="alice")) > QUERY_WORDS
        model.words_embedded.clear()
        first = memory.query("charity", user_id="alice", k=3, reinforce=False)
        assert all(h.parts.lexical == 0 for h in first)  # not expanded yet
        # The query embedded its own word (cached for later, before any connection is held) and none of the
        # owner's: those wait for the background fill, which is still held.
        assert model.words_embedded == ["charity"]
        model.release.set()
        assert memory.maintenance.warm_words("alice", 30)
        hits = memory.query("charity", user_id="alice", k=3, reinforce=False)
        assert hits[0].memory.memory_id == shelter and hits[0].parts.lexical > 0


def test_warm_up_has_the_preloaded_owners_words_embedded(tmp_path: Path) -> None:
    path = tmp_path / "warm.sqlite"
    with _memory(path, expansion=True) as memory:
        _fill(memory, "alice", ["I volunteered at the shelter on Sunday", *DISTRACTORS])
    model = WordModel()
    with _memory(path, expansion=True, model=model) as memory:
        assert memory.warm_up() == (1, 4)
        assert memory._expander is not None and memory._expander.wait_idle(30)
        assert "volunteered" in model.words_embedded
        model.words_embedded.clear()
        assert memory.query("charity", user_id="alice", k=1, reinforce=False)[0].parts.lexical > 0
        assert model.words_embedded == ["charity"]  # only the question's word: the owner's were embedded


def test_the_expansion_is_on_by_default() -> None:
    assert Settings.load(embeddings="synthetic").word_expansion


@pytest.mark.parametrize("url", PG_SERVERS)
def test_warm_up_has_the_preloaded_owners_words_embedded_on_postgresql(url: str) -> None:
    with throwaway_schema(url) as schema:
        settings = Settings.load(
            embeddings="synthetic", word_expansion=True, metadata_backend="postgres", pg_url=url, pg_schema=schema
        )
        with Memory(settings=settings, embedder=WordModel(), clock=Clock()) as memory:
            _fill(memory, "alice", ["I volunteered at the shelter on Sunday", *DISTRACTORS])
        model = WordModel()
        with Memory(settings=settings, embedder=model, clock=Clock()) as memory:
            assert memory.warm_up() == (1, 4)
            assert memory._expander is not None and memory._expander.wait_idle(30)
            assert "volunteered" in model.words_embedded
            assert memory.query("charity", user_id="alice", k=1, reinforce=False)[0].parts.lexical > 0
