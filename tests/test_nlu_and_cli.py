"""Embedded NLU (spaCy) and the command line as a user runs it."""

import json
import os
import subprocess
import sys
from datetime import datetime

from receptionist.config.settings import ROOT
from tests.conftest import NY

# Phrasings written for this test, not present in nlu_data/.
HELD_OUT = [
    ("hi there, could I get a dental cleaning sometime next week", "book_appointment"),
    ("I need to see a dentist on the 21st", "book_appointment"),
    ("my appointment on friday doesn't work anymore, can we move it", "reschedule_appointment"),
    ("please take me off tomorrow's schedule, I have to cancel", "cancel_appointment"),
    ("what time do you guys close on fridays", "office_hours"),
    ("how do I get to your office from the interstate", "location_directions"),
    ("is there somewhere to park my car", "parking"),
    ("does the practice accept aetna insurance", "insurance_question"),
    ("what's my account balance", "billing_question"),
    ("could dr patel give me a ring back", "leave_message"),
    ("I want to talk to a real human", "human_request"),
    ("what's the weather going to be like this weekend", "out_of_scope"),
    ("can you help me find a restaurant nearby", "out_of_scope"),
]


def test_held_out_utterances_are_classified(nlu):
    wrong = [(t, want, nlu.parse(t).intent) for t, want in HELD_OUT
             if nlu.parse(t).intent != want]
    assert len(wrong) <= 2, wrong


def test_dates_resolve_in_the_practice_timezone(nlu):
    now = datetime(2026, 11, 22, 9, 0, tzinfo=NY)  # a Sunday
    parsed = nlu.parse("can I come in next Tuesday at 3", now=now)
    assert parsed.entity("datetime").value["date"] == "2026-11-24"
    assert parsed.entity("datetime").value["time"] == "15:00"


def test_lookup_synonym_and_regex_entities(nlu):
    parsed = nlu.parse("I have blue cross blue shield, call me at 413 555 0142 about Dr. Lee")
    found = {e.entity: e.value for e in parsed.entities}
    assert found["insurer"] == "Blue Cross"
    assert found["person"] == "lee"
    assert found["phone"] == "+14135550142"


def _cli(args, stdin, nlu_model_dir, tmp_path):
    env = dict(os.environ, NLU_MODEL_DIR=str(nlu_model_dir),
               DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    env.pop("TWILIO_AUTH_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "receptionist.cli", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)


def test_nlu_parse_reads_lines_and_prints_jsonl(nlu_model_dir, tmp_path):
    done = _cli(["nlu", "parse"], "what are your hours\nbook a cleaning\n", nlu_model_dir,
                tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["intent"] for d in lines] == ["office_hours", "book_appointment"]
    assert set(lines[1]) == {"text", "intent", "confidence", "entities"}
    assert lines[1]["entities"][0]["entity"] == "appointment_type"


def test_call_batch_prints_one_json_object_per_call(nlu_model_dir, tmp_path):
    batch = tmp_path / "calls.jsonl"
    batch.write_text(json.dumps({"from": "+14135550142", "say": ["where are you located", "no"]})
                     + "\n" + json.dumps({"say": ["can you order me a pizza"]}) + "\n")
    done = _cli(["call", "--json", "--batch", str(batch), "--at", "2026-11-23T10:00"], "",
                nlu_model_dir, tmp_path)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["call_sid"].startswith("CA") and first["turns"][0]["caller"] is None
    assert first["outcome"] == {"status": "completed", "flow": "practice_info",
                                "escalation": None, "transfer_to": None,
                                "disposition": "info_location"}
    assert second["outcome"]["flow"] == "out_of_scope"
    assert second["outcome"]["escalation"] == "out_of_scope"


def test_a_malformed_batch_line_is_named(nlu_model_dir, tmp_path):
    batch = tmp_path / "calls.jsonl"
    batch.write_text('{"from": "+1413"}\n')
    done = _cli(["call", "--batch", str(batch)], "", nlu_model_dir, tmp_path)
    assert done.returncode == 2 and "calls.jsonl:1" in done.stderr


def test_scenarios_run_passes_the_shipped_library_and_fails_a_broken_expectation(
        nlu_model_dir, tmp_path):
    done = _cli(["scenarios", "run", "--jobs", "2", "--report", str(tmp_path / "report")], "",
                nlu_model_dir, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "119 passed, 0 failed" in done.stderr
    junit = (tmp_path / "report" / "junit.xml").read_text()
    assert 'tests="119" failures="0"' in junit and 'testsuite name="red team"' in junit
    figures = json.loads((tmp_path / "report" / "report.json").read_text())
    assert figures["categories"]["always-escalate"]["pass_rate"] == 1.0
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "1"\nscenarios:\n  - name: wrong on purpose\n    flow: practice_info\n'
                   '    say: ["what are your hours", "no"]\n'
                   '    expect: {disposition: booked}\n')
    failed = _cli(["scenarios", "run", str(bad), "--report", str(tmp_path / "bad")], "",
                  nlu_model_dir, tmp_path)
    assert failed.returncode == 1
    assert "disposition: expected 'booked', got 'info_hours'" in failed.stdout
    page = (tmp_path / "bad" / "report.html").read_text()
    assert "wrong on purpose" in page and "caller: what are your hours" in page


def test_readiness_is_red_for_the_reference_practice_until_the_baa_is_signed(
        nlu_model_dir, tmp_path):
    done = _cli(["readiness", "--json"], "", nlu_model_dir, tmp_path)
    assert done.returncode == 1
    items = {i["item"]: i for i in json.loads(done.stdout)}
    assert items["Compliance review"]["reason"] == "the BAA is not recorded as signed"
    assert items["Escalation rules"]["green"] is True
