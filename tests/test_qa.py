"""QA cadence and drift triggers."""

import http.server
import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from receptionist.compliance.audit import audit_log
from receptionist.rollout import qa
from receptionist.storage.db import make_engine, to_db
from receptionist.storage.migrate import upgrade
from receptionist.storage.tables import calls
from tests.conftest import KEYRING, rows

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'qa.sqlite3'}")
    upgrade(engine)
    return engine


def add_calls(engine, n, start, *, escalated_every=0, language="en", call_type=None):
    with engine.begin() as conn:
        for i in range(n):
            at = start + timedelta(hours=i * 3)
            esc = "human_request" if escalated_every and i % escalated_every == 0 else None
            conn.execute(calls.insert().values(
                sid=f"CA{language}{start:%m%d}{i:05d}", caller="+1", called="",
                started_at=to_db(at), status="transferred" if esc else "completed",
                call_type=call_type or ("book_appointment", "practice_info", "take_message")[i % 3],
                escalation=esc, language=language, state={}, version=1, updated_at=to_db(at)))


def test_the_sample_is_reproducible_and_keeps_minorities(engine):
    add_calls(engine, 40, datetime(2026, 11, 16, tzinfo=UTC))
    add_calls(engine, 2, datetime(2026, 11, 17, tzinfo=UTC), language="es",
              call_type="out_of_scope")
    period, start, end = qa.period_of(date(2026, 11, 18), launch=date(2026, 11, 1))
    assert period == "2026-W47" and (start, end) == (date(2026, 11, 16), date(2026, 11, 23))
    with engine.connect() as conn:
        first = qa.sample(conn, period, start, end)
        again = qa.sample(conn, period, start, end)
    assert len(first) == 20 and first == again
    assert any(c["language"] == "es" for c in first)  # the Spanish minority is listened to
    assert {c["call_type"] for c in first} >= {"book_appointment", "practice_info", "take_message"}


def test_monthly_after_the_first_quarter():
    assert qa.period_of(date(2027, 3, 10), launch=date(2026, 11, 1))[0] == "2027-03"


def test_a_review_is_stored_with_encrypted_notes_and_audited(engine):
    with engine.begin() as conn:
        passed = qa.review(conn, "CA1", "2026-W47", "jenna", accuracy=2, brand_voice=4,
                           escalation_correct=True, satisfaction=3,
                           notes="called Maria by the wrong name", crypt=KEYRING)
        with pytest.raises(ValueError, match="accuracy must be 1 to 5"):
            qa.review(conn, "CA1", "2026-W47", "jenna", accuracy=9, brand_voice=4,
                      escalation_correct=True, satisfaction=3)
    assert passed is False
    with engine.connect() as conn:
        stored = conn.execute(sa.select(qa.qa_reviews.c.notes)).scalar()
    assert stored.startswith("enc:v1:") and "Maria" not in stored
    assert [r.kind for r in rows(engine, audit_log)] == ["qa_review"]


class Hook(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_drift_raises_alerts_in_the_log_the_table_and_the_webhook(engine, caplog):
    add_calls(engine, 200, NOW - timedelta(days=35), escalated_every=10)  # trailing: 10 %
    add_calls(engine, 50, NOW - timedelta(days=7), escalated_every=2)     # this week: 50 %
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with engine.begin() as conn:
            alerts = qa.check_drift(conn, NOW, webhook=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    names = {a["metric"] for a in alerts}
    assert {"escalation_rate", "containment"} <= names
    assert Hook.received and Hook.received[0]["alerts"][0]["metric"] in names
    assert "drift: escalation_rate" in caplog.text
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(qa.drift_alerts)).scalar() \
            == len(alerts)


def test_no_drift_no_alert(engine):
    add_calls(engine, 200, NOW - timedelta(days=35), escalated_every=10)
    add_calls(engine, 50, NOW - timedelta(days=7), escalated_every=10)
    with engine.begin() as conn:
        assert qa.check_drift(conn, NOW) == []
