"""Read a GGUF file: its metadata, its tokenizer fields and its tensors, dequantized to float32.

GGUF (llama.cpp's format) stores a list of typed key/value fields followed by the tensors.
A 2-D weight with GGUF shape ``[n_in, n_out]`` is laid out row-major as ``(n_out, n_in)``,
so ``y = x @ W.T`` where ``W`` is the array read here (the same orientation as PyTorch's
``nn.Linear.weight``). Q4_1 and Q8_0 blocks are dequantized by ``gguf.quants.dequantize``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize

# Q4_1: 32 weights per block, stored as f16 scale d, f16 minimum m, then 16 bytes of nibbles;
# weight = d · q + m with q in 0..15. Byte j holds q[j] (low nibble) and q[j + 16] (high nibble).
Q4_1_BLOCK = 32
Q4_1_BYTES = 20


@dataclass(frozen=True)
class GGUFContents:
    """Everything the engine needs from one GGUF file, read once.

    ``metadata``: scalar fields (``llama.block_count`` → 30, …); ``tokens``/``merges``/
    ``token_types``: the tokenizer's vocabulary (id order), BPE merges (``"a b"``, rank order)
    and llama.cpp token types (1 normal, 3 control); ``tensors``: name → float32 array,
    shaped ``(n_out, n_in)`` for matrices and ``(n,)`` for norms.
    """

    path: Path
    metadata: dict[str, object]
    tokens: list[str]
    merges: list[str]
    token_types: list[int]
    tensors: dict[str, np.ndarray]

    @property
    def parameter_count(self) -> int:
        """Exact number of weights, from the tensor shapes (tied head counted once)."""
        return int(sum(int(np.prod(t.shape)) for t in self.tensors.values()))


@dataclass(frozen=True)
class Config:
    """A Llama-style architecture, read from the GGUF metadata (``<arch>.*`` keys)."""

    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    vocab_size: int
    context_length: int
    rope_base: float
    rms_eps: float

    @classmethod
    def from_metadata(cls, meta: dict, vocab_size: int) -> "Config":
        arch = meta["general.architecture"]
        n_heads = int(meta[f"{arch}.attention.head_count"])
        d_model = int(meta[f"{arch}.embedding_length"])
        return cls(
            n_layers=int(meta[f"{arch}.block_count"]), d_model=d_model, n_heads=n_heads,
            n_kv_heads=int(meta[f"{arch}.attention.head_count_kv"]),
            head_dim=int(meta.get(f"{arch}.rope.dimension_count", d_model // n_heads)),
            d_ff=int(meta[f"{arch}.feed_forward_length"]),
            vocab_size=int(meta.get(f"{arch}.vocab_size", vocab_size)),
            context_length=int(meta[f"{arch}.context_length"]),
            rope_base=float(meta[f"{arch}.rope.freq_base"]),
            rms_eps=float(meta[f"{arch}.attention.layer_norm_rms_epsilon"]),
        )

    @property
    def group_size(self) -> int:
        """Query heads per key/value head (grouped-query attention): 9 / 3 = 3."""
        return self.n_heads // self.n_kv_heads


_ARRAYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type")


def _metadata(reader: GGUFReader) -> dict[str, object]:
    """Scalar and string fields (long arrays such as the vocabulary are read separately)."""
    out: dict[str, object] = {}
    for key, field in reader.fields.items():
        if key in _ARRAYS or key.startswith("GGUF."):
            continue
        out[key] = field.contents()
    return out


def read_gguf(path: Path) -> GGUFContents:
    """Parse ``path`` and dequantize every tensor to a contiguous float32 array (~0.5 GB)."""
    reader = GGUFReader(path)
    tensors: dict[str, np.ndarray] = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type)
        shape = tuple(int(n) for n in reversed(t.shape))  # GGUF lists the fastest axis first
        # F32 tensors come back as views of the memory-mapped file: copy those, or the
        # whole 98 MB file would stay mapped (and counted in RSS) for as long as they live.
        copy = np.may_share_memory(values, t.data)
        tensors[t.name] = np.array(values.reshape(shape), dtype=np.float32, order="C", copy=copy)
    return GGUFContents(
        path=path,
        metadata=_metadata(reader),
        tokens=list(reader.fields["tokenizer.ggml.tokens"].contents()),
        merges=list(reader.fields["tokenizer.ggml.merges"].contents()),
        token_types=[int(x) for x in reader.fields["tokenizer.ggml.token_type"].contents()],
        tensors=tensors,
    )


def gguf_index(path: Path) -> dict:
    """Name → memory-mapped GGUF tensor. Parsing the file takes about 3 s, so the index
    is kept by its one owner, :meth:`app.engine.Models.gguf_tensors`."""
    return {t.name: t for t in GGUFReader(path).tensors}


def q4_1_block_count(tensor) -> int:
    """How many 32-weight blocks a Q4_1 tensor stores (rows × blocks per row)."""
    return int(tensor.shape[0]) // Q4_1_BLOCK * int(np.prod(tensor.shape[1:]))


def read_q4_1_block(tensors: Mapping, tensor_name: str, block_index: int) -> dict:
    """One raw Q4_1 block of ``tensor_name`` in ``tensors`` (a :func:`gguf_index`): its 32
    4-bit codes, scale ``d`` and minimum ``m``.

    ``block_index`` counts blocks in storage order (row by row, 32 columns per block).
    Returns ``{"tensor", "block_index", "row", "first_column", "d", "m", "codes", "values"}``
    where ``values[i] = d · codes[i] + m`` (float32, as llama.cpp computes them).
    """
    tensor = tensors.get(tensor_name)
    if tensor is None:
        raise KeyError(f"no tensor named {tensor_name!r} in the GGUF file")
    if tensor.tensor_type != GGMLQuantizationType.Q4_1:
        raise ValueError(f"{tensor_name} is {tensor.tensor_type.name}, not Q4_1")
    blocks_per_row = int(tensor.shape[0]) // Q4_1_BLOCK
    n_blocks = q4_1_block_count(tensor)
    if not 0 <= block_index < n_blocks:
        raise IndexError(f"block_index must be in 0..{n_blocks - 1} for {tensor_name}")
    row, col_block = divmod(block_index, blocks_per_row)
    raw = np.asarray(tensor.data[row, col_block * Q4_1_BYTES:(col_block + 1) * Q4_1_BYTES])
    d, m = raw[:4].view(np.float16).astype(np.float32)
    nibbles = raw[4:]
    codes = np.concatenate([nibbles & 0x0F, nibbles >> 4]).astype(np.int64)
    values = d * codes.astype(np.float32) + m
    return {
        "tensor": tensor_name, "block_index": block_index, "row": row,
        "first_column": col_block * Q4_1_BLOCK, "d": float(d), "m": float(m),
        "codes": codes.tolist(), "values": values.astype(np.float32).tolist(),
    }
