"""The same webhook path on a real PostgreSQL server, and a CRM that fails without losing data."""

from dataclasses import replace

from integrations.sql import SqlIntegrations, appointments, timeline
from receptionist.app import create_app
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.storage.tables import calls, outbox, turns
from tests.conftest import TOKEN, rows


def test_a_full_booking_call_on_postgresql(pg_url, settings, nlu, clock):
    app = create_app(replace(settings, database_url=pg_url), nlu=nlu, clock=clock)
    engine = app.extensions["receptionist"].engine
    assert engine.dialect.name == "postgresql"
    caller = Caller(flask_transport(app), TOKEN)
    result = caller.call(["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am",
                          "yes", "no"], caller="+14135550123")
    assert result.outcome["disposition"] == "booked"
    [call] = rows(engine, calls, calls.c.sid == result.call_sid)
    assert call.status == "completed" and call.state["slots"]["patient"]["first_name"] == "Maria"
    assert len(rows(engine, turns, turns.c.call_sid == result.call_sid)) == 7
    assert len(rows(engine, appointments, appointments.c.appointment_type == "cleaning")) == 1
    assert [r.status for r in rows(engine, outbox)] == ["done"]
    engine.dispose()


def test_escalation_and_retries_on_postgresql(pg_url, settings, nlu, clock):
    app = create_app(replace(settings, database_url=pg_url), nlu=nlu, clock=clock)
    result = Caller(flask_transport(app), TOKEN).call(["I want to speak to a human"])
    assert result.outcome["escalation"] == "human_request"
    app.extensions["receptionist"].engine.dispose()


class FlakyCrm(SqlIntegrations):
    """A CRM that is down: it records what it was sent and refuses it."""

    sent: list = []

    def append_timeline(self, contact_id, phone, kind, summary, data, idempotency_key=None):
        FlakyCrm.sent.append((contact_id, phone, summary))
        raise ConnectionError("CRM unavailable")


def test_a_failing_crm_write_does_not_drop_the_call_and_is_retried(settings, nlu, clock):
    app = create_app(settings, nlu=nlu, clock=clock,
                     crm=lambda conn: FlakyCrm(conn, load_profile()))
    engine = app.extensions["receptionist"].engine
    result = Caller(flask_transport(app), TOKEN).call(
        ["I'd like to book a cleaning", "March 3rd 1985", "Wednesday at 9 am", "yes", "no"],
        caller="+14135550123")
    assert result.outcome["disposition"] == "booked"
    [row] = rows(engine, outbox)
    assert row.status == "pending" and row.attempts == 1
    assert "CRM unavailable" in row.last_error
    assert FlakyCrm.sent and "booked" in FlakyCrm.sent[-1][2]
    # the CRM comes back: the same row is delivered, nothing was lost
    with engine.begin() as conn:
        conn.execute(outbox.update().values(next_attempt_at=row.created_at))
    app.extensions["receptionist"].service.crm = app.extensions["receptionist"].service.integrations
    assert app.extensions["receptionist"].service.drain_outbox() == (1, 0)
    [entry] = rows(engine, timeline)
    assert entry.contact_id == row.payload["contact_id"] and "booked" in entry.summary


def load_profile():
    from receptionist.config.profile import load_profile as load
    from receptionist.config.settings import ROOT

    return load(ROOT / "flows" / "settings" / "practice.yaml")
