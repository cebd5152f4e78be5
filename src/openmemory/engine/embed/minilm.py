"""MiniLMEmbedder: all-MiniLM-L6-v2 (384 dimensions) as an int8 ONNX model, run by onnxruntime on CPU.

The model file (``data/minilm-l6-v2-dq8.onnx``) and the WordPiece tokenizer (``data/tokenizer.json``) ship
with this package (Apache-2.0, see ``data/NOTICE``; ``tools/derive_minilm.py`` rebuilds the model from its
source); the model is checked against a pinned sha256 before it is run. Nothing is downloaded at run time.
Its matrix products run in int8 (weights int8 per output column, activations quantised per product at run
time). Pooling is sentence-transformers' mean over the attention mask, then L2 normalisation, as the model
was trained.

Every text runs on its own, on one onnxruntime thread: no padding, and a text's vector does not depend on
which other texts were embedded with it (activations are quantised over the whole input, so in a padded
batch they would). Many texts run on ``threads`` Python threads at once (onnxruntime releases the GIL);
measured on 2 vCPUs this embeds as fast as padded batches of 64 on two intra-op threads, and one question
costs 2 ms of CPU instead of 3 on two threads (docs/benchmarks.md, "The embedding model").
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.errors import EmbedderError
from openmemory.heap import release_free_memory

if TYPE_CHECKING:
    from onnxruntime import InferenceSession  # type: ignore[import-untyped]
    from tokenizers import Tokenizer

MODEL_FILE = "data/minilm-l6-v2-dq8.onnx"
MODEL_SHA256 = "9e80251537633bab7d98c9a4f07070371d83f1d28e6994a1f5d93c53de3c5454"
DIM = 384
# sentence-transformers' max_seq_length for this model; longer texts are truncated.
MAX_TOKENS = 256
PARALLEL_AFTER = 4  # fewer texts than this run one after another on the calling thread

_log = logging.getLogger("openmemory.embed")


@dataclass(frozen=True, slots=True)
class _Loaded:
    session: InferenceSession  # one intra-op thread; safe to run from several threads at once
    tokenizer: Tokenizer
    with_token_types: bool


def default_model_path() -> Path:
    """The model file shipped inside this package."""
    return Path(str(resources.files(__package__).joinpath(MODEL_FILE)))


class MiniLMEmbedder:
    """Local sentence embeddings, loaded on first use (about 0.3 s) and safe to share across threads.

    ``model_path`` defaults to the file shipped in this package; whichever file is used must match the
    pinned sha256, otherwise loading raises EmbedderError. ``threads`` is the intra-op thread count for
    batches (single texts always run on one).
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        self._max_tokens = max_tokens
        self._threads = max(1, threads if threads is not None else min(4, os.cpu_count() or 1))
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def name(self) -> str:
        return "minilm-l6-v2-int8"

    @property
    def dim(self) -> int:
        return DIM

    def load(self) -> None:
        """Load the model now instead of on the first embed (for example at server start-up)."""
        self._ensure_loaded()

    def embed(self, texts: Sequence[str], *, sector: str | None = None) -> Vectors:
        """One unit vector per text, in input order; ``sector`` is ignored (one vector space for every sector)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        loaded = self._ensure_loaded()
        if len(texts) < PARALLEL_AFTER or self._threads == 1:
            rows = [self._run(loaded, text) for text in texts]
        else:
            rows = list(self._thread_pool().map(lambda text: self._run(loaded, text), texts))
        return l2_normalise(np.stack(rows))

    def embed_query(self, text: str) -> Vectors:
        """The vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def embed_words(self, words: Sequence[str]) -> Vectors:
        """Words run one at a time like any text (~1.3 ms of CPU each, however short): in a padded batch the
        int8 activations are quantised over the whole batch, so a word's vector would depend on the words
        embedded with it, and through a shared word cache on other users' vocabularies."""
        return self.embed(words)

    def close(self) -> None:
        """Stop the worker threads of batch embedding (they start again on the next batch)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _thread_pool(self) -> ThreadPoolExecutor:
        pool = self._pool
        if pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="om-embed")
                pool = self._pool
        return pool

    def _run(self, loaded: _Loaded, text: str) -> Vectors:
        """The mean-pooled (not yet normalised) output of one text."""
        ids = np.array([loaded.tokenizer.encode(text).ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if loaded.with_token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        try:
            (hidden,) = loaded.session.run(["last_hidden_state"], feeds)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderError(f"MiniLM inference failed on a text of {ids.shape[1]} tokens: {exc}") from exc
        pooled: Vectors = np.asarray(hidden[0], dtype=np.float32).mean(axis=0)
        return pooled

    def _ensure_loaded(self) -> _Loaded:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def _load(self) -> _Loaded:
        started = time.perf_counter()
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderError(
                f"the MiniLM embedder needs onnxruntime and tokenizers ({exc.name} is missing): "
                f"run `pip install onnxruntime tokenizers`, or set OM_EMBEDDINGS=synthetic"
            ) from None
        path = self._model_path if self._model_path is not None else default_model_path()
        model_bytes = _read_verified(path)

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # parallelism comes from running several texts at once
        options.inter_op_num_threads = 1
        # No busy-waiting between runs: spinning threads steal the cores that vector search and SQLite need
        # right after an embedding (measured: query p50 at 100k memories 28 ms -> see docs/benchmarks.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            # Built from the verified bytes, so the file cannot change between the check and the load.
            session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderError(f"onnxruntime could not load the MiniLM model {path}: {exc}") from exc
        del model_bytes
        release_free_memory()  # building the session leaves tens of MB of freed blocks in the heap
        input_names = frozenset(i.name for i in session.get_inputs())
        output_names = {o.name for o in session.get_outputs()}
        if not {"input_ids", "attention_mask"} <= input_names or "last_hidden_state" not in output_names:
            raise EmbedderError(
                f"unexpected MiniLM model signature in {path}: inputs {sorted(input_names)}, "
                f"outputs {sorted(output_names)}"
            )
        tokenizer = Tokenizer.from_str(
            resources.files(__package__).joinpath("data/tokenizer.json").read_text(encoding="utf-8")
        )
        tokenizer.enable_truncation(max_length=self._max_tokens)
        tokenizer.no_padding()
        _log.info(
            "loaded MiniLM embedder from %s in %.2f s (%d threads for batches)",
            path, time.perf_counter() - started, self._threads,
        )  # fmt: skip
        return _Loaded(session=session, tokenizer=tokenizer, with_token_types="token_type_ids" in input_names)


def _read_verified(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EmbedderError(
            f"cannot read the MiniLM model {path}: {exc.strerror}; reinstall openmemory-py, "
            f"or set OM_EMBEDDINGS=synthetic"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise EmbedderError(
            f"the MiniLM model {path} has sha256 {digest}, expected {MODEL_SHA256}; the file is corrupt "
            f"or not the pinned model: reinstall it with `pip install --force-reinstall openmemory-py`"
        )
    return data
