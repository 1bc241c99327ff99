"""Dashboard pages for shadow pilots: progress, and the form staff label calls with."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, request, url_for

from receptionist.core.escalation import ALWAYS
from receptionist.dashboard.auth import needs
from receptionist.dashboard.playback import player
from receptionist.dashboard.views import bp, page
from shadow_mode import store


def _rec() -> Any:
    return current_app.extensions["receptionist"]


@bp.get("/shadow")
@needs("reviewer")
def shadow() -> Any:
    """Pilots and their labelling progress; one pilot's calls with the label form."""
    rec = _rec()
    name = request.args.get("pilot", "")
    with rec.engine.connect() as conn:
        pilots = store.pilots(conn)
        name = name or (pilots[0][0] if pilots else "")
        calls = store.load(conn, name, rec.service.crypt) if name else []
        players = {c["call_id"]: player(conn, rec.service.crypt, c["call_id"]) for c in calls}
    call_types = sorted(f.flow for f in rec.world.flows.call_types()) + ["out_of_scope"]
    reasons = list(ALWAYS) + sorted(n for n in rec.world.matrix.categories if n not in ALWAYS)
    return page("shadow.html", "Shadow pilot", pilots=pilots, name=name, calls=calls,
                call_types=call_types, reasons=reasons, players=players)


@bp.post("/shadow/<call_id>")
@needs("reviewer")
def shadow_label(call_id: str) -> Any:
    """Save what the front desk did on one shadowed call."""
    reason = request.form.get("escalation_reason") or None
    human = {"call_type": request.form.get("call_type") or None, "escalated": bool(reason),
             "escalation_reason": reason, "resolved": "resolved" in request.form}
    with _rec().engine.begin() as conn:
        store.label(conn, call_id, human, g.user["name"])
    flash(f"Label saved for {call_id}.")
    return redirect(url_for("dashboard.shadow", pilot=request.form.get("pilot", "")))
