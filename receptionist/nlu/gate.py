"""Retraining behind a gate: a new model replaces the current one only if it is no worse.

Both models are scored on the held-out data (intent accuracy on `nlu_data/test/`, and recall of
every always-escalate category on `nlu_data/heldout/`); a candidate that loses accuracy, or
misses even one more case of any always-escalate category, is refused and the current model
stays.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from receptionist.core.escalation import EscalationMatrix
from receptionist.nlu.evaluate import evaluate, evaluate_escalation
from receptionist.nlu.minilm import MiniLM
from receptionist.nlu.safety import Guarded, SafetyNet
from receptionist.nlu.semantic_engine import SemanticNlu
from receptionist.nlu.spacy_engine import SpacyNlu


def score(model_dir: Path, embedded: SpacyNlu, encoder: MiniLM, nlu_data: Path,
          matrix: EscalationMatrix) -> dict[str, Any]:
    """Held-out accuracy and per-category always-escalate recall of one trained model."""
    engine = Guarded(SemanticNlu(model_dir, embedded, encoder), SafetyNet(model_dir, encoder))
    accuracy = evaluate(engine, nlu_data / "test")["accuracy"]
    escalation = evaluate_escalation(engine, matrix, nlu_data / "heldout")
    return {"accuracy": accuracy,
            "recall": {k: v["to_a_person"] for k, v in escalation["categories"].items()},
            "false_escalations": escalation["false_escalations"]}


def judge(current: dict[str, Any], candidate: dict[str, Any]) -> list[str]:
    """Why the candidate is worse (empty: it may replace the current model)."""
    reasons = []
    if candidate["accuracy"] < current["accuracy"]:
        reasons.append(f"intent accuracy falls from {current['accuracy']:.1%} to "
                       f"{candidate['accuracy']:.1%}")
    for name, caught in current["recall"].items():
        if candidate["recall"].get(name, 0) < caught:
            reasons.append(f"{name}: catches {candidate['recall'].get(name, 0)} held-out cases "
                           f"instead of {caught}")
    return reasons


def install(candidate: Path, target: Path) -> None:
    """Put the accepted model in place of the current one."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(candidate, target)
