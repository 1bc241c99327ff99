"""KPIs against the baseline, from SQL aggregates, on SQLite and PostgreSQL."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from receptionist.config.settings import ROOT
from receptionist.rollout import kpi
from receptionist.rollout.readiness import import_call_log
from receptionist.service.world import load_world
from receptionist.storage.db import make_engine
from receptionist.storage.migrate import upgrade

SAMPLES = ROOT / "samples"
PRICES = {"staff": 28.0, "ai": 0.04}
BASE = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC))
POST = (datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 15, tzinfo=UTC))


def load(url, tmp_path, nlu_model_dir):
    env = dict(os.environ, DATABASE_URL=url, NLU_MODEL_DIR=str(nlu_model_dir))
    for args in (["calllog", "import", str(SAMPLES / "baseline_call_log.csv")],
                 ["kpi", "import-calls", str(SAMPLES / "post_launch_calls.jsonl")]):
        done = subprocess.run([sys.executable, "-m", "receptionist.cli", *args], env=env,
                              cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return env


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kpis_against_the_baseline(backend, tmp_path, nlu_model_dir, request):
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}" if backend == "sqlite" else \
        request.getfixturevalue("pg_url")
    load(url, tmp_path, nlu_model_dir)
    engine = make_engine(url)
    with engine.connect() as conn:
        base = kpi.baseline(conn, *BASE, PRICES)
        post = kpi.post_launch(conn, *POST, PRICES)
        rows = {r["kpi"]: r for r in kpi.compare(base, post)}
        intents = kpi.per_intent(conn, *POST)
        weekly = kpi.per_intent(conn, *POST, by_week=True)
    engine.dispose()
    assert base["total_call_volume"] == 1068 and post["total_call_volume"] == 1072
    assert 0.2 < base["abandonment_rate"] < 0.3 and post["abandonment_rate"] < 0.05
    assert rows["abandonment_rate"]["met"] is True
    assert rows["after_hours_missed_calls"]["met"] is True
    assert rows["csat_proxy"]["met"] is None
    assert "no satisfaction signal" in rows["csat_proxy"]["note"]
    assert {r["language"] for r in intents} == {"en", "es"}
    booking = next(r for r in intents if r["call_type"] == "book_appointment"
                   and r["language"] == "en")
    assert 0.5 < booking["containment"] <= 1.0
    assert len({r["week"] for r in weekly}) >= 4


def test_a_kpi_without_a_baseline_says_so_instead_of_a_number(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    upgrade(engine)
    with engine.connect() as conn:
        rows = kpi.compare(kpi.baseline(conn, *BASE, PRICES), {k: 1.0 for k in kpi.KPIS})
    assert all(r["met"] is None and r["note"].startswith("no baseline") for r in rows)


def test_the_report_command_writes_the_summary_and_exports(tmp_path, nlu_model_dir):
    env = load(f"sqlite:///{tmp_path / 'r.sqlite3'}", tmp_path, nlu_model_dir)
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "kpi", "report", "--out",
                           str(out)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "report.json").read_text())
    assert summary["day_90"]["recommendation"] == "expand"
    assert "day-90 recommendation: EXPAND" in done.stdout
    assert (out / "per_intent.csv").read_text().startswith("call_type,language,calls")
    assert "data:image/png" in (out / "report.html").read_text()


def test_the_recommendation_pauses_when_most_targets_are_missed():
    rows = [{"kpi": k, "met": False, "change": 0.1} for k in kpi.KPIS[:6]]
    assert kpi.recommendation(rows, 0.5)["recommendation"] == "pause"


def test_baseline_after_hours_uses_the_practice_hours(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ah.sqlite3'}")
    upgrade(engine)
    log = tmp_path / "log.csv"
    log.write_text("started_at,from,status,duration,call_type,resolved\n"
                   "2026-09-07T21:00:00,+14135550100,no-answer,0,booking,no\n"
                   "2026-09-07T10:00:00,+14135550100,no-answer,0,booking,no\n")
    profile = load_world(ROOT / "flows").profile
    with engine.begin() as conn:
        import_call_log(conn, log, profile=profile)
        base = kpi.baseline(conn, *BASE, PRICES)
    assert base["after_hours_missed_calls"] == 1 and base["abandonment_rate"] == 1.0


def test_qa_reviews_feed_the_report(tmp_path, nlu_model_dir):
    from receptionist.rollout import qa

    env = load(f"sqlite:///{tmp_path / 'q.sqlite3'}", tmp_path, nlu_model_dir)
    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        for n, ok in enumerate((True, True, False)):
            qa.review(conn, f"CA{n}", "2026-W46", "rita", accuracy=4 if ok else 1,
                      brand_voice=4, escalation_correct=True, satisfaction=4)
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "receptionist.cli", "kpi", "report", "--out",
                           str(out)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert "QA 2026-W46: 3 reviews, 67% passed" in done.stdout
    assert json.loads((out / "report.json").read_text())["qa_reviews"][0]["pass_rate"] == 0.667
