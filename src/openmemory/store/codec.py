"""Vector bytes as upstream stores them: packed float32, little-endian, no header."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
_LE_F32 = np.dtype("<f4")


def encode_vector(vector: npt.ArrayLike) -> bytes:
    """Pack a vector as float32 little-endian bytes (4 bytes per component)."""
    return np.asarray(vector, dtype=_LE_F32).tobytes()


def decode_vector(blob: bytes) -> Vector:
    """Unpack float32 little-endian bytes into a native float32 array."""
    return np.frombuffer(blob, dtype=_LE_F32).astype(np.float32)
