"""The semantic NLU engine: all-MiniLM-L6-v2 sentence embeddings and a linear classifier.

Trained from the same Rasa-format `nlu_data/` as the other engines: every example is embedded
and a multinomial logistic regression (numpy, L2-regularised) learns the intents. Meaning, not
wording, decides: "I need to push my visit to next week" lands near "reschedule my
appointment" although it shares no word with it. Entities (names, dates, times, phone numbers,
the domain's lookup tables) come from the embedded spaCy pipeline, as with Rasa.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from receptionist.config.nlu_data import TrainingData
from receptionist.core.errors import NluModelMissing
from receptionist.core.events import NluResult
from receptionist.nlu.minilm import MiniLM, trained_on
from receptionist.nlu.spacy_engine import SpacyNlu, _digest

L2 = 1e-4
STEPS = 600
RATE = 2.0


def fit(x: np.ndarray, y: np.ndarray, classes: int, *, l2: float = L2, steps: int = STEPS,
        rate: float = RATE) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch gradient descent with momentum."""
    weights = np.zeros((classes, x.shape[1]), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    target = np.eye(classes, dtype=np.float32)[y]
    vw, vb = np.zeros_like(weights), np.zeros_like(bias)
    for _ in range(steps):
        p = softmax(x @ weights.T + bias)
        grad = (p - target) / len(x)
        gw, gb = grad.T @ x + l2 * weights, grad.sum(0)
        vw, vb = 0.9 * vw + gw, 0.9 * vb + gb
        weights, bias = weights - rate * vw, bias - rate * vb
    return weights, bias


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def train(data: TrainingData, out_dir: Path, encoder: MiniLM | None = None,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Embed the training examples, fit the classifier, write `classifier.npz` and meta."""
    started = time.perf_counter()
    encoder = encoder or MiniLM()
    intents = sorted({e.intent for e in data.examples})
    x = encoder.embed([e.text for e in data.examples])
    y = np.array([intents.index(e.intent) for e in data.examples])
    if progress:
        progress(f"embedded {len(x)} examples in {time.perf_counter() - started:.1f} s")
    weights, bias = fit(x, y, len(intents))
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "classifier.npz", weights=weights, bias=bias)
    accuracy = float((softmax(x @ weights.T + bias).argmax(1) == y).mean())
    meta = {"engine": "minilm", "encoder": encoder.backend, "intents": intents, "examples": len(x),
            "train_accuracy": round(accuracy, 4), "data_sha256": _digest(data),
            "seconds": round(time.perf_counter() - started, 1)}
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


class SemanticNlu:
    """Intents by meaning (MiniLM + logistic regression), entities from the spaCy pipeline."""

    name = "minilm"

    def __init__(self, model_dir: Path, embedded: SpacyNlu,
                 encoder: MiniLM | None = None) -> None:
        if not (model_dir / "meta.json").exists():
            raise NluModelMissing(f"{model_dir} (run: receptionist nlu train --engine minilm)")
        self.meta = json.loads((model_dir / "meta.json").read_text())
        trained = np.load(model_dir / "classifier.npz")
        self.weights, self.bias = trained["weights"], trained["bias"]
        self.embedded, self.encoder = embedded, encoder or MiniLM()
        trained_on(self.meta.get("encoder", "numpy"), self.encoder, model_dir)
        self.synonyms = embedded.synonyms

    @property
    def intents(self) -> list[str]:
        """The intents this model knows."""
        return list(self.meta["intents"])

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """Every intent's probability for one embedded utterance."""
        p = softmax(self.weights @ vector + self.bias)
        return dict(zip(self.meta["intents"], (float(v) for v in p), strict=True))

    def parse(self, text: str, now: datetime | None = None) -> NluResult:
        """Classify the intent by meaning and extract normalised entities."""
        return self.parse_embedded(text, self.encoder.embed([text])[0], now)

    def parse_embedded(self, text: str, vector: np.ndarray,
                       now: datetime | None = None) -> NluResult:
        """`parse` for an utterance already embedded (the safety net shares the vector)."""
        doc = self.embedded.base(text)
        ranking = sorted(self.scores(vector).items(), key=lambda kv: kv[1], reverse=True) \
            if text.strip() else []
        intent, confidence = ranking[0] if ranking else (None, 0.0)
        return NluResult(text=text, intent=intent, confidence=round(confidence, 4),
                         entities=tuple(self.embedded.entities(doc, now)), engine=self.name,
                         ranking=tuple((k, round(v, 4)) for k, v in ranking[:5]))
