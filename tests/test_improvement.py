"""The improvement loop: misunderstood turns are queued for review, accepted ones export as
Rasa-format examples, and retraining keeps a model only if it is no worse on held-out data."""

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import yaml

from receptionist.app import create_app
from receptionist.config.nlu_data import load_training_data
from receptionist.rollout import improvement
from receptionist.simulation.caller import Caller, flask_transport
from tests.conftest import KEYRING, TOKEN

ROOT = Path(__file__).resolve().parent.parent
MUDDLE = "the blue one with the thing from before"


def cli(args, env, **kwargs):
    return subprocess.run([sys.executable, "-m", "receptionist.cli", *args], cwd=ROOT,
                          env=dict(os.environ, **env), capture_output=True, text=True,
                          timeout=600, **kwargs)


def test_misunderstood_turns_are_queued_and_accepted_ones_export_as_training_data(
        settings, nlu, clock, tmp_path):
    app = create_app(settings, nlu=nlu, clock=clock, keyring=KEYRING)
    Caller(flask_transport(app), TOKEN).call([MUDDLE, "what are your hours", "no"])
    with app.extensions["receptionist"].engine.connect() as conn:
        items = improvement.queue(conn, KEYRING, since=datetime(2026, 11, 1))
    assert [i.text for i in items] == [MUDDLE]
    assert items[0].reason in ("low confidence", "asked again")
    out = tmp_path / "review.yml"
    done = cli(["nlu", "review", "--days", "3650", "--accept", "1=out_of_scope", "--out", str(out)],
               {"DATABASE_URL": settings.database_url})
    assert done.returncode == 0, done.stderr
    assert MUDDLE in done.stdout
    exported = load_training_data([out])
    assert [(e.text, e.intent) for e in exported.examples] == [(MUDDLE, "out_of_scope")]


def test_a_shadow_label_that_disagrees_suggests_the_intent():
    labelled = [{"call_id": "c1", "call_type": "book_appointment",
                 "human": {"call_type": "reschedule_cancel"},
                 "decisions": [{"caller": "I can't make Tuesday anymore", "intent":
                                "book_appointment", "confidence": 0.8}]},
                {"call_id": "c2", "call_type": "practice_info",
                 "human": {"call_type": "practice_info"}, "decisions": []}]
    items = improvement._from_labels(labelled, {"reschedule_cancel": "reschedule_appointment"})
    assert [(i.text, i.suggested) for i in items] == [("I can't make Tuesday anymore",
                                                       "reschedule_appointment")]


def test_retraining_is_refused_when_an_always_escalate_category_gets_worse(
        tmp_path, semantic_model_dir, nlu_model_dir):
    data = tmp_path / "nlu_data"
    shutil.copytree(ROOT / "nlu_data", data)
    current = tmp_path / "minilm"
    shutil.copytree(semantic_model_dir, current)
    raw = yaml.safe_load((data / "nlu.yml").read_text())
    for item in raw["nlu"]:  # a careless relabelling: every emergency becomes a booking
        if item.get("intent") == "emergency":
            item["intent"] = "book_appointment"
    (data / "nlu.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    env = {"NLU_DATA_DIR": str(data), "SEMANTIC_MODEL_DIR": str(current),
           "NLU_MODEL_DIR": str(nlu_model_dir)}
    before = (current / "meta.json").read_text()
    done = cli(["nlu", "train", "--engine", "minilm", "--gate"], env)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "refused, the current model stays" in done.stderr and "safety" in done.stderr
    assert (current / "meta.json").read_text() == before

    shutil.rmtree(data)
    shutil.copytree(ROOT / "nlu_data", data)  # the same data again: no worse, so accepted
    done = cli(["nlu", "train", "--engine", "minilm", "--gate"], env)
    assert done.returncode == 0 and "accepted" in done.stderr, done.stderr[-2000:]
    assert json.loads((current / "meta.json").read_text())["examples"] > 500
