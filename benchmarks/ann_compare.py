"""Side-by-side: approximate nearest-neighbour libraries on this project's kind of vectors (issue 15).

    python benchmarks/ann_compare.py --n 100000 --queries 300 [--libs exact,usearch-f32,...] [--json out.json]
    python benchmarks/ann_compare.py --n 100000 --libs usearch-f32-ea128-es128,usearch-f32-ea64-es256  # build cost

Vectors: as ``opm bench latency`` loads its database: 2,000 real MiniLM int8 (the default embedder) embeddings of
generated sentences, the rest mixtures of an embedded pool (two pool sentences plus noise). Queries are real MiniLM
embeddings of the benchmark's questions; their neighbours are mostly among the real sentences, which is what makes
partition-based indexes (IVF) probe many lists. Each library runs in its own process (a clean resident-memory
figure): build time, the added resident memory, single-query latency for the engine's candidate pool (k = 100)
and recall@10 / recall@100 of that pool against the exact scan.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

BUILD_CHUNK = 0  # --build-chunk: usearch adds this many rows per call (0: all at once)
BUILD_THREADS = 1  # --build-threads: usearch builds on this many threads (0: all cores)
REAL = 2000  # real sentence embeddings among the vectors; the rest are mixtures of an embedded pool


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_data(n: int, queries: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    from openmemory.bench.latency import _NAMES, _PLACES, sentence
    from openmemory.config import Settings
    from openmemory.engine.embed import open_embedder

    cache = Path(f"/tmp/ann-compare-{n}-{queries}-{seed}-r{REAL}.npz")
    if cache.exists():
        data = np.load(cache)
        return data["base"], data["queries"]
    rng = random.Random(seed)
    embedder = open_embedder(Settings.load())
    real = embedder.embed([sentence(rng) for _ in range(min(n, REAL))])  # as opm bench latency's add_many part
    pool = embedder.embed([sentence(rng) for _ in range(512)])
    np_rng = np.random.default_rng(seed)
    a = np_rng.integers(0, len(pool), size=n - len(real))
    b = np_rng.integers(0, len(pool), size=n - len(real))
    mixed = pool[a] + 0.5 * pool[b] + 0.05 * np_rng.standard_normal((len(a), pool.shape[1])).astype(np.float32)
    base = np.vstack([real, mixed / np.linalg.norm(mixed, axis=1, keepdims=True)])
    qs = embedder.embed([f"What did {rng.choice(_NAMES)} do in {rng.choice(_PLACES)}?" for _ in range(queries)])
    np.savez(cache, base=base.astype(np.float32), queries=qs.astype(np.float32))
    return base.astype(np.float32), qs.astype(np.float32)


_KEEP: list[Any] = []


def ivf_lists(n: int) -> int:
    """About 4 * sqrt(n) inverted lists (faiss's rule of thumb), a power of two."""
    return int(2 ** round(np.log2(max(16.0, 4 * np.sqrt(n)))))


def ivf_probes(lists: int) -> int:
    return max(8, lists // 16)


def build(lib: str, base: np.ndarray) -> Any:
    n, dim = base.shape
    if lib == "exact":
        return base
    if lib.startswith("usearch"):
        from usearch.index import Index

        # usearch-<dtype>[-ea<expansion_add>][-es<expansion_search>][-co<connectivity>], e.g. usearch-f32-ea64-es256
        # (the engine's graph); -co32 doubles the links per node; -rs<N> asks the graph for N candidates and
        # re-scores them exactly in float32 (how the engine reads an int8 graph), keeping the first k
        dtype, *extra = lib.split("-")[1:]
        # -cos: cosine instead of inner product (usearch normalises quantised vectors again)
        opts = {part[:2]: int(part[2:]) for part in extra if part[2:].isdigit()}
        index = Index(
            ndim=dim, metric="cos" if "cos" in extra else "ip", dtype=dtype, connectivity=opts.get("co", 16),
            expansion_add=opts.get("ea", 128), expansion_search=opts.get("es", 128),
        )  # fmt: skip
        step = BUILD_CHUNK or n  # the engine's background build adds 10,000 rows at a time on all cores
        for start in range(0, n, step):
            keys = np.arange(start, min(n, start + step), dtype=np.uint64)
            index.add(keys, base[start : start + step], threads=BUILD_THREADS)
        return index
    if lib.startswith("faiss-ivf"):
        import faiss

        faiss.omp_set_num_threads(1)
        lists = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(dim)
        if lib == "faiss-ivf-flat":
            index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
        sample = base[np.random.default_rng(1).permutation(n)[: min(n, 64 * lists)]]
        index.train(sample)
        index.add(base)
        index.nprobe = ivf_probes(lists)
        _KEEP.append(quantizer)  # the index does not own it
        return index
    if lib.startswith("faiss"):
        import faiss

        faiss.omp_set_num_threads(1)
        if lib == "faiss-hnsw-f32":
            index = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, 16, faiss.METRIC_INNER_PRODUCT)
            index.train(base)
        index.hnsw.efConstruction = 128
        index.add(base)
        index.hnsw.efSearch = 128
        return index
    if lib == "hnswlib":
        import hnswlib

        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=n, ef_construction=128, M=16)
        index.set_num_threads(1)
        index.add_items(base, np.arange(n))
        index.set_ef(128)
        return index
    raise SystemExit(f"unknown library {lib}")


def search(lib: str, index: Any, base: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    if lib == "exact":
        scores = base @ q
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top])]
    if lib.startswith("usearch"):
        pool = next((int(part[2:]) for part in lib.split("@")[0].split("-") if part.startswith("rs")), 0)
        keys = np.asarray(index.search(q, max(k, pool), threads=1).keys, dtype=np.int64)
        if not pool:
            return keys
        sims = base[keys] @ q
        return keys[np.argsort(-sims, kind="stable")[:k]]
    if lib.startswith("faiss"):
        _, ids = index.search(q.reshape(1, -1), k)
        return ids[0]
    labels, _ = index.knn_query(q.reshape(1, -1), k=k)
    return labels[0].astype(np.int64)


def run_one(lib: str, n: int, queries: int, k: int = 100, sweep: list[int] | None = None) -> list[dict[str, Any]]:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    base, qs = make_data(n, queries)
    exact = [search("exact", base, base, q, 100) for q in qs]
    before = rss_mb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    index = build(lib, base if lib != "exact" else base.copy())
    build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    added_mb = rss_mb() - before
    row = {
        "lib": lib, "n": n, "build_s": round(build_s, 2), "build_cpu_s": round(build_cpu_s, 2),
        "added_rss_mb": round(added_mb, 1),
    }  # fmt: skip
    if not sweep:
        return [row | measure(lib, index, base, qs, exact, k)]
    rows = []
    for es in sweep:  # the same graph searched at each expansion (usearch only)
        index.expansion_search = es
        rows.append(row | {"lib": f"{lib}@es{es}"} | measure(lib, index, base, qs, exact, k))
    return rows


def measure(lib: str, index: Any, base: np.ndarray, qs: np.ndarray, exact: list[np.ndarray], k: int) -> dict[str, Any]:
    """Single-query wall and CPU time, and recall@10 / recall@100 of ``k`` results against the exact scan."""
    times, cpu, r10, r100 = [], [], [], []
    for q, truth in zip(qs, exact, strict=True):
        t0, c0 = time.perf_counter(), time.process_time()
        got = search(lib, index, base, q, k)  # recall@10 is of its first 10, recall@100 of up to 100
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        r10.append(len(set(got[:10].tolist()) & set(truth[:10].tolist())) / 10)
        r100.append(len(set(got.tolist()) & set(truth[: len(got)].tolist())) / min(100, max(1, len(got))))
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 3), "p95_ms": round(cuts[94], 3), "cpu_ms": round(statistics.fmean(cpu), 3),
        "recall@10": round(float(np.mean(r10)), 4), "recall@100": round(float(np.mean(r100)), 4),
    }  # fmt: skip


def main() -> None:
    global REAL, BUILD_THREADS, BUILD_CHUNK
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--libs", default="exact,faiss-ivf-flat,faiss-ivf-sq8,usearch-f16,usearch-i8,faiss-hnsw-f32,hnswlib"
    )
    parser.add_argument("--k", type=int, default=100, help="results per search (the engine asks for its pool)")
    parser.add_argument("--real", type=int, default=REAL, help="real sentence embeddings among the vectors")
    parser.add_argument(
        "--es-sweep", default="", help="usearch: comma-separated search expansions, each measured on one build"
    )
    parser.add_argument("--build-threads", type=int, default=1, help="usearch build threads (0: all cores)")
    parser.add_argument("--build-chunk", type=int, default=0, help="usearch: rows added per call (0: all at once)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    REAL, BUILD_THREADS, BUILD_CHUNK = args.real, args.build_threads, args.build_chunk
    sweep = [int(x) for x in args.es_sweep.split(",") if x]
    if args.one:
        for row in run_one(args.one, args.n, args.queries, args.k, sweep if args.one.startswith("usearch") else None):
            print(json.dumps(row))
        return
    make_data(args.n, args.queries)  # once, cached for the children
    rows = []
    for lib in args.libs.split(","):
        cmd = [sys.executable, __file__, "--one", lib, "--n", str(args.n), "--queries", str(args.queries)]
        cmd += ["--k", str(args.k), "--real", str(args.real), "--build-threads", str(args.build_threads)]
        cmd += ["--build-chunk", str(args.build_chunk)]
        cmd += ["--es-sweep", args.es_sweep] if args.es_sweep else []
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{lib}: failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        for line in out.stdout.strip().splitlines():
            if line.startswith("{"):
                row = json.loads(line)
                rows.append(row)
                print(" | ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
