"""Dashboard pages for shadow pilots: progress, and the form staff label calls with."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, request, url_for

from receptionist.dashboard.auth import needs
from receptionist.dashboard.views import bp, page
from receptionist.escalation import ALWAYS
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
    call_types = sorted(f.flow for f in rec.world.flows.call_types()) + ["out_of_scope"]
    reasons = list(ALWAYS) + sorted(n for n in rec.world.matrix.categories if n not in ALWAYS)
    return page("Shadow pilot", """<h1>Shadow pilots</h1>{% for p, n, done in pilots %}<p>
<a href="?pilot={{ p }}">{{ p }}</a>: {{ n }} calls, {{ done }} labelled
({{ n }}/50 toward the pilot)</p>{% else %}<p>No stored pilot yet: <code>receptionist shadow replay
FILE --store NAME</code>.</p>{% endfor %}{% if name %}<h2>{{ name }}</h2><table><tr><th>call</th>
<th>what the caller said</th><th>AI would have</th><th>front desk (label)</th></tr>
{% for c in calls %}<tr><td>{{ c.call_id }}</td><td>{% for t in c.transcript if t.speaker ==
'caller' %}{{ t.text }}<br>{% endfor %}</td><td>{{ c.call_type or '-' }}{% if c.escalation %},
escalated: {{ c.escalation }}{% endif %}</td><td><form method="post"
action="{{ url_for('dashboard.shadow_label', call_id=c.call_id) }}">
<input type="hidden" name="csrf" value="{{ csrf }}"><input type="hidden" name="pilot"
value="{{ name }}"><select name="call_type"><option value="">(none)</option>{% for t in
call_types %}<option {{ 'selected' if c.human.call_type == t }}>{{ t }}</option>{% endfor %}
</select> <select name="escalation_reason"><option value="">not escalated</option>{% for r in
reasons %}<option {{ 'selected' if c.human.escalation_reason == r }}>{{ r }}</option>
{% endfor %}</select> <label><input type="checkbox" name="resolved" {{ 'checked' if
c.human.resolved }}> resolved</label> <button type="submit">Save</button>{% if c.labelled_by %}
<small>by {{ c.labelled_by }}</small>{% endif %}</form></td></tr>{% endfor %}</table>
<p>Report with these labels: <code>receptionist shadow report --pilot {{ name }}</code></p>
{% endif %}""", pilots=pilots, name=name, calls=calls, call_types=call_types, reasons=reasons)


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
