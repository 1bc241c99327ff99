"""Dashboard pages. Nothing is visible without a login; forms carry a CSRF token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)

from receptionist import db, kpi, qa, rollout
from receptionist.compliance.crypto import open_json, open_text
from receptionist.compliance.redact import redact
from receptionist.dashboard.auth import ROLES, check_login, csrf_token, needs
from receptionist.lifecycle import current_stages

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

LAYOUT = """<!doctype html><html><head><meta charset="utf-8"><title>{{ title }} · Receptionist</title>
<meta name="csrf" content="{{ csrf }}">
<style>body{font-family:sans-serif;margin:0;color:#222}nav{background:#234;padding:10px 20px}
nav a{color:#fff;margin-right:18px;text-decoration:none}main{max-width:1000px;margin:20px auto}
table{border-collapse:collapse;margin:8px 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;
text-align:left}.bad{color:#b00;font-weight:bold}.ok{color:#171}.pill{padding:2px 8px;
border-radius:8px;background:#eee}.alert{background:#fde;padding:6px 10px;margin:4px 0}</style>
</head><body>{% if user %}<nav><a href="{{ url_for('dashboard.overview') }}">Overview</a>
<a href="{{ url_for('dashboard.intents') }}">Call types</a>
<a href="{{ url_for('dashboard.calls') }}">Recent calls</a>
<a href="{{ url_for('dashboard.qa_queue') }}">QA queue</a>
<a href="{{ url_for('dashboard.shadow') }}">Shadow pilot</a>
<a href="{{ url_for('dashboard.testcall') }}">Test call</a>
<a href="{{ url_for('dashboard.logout') }}">Log out {{ user.name }} ({{ user.role }})</a></nav>
{% endif %}<main>{% for m in get_flashed_messages() %}<p class="alert">{{ m }}</p>{% endfor %}
{{ body|safe }}</main></body></html>"""


def page(title: str, body: str, **ctx: Any) -> str:
    """Render a page body inside the layout."""
    inner = render_template_string(body, csrf=csrf_token(), **ctx)
    return render_template_string(LAYOUT, title=title, body=inner, user=session.get("user"),
                                  csrf=csrf_token())


def _rec() -> Any:
    return current_app.extensions["receptionist"]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with a staff account."""
    if request.method == "POST":
        from receptionist.dashboard.auth import check_csrf

        check_csrf()
        with _rec().engine.begin() as conn:
            user = check_login(conn, request.form.get("username", ""),
                               request.form.get("password", ""))
        if user is not None:
            session.clear()
            session["user"] = {"name": user.username, "role": user.role}
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/dashboard") else
                            url_for("dashboard.overview"))
        flash("Wrong user name or password.")
    return page("Log in", """<h1>Staff log in</h1><form method="post">
<input type="hidden" name="csrf" value="{{ csrf }}">
<p><label>User name <input name="username" autofocus></label></p>
<p><label>Password <input name="password" type="password"></label></p>
<p><button type="submit">Log in</button></p></form>""")


@bp.get("/logout")
def logout() -> Any:
    """Log out."""
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@needs("viewer")
def overview() -> Any:
    """KPIs against the baseline, the day-90 call, drift alerts, rollout state, kill switch."""
    from receptionist.cli_kpi import _chart

    rec = _rec()
    prices = kpi.costs(rec.settings.flows_dir)
    with rec.engine.connect() as conn:
        base_w, post_w = kpi.windows(conn)
        base = kpi.baseline(conn, *base_w, prices) if base_w else dict.fromkeys(kpi.KPIS)
        post = kpi.post_launch(conn, *post_w, prices) if post_w else dict.fromkeys(kpi.KPIS)
        rows = kpi.compare(base, post)
        intents = kpi.per_intent(conn, *post_w) if post_w else []
        contained = kpi.containment(intents)
        alerts = conn.execute(sa.select(qa.drift_alerts).order_by(
            qa.drift_alerts.c.id.desc()).limit(10)).all()
        stages = current_stages(conn, rec.world)
        switch = rollout.kill_switch(conn)
    return page("Overview", """<h1>Overview</h1>
<p><b>Day-90 recommendation: {{ day90.recommendation|upper }}</b>
(targets met: {{ day90.targets_met|length }} of {{ day90.targets_met|length +
day90.targets_missed|length }} judged; containment {{ '%.0f%%'|format(contained * 100)
if contained is not none else 'n/a' }})</p>
<img alt="KPI change against the baseline" src="data:image/png;base64,{{ chart }}">
<h2>KPIs against the baseline</h2><table><tr><th>KPI</th><th>baseline</th><th>now</th>
<th>90-day target</th><th></th></tr>{% for r in rows %}<tr><td>{{ r.kpi|replace('_', ' ') }}</td>
<td>{{ fmt(r.baseline) }}</td><td>{{ fmt(r.post_launch) }}</td><td>{{ r.target }}</td>
<td class="{{ 'ok' if r.met else 'bad' if r.met is false else '' }}">{{ 'met' if r.met else
'not met' if r.met is false else r.note }}</td></tr>{% endfor %}</table>
<h2>Drift alerts</h2>{% for a in alerts %}<p class="alert">{{ a.metric|replace('_', ' ') }}:
{{ '%.1f'|format(a.recent * 100) }}% this week against {{ '%.1f'|format(a.trailing * 100) }}%
({{ a.at.strftime('%Y-%m-%d') }})</p>{% else %}<p>No drift alerts.</p>{% endfor %}
<h2>Rollout</h2><table>{% for name, stage in stages|dictsort %}<tr><td>{{ name }}</td>
<td><span class="pill">{{ stage }}</span></td></tr>{% endfor %}</table>
<p>Kill switch: <b class="{{ 'bad' if switch else 'ok' }}">{{ 'ON' if switch else 'off' }}</b>
{% if user.role == 'admin' %}<form method="post" action="{{ url_for('dashboard.killswitch') }}"
style="display:inline"><input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="on" value="{{ '0' if switch else '1' }}">
<input name="reason" placeholder="reason" required>
<button type="submit">{{ 'Give calls back to the receptionist' if switch else
'Send every call to the front desk' }}</button></form>{% endif %}</p>""",
                rows=rows, day90=kpi.recommendation(rows, contained), contained=contained,
                chart=_chart(rows), alerts=alerts, stages=stages, switch=switch,
                user=g.user, fmt=_fmt)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


@bp.post("/killswitch")
@needs("admin")
def killswitch() -> Any:
    """Turn the kill switch on or off (recorded with who and when)."""
    with _rec().engine.begin() as conn:
        rollout.set_kill_switch(conn, request.form.get("on") == "1", g.user["name"],
                                request.form.get("reason", ""))
    flash("Kill switch " + ("ON: every call goes to the front desk."
                            if request.form.get("on") == "1" else "off."))
    return redirect(url_for("dashboard.overview"))


@bp.get("/intents")
@needs("viewer")
def intents() -> Any:
    """Per call type and language, this month."""
    with _rec().engine.connect() as conn:
        _, post_w = kpi.windows(conn)
        rows = kpi.per_intent(conn, *post_w) if post_w else []
        coverage = kpi.coverage(conn, *post_w) if post_w else None
    return page("Call types", """<h1>Call types</h1><p>Intent coverage (recognised as a live call
type): {{ '%.0f%%'|format(coverage * 100) if coverage is not none else 'n/a' }}</p><table>
<tr><th>call type</th><th>language</th><th>calls</th><th>containment</th><th>handoffs</th>
<th>handoffs accepted</th><th>completed</th></tr>{% for r in rows %}<tr><td>{{ r.call_type }}</td>
<td>{{ r.language }}</td><td>{{ r.calls }}</td><td>{{ '%.0f%%'|format(r.containment * 100) }}</td>
<td>{{ '%.0f%%'|format(r.handoff_rate * 100) }}</td><td>{{ '%.0f%%'|format(r.handoff_acceptance
* 100) if r.handoff_acceptance is not none else '-' }}</td>
<td>{{ '%.0f%%'|format(r.completion_quality * 100) }}</td></tr>{% endfor %}</table>""",
                rows=rows, coverage=coverage)


@bp.get("/calls")
@needs("viewer")
def calls() -> Any:
    """Recent calls with their handoff context (personal data redacted)."""
    rec = _rec()
    crypt = rec.service.crypt
    with rec.engine.connect() as conn:
        rows = conn.execute(sa.select(db.calls).order_by(db.calls.c.started_at.desc())
                            .limit(50)).all()
        handoffs = {h.call_sid: h for h in conn.execute(sa.select(db.handoffs).where(
            db.handoffs.c.call_sid.in_([r.sid for r in rows])))}
    items = []
    for r in rows:
        h = handoffs.get(r.sid)
        whisper = open_text(crypt, h.whisper) if h else ""
        items.append({"sid": r.sid, "at": db.from_db(r.started_at), "caller": redact(r.caller),
                      "call_type": r.call_type, "status": r.status, "escalation": r.escalation,
                      "handoff": redact(whisper) if h else "", "reason": h.reason if h else ""})
    return page("Recent calls", """<h1>Recent calls</h1><table><tr><th>when</th><th>caller</th>
<th>call type</th><th>status</th><th>handoff context</th></tr>{% for c in items %}<tr>
<td><a href="{{ url_for('dashboard.call_detail', sid=c.sid) }}">{{ c.at.strftime('%Y-%m-%d
%H:%M') }}</a></td><td>{{ c.caller }}</td><td>{{ c.call_type or '-' }}
</td><td>{{ c.status }}{% if c.escalation %} ({{ c.escalation }}){% endif %}</td>
<td>{{ c.handoff }}</td></tr>{% endfor %}</table>""", items=items)


@bp.get("/calls/<sid>")
@needs("reviewer")
def call_detail(sid: str) -> Any:
    """One call for review: transcript, decisions with confidence, handoff context."""
    from receptionist import store
    from receptionist.compliance import audit

    rec = _rec()
    crypt = rec.service.crypt
    with rec.engine.begin() as conn:
        state = store.load_state(conn, sid, lock=False, crypt=crypt)
        if state is None:
            return page("Not found", "<h1>No such call</h1>"), 404
        turns = conn.execute(sa.select(db.turns).where(db.turns.c.call_sid == sid)
                             .order_by(db.turns.c.seq)).all()
        handoff = conn.execute(sa.select(db.handoffs).where(db.handoffs.c.call_sid == sid)
                               ).first()
        reviews = conn.execute(sa.select(qa.qa_reviews).where(qa.qa_reviews.c.call_sid == sid)
                               ).all()
        audit.append(conn, "data_access", g.user["name"], what="call review", call_sid=sid)
    decisions = []
    for t in turns:
        parsed = open_json(crypt, t.nlu) or {}
        decisions.append({"seq": t.seq, "event": t.event, "decision": t.decision or "",
                          "caller": open_text(crypt, t.caller_text) or "",
                          "reply": open_text(crypt, t.reply) or "", "intent": parsed.get("intent"),
                          "confidence": parsed.get("confidence"), "ms": t.duration_ms})
    context = None
    if handoff is not None:
        context = {"category": handoff.category, "target": handoff.target,
                   "reason": handoff.reason, "sentiment": handoff.sentiment,
                   "whisper": open_text(crypt, handoff.whisper),
                   "status": handoff.dial_status}
    return page(f"Call {sid}", """<h1>Call review</h1><p>{{ st.started_at.strftime('%Y-%m-%d
%H:%M') }} · {{ st.call_type or 'no call type' }} · {{ st.status }}{% if st.escalation %} ·
escalated: {{ st.escalation }}{% endif %} · consent: {{ st.consent }}</p>
{% if ctx %}<h2>Handoff context</h2><p>{{ ctx.category }} to {{ ctx.target }} ({{ ctx.status or
'not dialled' }}): {{ ctx.reason }}. Whisper: "{{ ctx.whisper }}". Sentiment
{{ '%.2f'|format(ctx.sentiment) }}.</p>{% endif %}
<h2>Turns and decisions</h2><table><tr><th>#</th><th>caller</th><th>intent (confidence)</th>
<th>decision</th><th>receptionist</th><th>ms</th></tr>{% for d in decisions %}<tr>
<td>{{ d.seq }}</td><td>{{ d.caller }}</td><td>{{ d.intent or '' }}{% if d.confidence is not
none %} ({{ '%.2f'|format(d.confidence) }}){% endif %}</td><td>{{ d.decision }}</td>
<td>{{ d.reply }}</td><td>{{ '%.0f'|format(d.ms or 0) }}</td></tr>{% endfor %}</table>
<p>Recording: none kept (Twilio speech turns; voicemails are on their callback tickets).</p>
<h2>Reviews</h2>{% for r in reviews %}<p>{{ r.reviewer }}: {{ 'pass' if r.passed else 'FAIL' }}
(accuracy {{ r.accuracy }}, brand voice {{ r.brand_voice }}, satisfaction {{ r.satisfaction }})
</p>{% else %}<p>Not reviewed yet.</p>{% endfor %}
<p>Keep it as a regression check: <code>receptionist scenarios from-call {{ sid }}</code></p>""",
                st=state, ctx=context, decisions=decisions, reviews=reviews, sid=sid)


@bp.get("/qa")
@needs("viewer")
def qa_queue() -> Any:
    """This period's QA sample and which calls are reviewed."""
    rec = _rec()
    today = datetime.now(UTC).date()
    launch = date.fromisoformat(request.args.get("launch", str(today - timedelta(days=30))))
    day = date.fromisoformat(request.args.get("day", str(today)))
    period, start, end = qa.period_of(day, launch)
    with rec.engine.connect() as conn:
        sample = qa.sample(conn, period, start, end)
        done = {r.call_sid: r.passed for r in conn.execute(sa.select(qa.qa_reviews).where(
            qa.qa_reviews.c.period == period))}
    return page("QA queue", """<h1>QA queue: {{ period }}</h1><p>{{ sample|length }} calls,
{{ done|length }} reviewed.</p><table><tr><th>call</th><th>call type</th><th>language</th>
<th>status</th><th>review</th></tr>{% for c in sample %}<tr><td>{% if can_review %}<a
href="{{ url_for('dashboard.call_detail', sid=c.call_sid) }}">{{ c.call_sid }}</a>{% else %}
{{ c.call_sid }}{% endif %}</td>
<td>{{ c.call_type or '-' }}</td><td>{{ c.language }}</td><td>{{ c.status }}</td><td>
{% if c.call_sid in done %}{{ 'pass' if done[c.call_sid] else 'FAIL' }}
{% elif can_review %}<form method="post" action="{{ url_for('dashboard.review',
call_sid=c.call_sid) }}"><input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="period" value="{{ period }}">
{% for f in ['accuracy', 'brand_voice', 'satisfaction'] %}<label>{{ f|replace('_', ' ') }}
<select name="{{ f }}">{% for n in range(1, 6) %}<option>{{ n }}</option>{% endfor %}</select>
</label>{% endfor %}<label><input type="checkbox" name="escalation_correct" checked>
escalation right</label> <input name="notes" placeholder="notes">
<button type="submit">Save</button></form>{% else %}-{% endif %}</td></tr>{% endfor %}
</table>""", period=period, sample=sample, done=done,
                can_review=ROLES.index(g.user["role"]) >= ROLES.index("reviewer"))


@bp.post("/qa/<call_sid>")
@needs("reviewer")
def review(call_sid: str) -> Any:
    """Save a rubric review."""
    rec = _rec()
    with rec.engine.begin() as conn:
        passed = qa.review(conn, call_sid, request.form.get("period", ""), g.user["name"],
                           accuracy=int(request.form.get("accuracy", 0)),
                           brand_voice=int(request.form.get("brand_voice", 0)),
                           escalation_correct="escalation_correct" in request.form,
                           satisfaction=int(request.form.get("satisfaction", 0)),
                           notes=request.form.get("notes", ""), crypt=rec.service.crypt)
    flash(f"Review saved: {'pass' if passed else 'FAIL'}.")
    return redirect(url_for("dashboard.qa_queue"))
