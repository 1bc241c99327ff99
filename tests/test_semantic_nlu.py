"""The semantic engine (all-MiniLM-L6-v2, int8 ONNX or numpy) and the recall-first safety net.

The phrasings here are the tests' own; the held-out evaluation sets in nlu_data/heldout/ are
left to `receptionist nlu evaluate`.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from receptionist.config.nlu_data import load_training_data
from receptionist.core.errors import NluModelMissing
from receptionist.core.escalation import ALWAYS, Detector
from receptionist.nlu import safety
from receptionist.nlu.minilm import MiniLM, shared_encoder
from receptionist.nlu.safety import SafetyNet
from receptionist.nlu.semantic_engine import SemanticNlu
from receptionist.service.world import load_world

ROOT = Path(__file__).resolve().parent.parent


def test_the_numpy_encoder_reproduces_the_published_similarity():
    """sentence-transformers documents 0.7553 for this pair with all-MiniLM-L6-v2."""
    numpy_encoder = MiniLM(backend="numpy")
    a, b = numpy_encoder.embed(["A man is eating food.", "A man is eating a piece of bread."])
    assert round(float(a @ b), 3) == 0.755
    c = numpy_encoder.embed(["The girl is carrying a baby."])[0]
    assert float(a @ c) < 0.1


def test_the_int8_onnx_encoder_is_the_same_model():
    """The default backend's vectors are within cosine 0.995 of the fp32 ones, padded or not."""
    assert shared_encoder().backend == "onnx-int8"
    texts = ["hi", "A man is eating food.", "could we shift my visit to some day next week"]
    fast, exact = shared_encoder().embed(texts), MiniLM(backend="numpy").embed(texts)
    assert ((fast * exact).sum(1) > 0.995).all()
    a, b = shared_encoder().embed(texts[1:2] + ["A man is eating a piece of bread."])
    assert abs(float(a @ b) - 0.7553) < 0.005


def test_a_model_is_served_only_by_the_encoder_it_was_trained_on(semantic_model_dir,
                                                                 spacy_nlu):
    with pytest.raises(NluModelMissing, match="trained on onnx-int8 embeddings"):
        SemanticNlu(semantic_model_dir, spacy_nlu, MiniLM(backend="numpy"))
    with pytest.raises(NluModelMissing, match="retrain"):
        SafetyNet(semantic_model_dir, MiniLM(backend="numpy"))


def test_meaning_not_wording_picks_the_intent(nlu):
    assert nlu.parse("could we shift my visit to some day next week").intent == \
        "reschedule_appointment"
    assert nlu.parse("when do you close this evening").intent == "office_hours"
    assert nlu.parse("what's the best way to get to you from the highway").intent == \
        "location_directions"


@pytest.mark.parametrize("text", ["I want to see Dr. Ruiz later this week",
                                  "could you schedule me in for Thursday at four",
                                  "sure, put me in for the 9th"])
def test_a_time_asked_for_with_other_verbs_or_a_clinician_is_a_booking(nlu, text):
    assert nlu.parse(text).intent == "book_appointment", text


def test_an_emergency_told_by_its_symptoms_reaches_a_person(nlu):
    world = load_world(ROOT / "flows")
    text = "my father's face went numb on one side and his words are coming out garbled"
    result = nlu.parse(text)
    assert "safety" in dict(result.alerts)
    category, why = Detector(world.matrix).detect(text, result)
    assert category == "safety" and "meaning" in why


def test_crisis_language_without_the_listed_words_reaches_a_person(nlu):
    world = load_world(ROOT / "flows")
    text = "lately I feel like nobody would even notice if I disappeared for good"
    category, _ = Detector(world.matrix).detect(text, nlu.parse(text))
    assert category == "mental_health"


def test_ordinary_requests_raise_no_alert(nlu):
    for text in ("what time do you open on Saturday", "do you take Delta Dental",
                 "I'd like to book a cleaning for my son"):
        assert nlu.parse(text).alerts == (), text


def test_a_request_for_a_person_mid_question_is_left_to_patterns_and_intents(nlu):
    world = load_world(ROOT / "flows")
    detector = Detector(world.matrix)
    result = nlu.parse("Mike Russo")  # a name, answering a question: no alert decides
    assert detector.detect("Mike Russo", result, answering=True) is None


def test_the_safety_net_is_calibrated_for_recall_within_five_percent_false_alarms(
        semantic_model_dir):
    report = json.loads((semantic_model_dir / "safety.json").read_text())
    assert report["_ordinary_false_alarm_rate_oof"] <= 0.05
    for name in ("safety", "mental_health", "minors_vulnerable", "legal_complaint",
                 "human_request"):
        assert report[name]["examples"] >= 20 and "margin" in report[name]


def test_nlu_evaluate_reports_escalation_recall_per_category(tmp_path, semantic_model_dir,
                                                              nlu_model_dir):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "NLU_MODEL_DIR": str(nlu_model_dir),
           "SEMANTIC_MODEL_DIR": str(semantic_model_dir)}
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "nlu", "evaluate",
                           "--engine", "spacy", "--engine", "minilm", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "report.json").read_text())
    escalation = report["minilm"]["escalation"]
    assert set(escalation["categories"]) == {"safety", "mental_health", "minors_vulnerable",
                                             "legal_complaint", "human_request"}
    assert 0 <= escalation["false_escalation_rate"] <= 1
    held_out = load_training_data(sorted((ROOT / "nlu_data" / "heldout").glob(
        "always_escalate*.yml"))).examples  # every held-out set counts
    safety = sum(e.intent == "safety" for e in held_out)
    assert safety >= 6 and escalation["categories"]["safety"]["cases"] == safety
    assert f"| safety | {safety} |" in done.stdout and "false escalations on ordinary requests" \
        in done.stdout
    # misses are counted, not listed: a held-out set whose misses were read is held out no more
    assert "minilm: missed" in done.stdout
    texts = [e.text for e in held_out]
    assert not any(t in done.stdout or t in (tmp_path / "report.json").read_text() for t in texts)


def test_the_net_knows_each_category_by_the_retired_sets_too(semantic_model_dir):
    """nlu_data/safety/ joins the training examples as exemplars; a model records which."""
    exemplars = safety.exemplar_sets(ROOT / "nlu_data")
    per = {n: sum(e.intent == n for e in exemplars) for n in ALWAYS}
    assert all(count >= 20 for count in per.values())
    assert sum(e.intent == "ordinary" for e in exemplars) >= 100
    report = json.loads((semantic_model_dir / "safety.json").read_text())
    assert report["_exemplars_sha256"] == safety.exemplar_digest(exemplars)
    for name in ALWAYS:  # the category's own training examples plus its exemplars
        assert report[name]["examples"] >= per[name] + 20


def test_small_talk_far_from_every_warning_sign_raises_no_alert(nlu):
    """The floor: nearer a crisis example than any dental request is not near enough."""
    for text in ("do ducks sleep", "why do we dream", "how do i get better at chess",
                 "are over the ear headphones better than in ear ones",
                 "who blue what what it all"):  # a recogniser's garbage: one word in common
        assert nlu.parse(text).alerts == (), text
    assert any(name == "mental_health" for name, _ in
               nlu.parse("lately I can't see the point in going on at all").alerts)
    assert any(name == "safety" for name, _ in nlu.parse("his lips have gone blue").alerts)


def test_the_net_is_trained_with_a_linear_probe_that_only_adds_recall(semantic_model_dir):
    report = json.loads((semantic_model_dir / "safety.json").read_text())
    assert report["_probe"]["classes"] == [*ALWAYS, "ordinary"]
    for name in ALWAYS:
        assert 0 < report[name]["probe_cut"] <= 1
        assert report[name]["oof_recall_with_probe"] >= report[name]["oof_recall"]
    net = SafetyNet(semantic_model_dir, shared_encoder())
    assert net.probe is not None and len(net.probe[3]) == len(ALWAYS)


class _Axes:
    """An encoder for hand-made nets: a text is a named direction in three dimensions."""

    backend = "axes"
    vectors = {"crisis": [1.0, 0.0, 0.0], "booking": [0.0, 1.0, 0.0],
               "between": [0.8, 0.6, 0.0], "unrelated": [0.0, 0.0, 1.0]}

    def embed(self, texts):
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)


def _hand_made_net(tmp_path, probe_says_crisis: bool) -> SafetyNet:
    """Mental-health examples near 'crisis', ordinary ones near 'booking'; margins strict."""
    names = list(ALWAYS)
    arrays = {n: np.array([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]], dtype=np.float32) for n in names}
    arrays["mental_health"] = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.0]], dtype=np.float32)
    arrays["ordinary"] = np.array([[0.0, 1.0, 0.0], [0.2, 0.9, 0.0]], dtype=np.float32)
    weights = np.zeros((len(names) + 1, 3), dtype=np.float32)
    if probe_says_crisis:
        weights[names.index("mental_health")] = [8.0, 0.0, 8.0]  # the probe's own direction
    arrays.update(probe_weights=weights, probe_bias=np.zeros(len(names) + 1, np.float32),
                  probe_cuts=np.full(len(names), 0.5, np.float32))
    np.savez(tmp_path / "safety.npz", **arrays)
    report = {n: {"margin": 0.2, "floor": 0.5} for n in names}
    report.update(_encoder="axes", _probe={"classes": [*names, "ordinary"]})
    (tmp_path / "safety.json").write_text(json.dumps(report))
    return SafetyNet(tmp_path, _Axes())  # type: ignore[arg-type]


def test_the_probe_alerts_what_the_nearest_examples_miss_but_not_below_the_floor(tmp_path):
    # 'between' is nearer the crisis examples (0.79) than the ordinary ones (0.70), by less than
    # the margin
    assert _hand_made_net(tmp_path, probe_says_crisis=False).alerts("between") == ()
    net = _hand_made_net(tmp_path, probe_says_crisis=True)
    assert [name for name, _ in net.alerts("between")] == ["mental_health"]
    # the probe says crisis for 'unrelated' too, but it resembles no crisis example at all
    assert net.alerts("unrelated") == ()
    assert [name for name, _ in net.alerts("crisis")] == ["mental_health"]
