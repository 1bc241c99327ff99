"""Dashboard pages. Nothing is visible without a login; forms carry a CSRF token."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from receptionist.compliance import audit
from receptionist.compliance.redact import redact
from receptionist.dashboard.auth import (
    ROLES,
    LoginThrottled,
    check_csrf,
    check_login,
    csrf_token,
    end_session,
    needs,
    open_session,
    record_attempt,
)
from receptionist.dashboard.playback import player
from receptionist.rollout import charts, kpi, qa
from receptionist.rollout import stages as rollout
from receptionist.rollout.lifecycle import current_stages
from receptionist.storage import calls as store
from receptionist.storage import db, recordings, tables
from receptionist.storage.crypto import open_json, open_text

PERIOD = re.compile(r"\d{4}-(W\d{2}|\d{2})")
MAX_NOTES = 4000
bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")



def page(template: str, title: str, **ctx: Any) -> str:
    """Render one of `templates/` (autoescaped) inside the layout."""
    return render_template(template, title=title, csrf=csrf_token(), staff=session.get("user"),
                           **ctx)


def _rec() -> Any:
    return current_app.extensions["receptionist"]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with a staff account."""
    if request.method == "POST":
        check_csrf()
        try:
            with _rec().engine.begin() as conn:
                user = check_login(conn, request.form.get("username", ""),
                                   request.form.get("password", ""))
                sid = open_session(conn, user.username) if user is not None else ""
        except LoginThrottled as exc:
            with _rec().engine.begin() as conn:  # the refusal itself is kept and audited
                record_attempt(conn, request.form.get("username", "")[:120],
                               request.remote_addr or "?", ok=False, kind="login_throttled")
            flash(f"Login refused: {exc}.")
            return page("login.html", "Log in"), 429
        if user is not None:
            session.clear()
            session["user"] = {"name": user.username, "role": user.role}
            session["sid"] = sid
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/dashboard") else
                            url_for("dashboard.overview"))
        flash("Wrong user name or password.")
    return page("login.html", "Log in")


@bp.get("/logout")
def logout() -> Any:
    """Log out: the server forgets the session, so a copied cookie stops working too."""
    if session.get("sid"):
        with _rec().engine.begin() as conn:
            end_session(conn, session["sid"])
    session.clear()
    return redirect(url_for("dashboard.login"))


@bp.get("/")
@needs("viewer")
def overview() -> Any:
    """KPIs against the baseline, the day-90 call, drift alerts, rollout state, kill switch."""
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
    return page("overview.html", "Overview",
                rows=rows, day90=kpi.recommendation(rows, contained), contained=contained,
                chart=charts.kpi_change(rows), alerts=alerts, stages=stages, switch=switch,
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
    return page("intents.html", "Call types",
                rows=rows, coverage=coverage)


@bp.get("/calls")
@needs("viewer")
def calls() -> Any:
    """Recent calls with their handoff context (personal data redacted)."""
    rec = _rec()
    crypt = rec.service.crypt
    with rec.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.calls).order_by(tables.calls.c.started_at.desc())
                            .limit(50)).all()
        handoffs = {h.call_sid: h for h in conn.execute(sa.select(tables.handoffs).where(
            tables.handoffs.c.call_sid.in_([r.sid for r in rows])))}
    items = []
    for r in rows:
        h = handoffs.get(r.sid)
        whisper = open_text(crypt, h.whisper) if h else ""
        items.append({"sid": r.sid, "at": db.from_db(r.started_at), "caller": redact(r.caller),
                      "call_type": r.call_type, "status": r.status, "escalation": r.escalation,
                      "handoff": redact(whisper or "") if h else "",
                      "reason": h.reason if h else ""})
    return page("calls.html", "Recent calls", items=items)


@bp.get("/calls/<sid>")
@needs("reviewer")
def call_detail(sid: str) -> Any:
    """One call for review: transcript, decisions with confidence, handoff context."""
    rec = _rec()
    crypt = rec.service.crypt
    with rec.engine.begin() as conn:
        state = store.load_state(conn, sid, lock=False, crypt=crypt)
        if state is None:
            return page("not_found.html", "Not found", what="call"), 404
        turns = conn.execute(sa.select(tables.turns).where(tables.turns.c.call_sid == sid)
                             .order_by(tables.turns.c.seq)).all()
        handoff = conn.execute(sa.select(tables.handoffs).where(tables.handoffs.c.call_sid == sid)
                               ).first()
        reviews = conn.execute(sa.select(qa.qa_reviews).where(qa.qa_reviews.c.call_sid == sid)
                               ).all()
        audit.append(conn, "data_access", g.user["name"], what="call review", call_sid=sid)
        audio = player(conn, crypt, sid)
        remote = next((p.twilio_sid for p in recordings.parts(conn, sid)
                       if p.status == "remote"), None)
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
    return page("call_detail.html", f"Call {sid}", st=state, ctx=context, decisions=decisions,
                reviews=reviews, sid=sid, audio=audio, remote=remote)


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
        can_review = ROLES.index(g.user["role"]) >= ROLES.index("reviewer")
        players = {c["call_sid"]: player(conn, rec.service.crypt, c["call_sid"])
                   for c in sample} if can_review else {}
    return page("qa_queue.html", "QA queue", period=period, sample=sample, done=done,
                can_review=can_review, players=players)


@bp.post("/qa/<call_sid>")
@needs("reviewer")
def review(call_sid: str) -> Any:
    """Save a rubric review."""
    rec = _rec()
    period, notes = request.form.get("period", ""), request.form.get("notes", "")
    if not PERIOD.fullmatch(period):
        abort(400, "period must look like 2026-W46 or 2026-11")
    if len(notes) > MAX_NOTES:
        abort(400, f"notes are limited to {MAX_NOTES} characters")
    scores = {name: _score(name) for name in ("accuracy", "brand_voice", "satisfaction")}
    with rec.engine.begin() as conn:
        if conn.execute(sa.select(tables.calls.c.sid).where(
                tables.calls.c.sid == call_sid)).first() is None:
            abort(404, f"no call {call_sid}")
        passed = qa.review(conn, call_sid, period, g.user["name"],
                           escalation_correct="escalation_correct" in request.form,
                           notes=notes, crypt=rec.service.crypt, **scores)
    flash(f"Review saved: {'pass' if passed else 'FAIL'}.")
    return redirect(url_for("dashboard.qa_queue"))


def _score(name: str) -> int:
    """A rubric score from the form: 1 to 5, or a 400 that says what is wrong."""
    raw = request.form.get(name, "")
    if not raw.isdigit() or not 1 <= int(raw) <= 5:
        abort(400, f"{name} must be a whole number from 1 to 5")
    return int(raw)
