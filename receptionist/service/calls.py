"""The I/O side of a call: NLU before the engine, one transaction per event, actions, outbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection, Engine

from integrations.sql import SqlIntegrations
from receptionist.compliance import audit
from receptionist.compliance.redact import strip_cards
from receptionist.compliance.tcpa import caller_state
from receptionist.core import engine as call_engine
from receptionist.core.actions import Gather, RunAction, Say, Transfer
from receptionist.core.errors import MalformedWebhook
from receptionist.core.events import ActionResult, CallStarted, DtmfPressed, SpeechRecognized
from receptionist.core.runner import escalate
from receptionist.core.state import CallState
from receptionist.core.world import World
from receptionist.nlu import NluEngine
from receptionist.rollout import stages as rollout
from receptionist.service import executor
from receptionist.speech.numbers import normalise
from receptionist.storage import calls as store

log = logging.getLogger("receptionist.service.calls")
OUTBOX_BATCH = 20  # rows one drain delivers at most (a call's end, or one `outbox run` pass)
KILL_SWITCH_SAY = "Thank you for calling. Let me connect you with our front desk."


@dataclass
class Outcome:
    """What one event led to: the new state, the actions to render, stored handoff ids."""

    state: CallState
    actions: list[Any]
    handoff_ids: dict[int, int]  # index in actions -> handoff row id


Renderer = Callable[[Outcome], str]
IntegrationsFactory = Callable[[Connection], Any]


class CallService:
    """Feed events to the engine, run its actions and keep everything in the database."""

    def __init__(self, world: World, engine: Engine, nlu: NluEngine,
                 integrations: IntegrationsFactory | None = None,
                 crm: IntegrationsFactory | None = None, crypt: Any = None) -> None:
        self.world, self.db, self.nlu, self.crypt = world, engine, nlu, crypt
        self.integrations = integrations or (
            lambda conn: SqlIntegrations(conn, self.world.profile, self.crypt))
        self.crm = crm or self.integrations
        self._staged: tuple[int, frozenset[str], World] | None = None

    def staged_world(self, conn: Connection) -> World:
        """The world with each call type's current stage applied (only live ones take calls)."""
        defaults = {f.flow: f.stage for f in self.world.flows.call_types()}
        current = rollout.stages(conn, defaults)
        live = frozenset(name for name, stage in current.items() if stage == "live")
        if self._staged is None or self._staged[0] != id(self.world) or self._staged[1] != live:
            self._staged = (id(self.world), live, replace(self.world, live=live))
        return self._staged[2]

    def understand(self, event: Any) -> Any:
        """Spoken numbers as digits, card numbers stripped (PCI), then the NLU result attached.

        Keyed card numbers are dropped the same way: the engine sees an empty keypad entry.
        """
        if isinstance(event, SpeechRecognized) and normalise(event.text) != event.text:
            event = event.model_copy(update={"text": normalise(event.text)})  # numbers as digits
        if isinstance(event, SpeechRecognized) and strip_cards(event.text) != event.text:
            event = event.model_copy(update={"text": strip_cards(event.text)})
        if isinstance(event, DtmfPressed) and strip_cards(event.digits) != event.digits:
            log.warning("a card number was keyed; it is dropped, never stored")
            event = event.model_copy(update={"digits": ""})
        if isinstance(event, SpeechRecognized) and event.nlu is None and event.text.strip():
            local = event.at.astimezone(self.world.profile.tz)
            return event.model_copy(update={"nlu": self.nlu.parse(event.text, now=local)})
        return event

    def handle(self, sid: str, event: Any, render: Renderer, *, key: str | None = None,
               turn: int | None = None) -> str:
        """Process one event of a call atomically and return the rendered response.

        `turn`: the turn a gather answers. An answer to an older question (a stale gather) is
        not applied: the caller is asked the current question again.
        """
        event = self.understand(event)
        with self.db.begin() as conn:
            store.lock_call(conn, sid)  # every request of this call waits for the one before
            if key is not None:
                previous = store.seen_request(conn, key, self.crypt)
                if previous is not None:
                    log.info("call %s: repeated webhook, answering as before", sid)
                    return previous
            started = time.perf_counter()
            state = store.load_state(conn, sid, crypt=self.crypt)
            if state is None and not isinstance(event, CallStarted):
                raise MalformedWebhook(f"unknown CallSid {sid}: the call never started here")
            new = state is None
            if state is not None and turn is not None and turn != state.seq:
                log.warning("call %s: answer to turn %s arrived at turn %s; asking again", sid,
                            turn, state.seq)
                return render(Outcome(state, [Gather(prompt=state.last_prompt)], {}))
            world = self.staged_world(conn)
            killed = rollout.kill_switch(conn) if isinstance(event, CallStarted) else None
            outcome = (self._killed(world, event, killed) if killed
                       else self._decide(conn, world, state, event))
            store.save_state(conn, outcome.state, new=new, crypt=self.crypt)
            outcome.handoff_ids = {i: store.add_handoff(conn, sid, a, self.crypt)
                                   for i, a in enumerate(outcome.actions)
                                   if isinstance(a, Transfer)}
            store.add_turn(conn, sid, event, outcome.state, outcome.actions,
                           (time.perf_counter() - started) * 1000, self.crypt)
            self._audit(conn, state, outcome)
            if outcome.state.phase == "ended" and event.kind == "call_ended":
                store.save_disposition(conn, outcome.state, executor.summarise(outcome.state))
            response = render(outcome)
            if key is not None:
                store.remember_request(conn, key, sid, response, self.crypt)
        if event.kind == "call_ended":
            self.drain_outbox()
        return response

    def _audit(self, conn: Connection, before: CallState | None, outcome: Outcome) -> None:
        """Audit the decisions of this event: consent, escalations and handoffs."""
        st = outcome.state
        if before is None:
            audit.append(conn, "consent", "receptionist", call_sid=st.call_sid,
                         consent="implied after disclosure", caller=st.caller,
                         two_party_state=self._two_party(st.caller))
        elif before.consent != st.consent:
            audit.append(conn, "consent", "receptionist", call_sid=st.call_sid,
                         consent=st.consent)
        for action in outcome.actions:
            if isinstance(action, Transfer):
                h = action.handoff
                audit.append(conn, "handoff", "receptionist", call_sid=st.call_sid,
                             category=h.category, target=h.target, reason=h.reason)

    def _two_party(self, number: str) -> bool:
        states = getattr(self.world.compliance, "two_party_consent_states", ())
        return caller_state(number) in states

    def _killed(self, world: World, event: CallStarted, switch: dict[str, Any]) -> Outcome:
        """The kill switch is on: every call goes straight to the front desk."""
        state = CallState(call_sid=event.call_sid, caller=event.caller, called=event.called,
                          started_at=event.at, seq=1)
        actions: list[Any] = []
        escalate(world, state, "human_request", f"kill switch on: {switch['reason']}",
                 event.at, actions, announce=False)
        state.escalation = "kill_switch"
        state.transcript.append(("receptionist", KILL_SWITCH_SAY))
        return Outcome(state, [Say(text=KILL_SWITCH_SAY)] + actions, {})

    def _decide(self, conn: Connection, world: World, state: CallState | None,
                event: Any) -> Outcome:
        if isinstance(event, CallStarted) and state is not None:
            return Outcome(state, [Gather(prompt=state.last_prompt)], {})  # Twilio re-asked
        state, pending = call_engine.step(world, state, event)
        state, output = call_engine.drain(
            world, state, pending, lambda st, action: self._run(conn, st, action, event.at))
        return Outcome(state, output, {})

    def _run(self, conn: Connection, st: CallState, action: RunAction, at: Any) -> ActionResult:
        ctx = executor.ActionContext(
            integrations=self.integrations(conn), profile=self.world.profile,
            call_sid=st.call_sid, caller=st.caller, now=at, state=st,
            enqueue=lambda kind, payload: store.enqueue(conn, kind, payload))
        savepoint = conn.begin_nested()
        try:
            data = executor.run(ctx, action.name, action.args)
            savepoint.commit()
            if executor.REGISTRY[action.name][0] == "command":
                audit.append(conn, "command", "receptionist", call_sid=st.call_sid,
                             action=action.name, ok=True)
            return ActionResult(at=at, name=action.name, ok=True, data=data)
        except Exception as exc:  # noqa: BLE001 - any integration failure becomes a result
            savepoint.rollback()
            log.warning("call %s: action %s failed: %s", st.call_sid, action.name, exc)
            return ActionResult(at=at, name=action.name, ok=False, error=str(exc))

    def drain_outbox(self, limit: int = OUTBOX_BATCH) -> tuple[int, int]:
        """Deliver due outbox rows to the CRM; return (delivered, failed). Failures are retried.

        Each row is claimed in its own transaction (`FOR UPDATE SKIP LOCKED`), delivered and
        marked done before the lock is let go: two runners never deliver the same row, and a
        delivery repeated after a crash carries the row's idempotency key to the CRM.
        """
        delivered = failed = 0
        for _ in range(limit):
            with self.db.begin() as conn:
                row = store.claim_outbox(conn)
                if row is None:
                    break
                savepoint = conn.begin_nested()
                try:
                    self._deliver(conn, row)
                    savepoint.commit()
                    store.outbox_done(conn, row.id)
                    delivered += 1
                except Exception as exc:  # noqa: BLE001 - the row keeps the error and retries
                    savepoint.rollback()
                    store.outbox_failed(conn, row, f"{type(exc).__name__}: {exc}")
                    log.warning("outbox %s (%s) failed: %s", row.id, row.kind, exc)
                    failed += 1
        return delivered, failed

    def _deliver(self, conn: Connection, row: Any) -> None:
        if row.kind != "crm_timeline":
            raise ValueError(f"unknown outbox kind {row.kind}")
        p = row.payload
        self.crm(conn).append_timeline(p.get("contact_id"), p.get("phone") or "", "call",
                                       p.get("summary") or "", p,
                                       idempotency_key=f"outbox:{row.id}")
        audit.append(conn, "crm_write", "receptionist", call_sid=p.get("call_sid"),
                     contact_id=p.get("contact_id"), disposition=p.get("disposition"))
