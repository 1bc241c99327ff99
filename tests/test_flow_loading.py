"""Flows are data: broken files refuse to load and name file, flow, step and line."""

import shutil

import pytest

from receptionist.config.flows import load_flows
from receptionist.config.nlu_data import load_training_data
from receptionist.config.settings import ROOT
from receptionist.core import errors as E
from receptionist.service import executor
from receptionist.service.world import load_world

HANDOFFS = {"staff_assist", "human_request"}


def load(folder):
    return load_flows(folder, actions=executor.names(), handoffs=HANDOFFS,
                      intents=load_training_data([ROOT / "nlu_data"]).intents)


@pytest.fixture
def flows(tmp_path):
    folder = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", folder)
    return folder


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_shipped_flows_load():
    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    assert {f.flow for f in world.flows.call_types()} == {
        "book_appointment", "reschedule_cancel", "practice_info", "insurance_billing",
        "take_message"}


def test_an_unknown_next_step_names_file_flow_step_and_line(flows):
    edit(flows / "take_message.yaml", "next: ask_number", "next: ask_numbr")
    with pytest.raises(E.UnknownStepTarget) as info:
        load(flows)
    err = info.value
    assert err.file.endswith("take_message.yaml") and err.flow == "take_message"
    assert err.step == "ask_name" and err.line == 15
    assert "ask_numbr" in str(err) and "take_message.yaml:15" in str(err)


def test_an_unreachable_step_is_refused(flows):
    with open(flows / "practice_info.yaml", "a") as f:
        f.write("  - id: orphan\n    end: nothing\n    say: never said\n")
    with pytest.raises(E.UnreachableStep, match="step 'orphan'"):
        load(flows)


def test_an_unknown_action_lists_the_known_ones(flows):
    edit(flows / "take_message.yaml", "action: create_ticket", "action: send_fax")
    with pytest.raises(E.UnknownAction, match="send_fax.*known: attach_recording"):
        load(flows)


def test_a_schema_error_names_the_step(flows):
    edit(flows / "book_appointment.yaml", "    type: datetime\n", "    type: calendar\n")
    with pytest.raises(E.FlowSchemaError) as info:
        load(flows)
    assert info.value.step == "ask_when" and info.value.flow == "book_appointment"
    assert "type" in info.value.message


def test_an_intent_missing_from_the_nlu_data_is_refused(flows):
    edit(flows / "take_message.yaml", "intents: [leave_message]", "intents: [leave_voicemail]")
    with pytest.raises(E.UnknownIntent, match="leave_voicemail"):
        load(flows)


def test_an_unknown_prompt_placeholder_is_refused(flows):
    edit(flows / "practice_info.yaml", "{practice.parking}", "{parking_info}")
    with pytest.raises(E.UnknownTemplateName, match="parking_info"):
        load(flows)


def test_every_intent_is_used_by_a_flow_or_the_matrix_and_none_is_missing():
    world = load_world(ROOT / "flows", ROOT / "nlu_data")
    data_intents = set(load_training_data([ROOT / "nlu_data"]).intents)
    used = set(world.flows.by_intent)
    for category in world.matrix.categories.values():
        used |= set(category.intents)
    assert used <= data_intents
    # the remaining intents are conversational ones the engine itself understands
    assert data_intents - used == {"affirm", "deny", "goodbye", "greet", "inform", "out_of_scope"}


def test_every_intent_has_at_least_twenty_examples():
    grouped = load_training_data([ROOT / "nlu_data"]).by_intent()
    assert {name: len(ex) for name, ex in grouped.items() if len(ex) < 20} == {}
