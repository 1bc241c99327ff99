"""No personal data in the clear: after calls that say and key a card number, a phone number and
a date of birth, no table of the call records and no log line holds them readable.

The reference CRM's own contact records (`contacts`, `timeline`) are the practice's CRM, not the
receptionist's records: they are out of this scan, as the README says.
"""

import io
import logging

import sqlalchemy as sa

from receptionist.app import create_app
from receptionist.simulation.caller import Caller, flask_transport
from receptionist.storage.tables import metadata, turns
from tests.conftest import KEYRING, TOKEN, rows

MARIA = "+14135550123"
CARD, CARD_SPOKEN = "4111111111111111", "4111 1111 1111 1111"
CALLBACK = "4135550199"
SECRETS = [CARD, CARD_SPOKEN, CALLBACK, "413-555-0199", "(413) 555-0199", "03031985",
           "March 3rd 1985", "1985-03-03", "four one three five five five zero one nine nine"]
CRM_TABLES = {"contacts", "timeline"}


def raw_dump(engine) -> str:
    """Every value of every table but the CRM's, as stored (nothing decrypted)."""
    out = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in CRM_TABLES:
                continue
            out += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
    return "\n".join(out)


def test_calls_leave_no_card_phone_or_birth_date_in_tables_or_logs(settings, nlu, clock):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level, root.level = root.level, logging.DEBUG
    try:
        app = create_app(settings, nlu=nlu, clock=clock, keyring=KEYRING)
        caller = Caller(flask_transport(app), TOKEN)
        caller.call(["I'd like to leave a message for Dr. Lee", "John Smith",
                     "call me back at four one three five five five zero one nine nine",
                     f"my card is {CARD_SPOKEN} and I was born March 3rd 1985", "no"],
                    caller="+14135550142")
        caller.call(["I'd like to book a cleaning", "DTMF:03031985", f"DTMF:{CARD}", "DTMF:0"],
                    caller=MARIA)
        log = logging.getLogger("receptionist.some.child")
        log.warning("caller said %s, keyed %s, born %s", CALLBACK, "03031985", "1985-03-03")
        try:
            raise ValueError(f"bad number {CALLBACK} for card {CARD}")
        except ValueError:
            log.exception("a failure with personal data in its traceback")
    finally:
        root.removeHandler(handler)
        root.level = old_level
    dump, logs = raw_dump(app.extensions["receptionist"].engine), stream.getvalue()
    assert "a failure with personal data" in logs and "Traceback" in logs
    keyed = [r.digits for r in rows(app.extensions["receptionist"].engine, turns) if r.digits]
    assert "03031985" in keyed  # the keyed date of birth is kept, encrypted
    assert CARD not in keyed and CARD not in str(rows(app.extensions["receptionist"].engine,
                                                      turns))  # a card: not even encrypted
    for secret in SECRETS:
        assert secret not in dump, f"{secret!r} stored in the clear"
        assert secret not in logs, f"{secret!r} in the logs"
