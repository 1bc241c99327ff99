"""A second vertical as data only: the home-services pack loads, trains and handles its calls."""

from dataclasses import replace

import pytest

from receptionist.config.nlu_data import load_training_data
from receptionist.config.settings import ROOT
from receptionist.nlu.spacy_engine import SpacyNlu, train
from receptionist.service.world import load_world
from receptionist.simulation import runner, scenarios

PACK = ROOT / "verticals" / "home_services"


@pytest.fixture(scope="module")
def home_nlu(tmp_path_factory):
    out = tmp_path_factory.mktemp("home_nlu")
    train(load_training_data([PACK / "nlu_data"]), out)
    return SpacyNlu(out)


def test_the_pack_loads_with_its_own_call_types_and_the_five_always_categories():
    world = load_world(PACK / "flows", PACK / "nlu_data")
    assert {f.flow for f in world.flows.call_types()} == {
        "emergency_dispatch", "book_technician", "quote_request", "service_area", "billing"}
    for name in ("safety", "minors_vulnerable", "mental_health", "legal_complaint",
                 "human_request"):
        assert world.matrix.get(name) is not None
    grouped = load_training_data([PACK / "nlu_data"]).by_intent()
    assert min(len(v) for v in grouped.values()) >= 20


def test_the_pack_passes_its_scenarios(settings, home_nlu):
    settings = replace(settings, flows_dir=PACK / "flows", nlu_data_dir=PACK / "nlu_data",
                       seed_demo_data=False)
    results = runner.run(scenarios.load([PACK / "scenarios"]), settings, nlu=home_nlu)
    assert [(r.scenario.name, r.failures) for r in results if not r.passed] == []
    assert len(results) == 6


def test_dental_requests_are_out_of_scope_for_a_plumber(settings, home_nlu):
    settings = replace(settings, flows_dir=PACK / "flows", nlu_data_dir=PACK / "nlu_data",
                       seed_demo_data=False)
    item = scenarios.Scenario(name="dentist", flow="x", say=["I need a teeth cleaning"],
                              expect=scenarios.Expect(flow="out_of_scope"))
    [result] = runner.run([(PACK, item)], settings, nlu=home_nlu)
    assert result.passed, result.failures


@pytest.mark.parametrize(("text", "category"), [
    ("my husband collapsed in the basement while we were waiting for you", "safety"),
    ("he's coughing up blood", "safety"),
    ("the tenant said he'd kill me if I came round again", "safety"),
    ("I've been giving all my things away, I won't need the house fixed", "mental_health"),
    ("I'm a carer and her son won't let her talk to anyone", "minors_vulnerable"),
    ("you'll be hearing from my solicitor about the flood damage", "legal_complaint"),
    ("are you a robot", "human_request"),
])
def test_the_packs_matrix_names_the_same_warning_signs_as_the_dental_one(text, category):
    from receptionist.core.escalation import Detector

    hit = Detector(load_world(PACK / "flows", PACK / "nlu_data").matrix).detect(text, None)
    assert hit is not None and hit[0] == category, (text, hit)


def test_a_plumbing_emergency_is_still_the_packs_own_flow_not_the_911_line():
    from receptionist.core.escalation import Detector

    detector = Detector(load_world(PACK / "flows", PACK / "nlu_data").matrix)
    assert detector.detect("I have an emergency, a pipe burst in the kitchen", None) is None
