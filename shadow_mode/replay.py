"""Offline replay: calls that humans handled, run through the engine, decision by decision.

Input JSONL, one call per line: {"call_id", "from", "started_at", "turns": [{"speaker":
"caller"|"staff", "text", "t"}], "human": {"call_type", "escalated", "escalation_reason",
"resolved"}}. Output JSONL, one line per call: call_id, call_type, escalation, would_contain and
the per-turn decisions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine

from integrations.sql import SqlIntegrations
from receptionist.core import engine as call_engine
from receptionist.core.actions import RunAction, Transfer
from receptionist.core.errors import ReceptionistError
from receptionist.core.events import ActionResult, CallEnded, CallStarted, SpeechRecognized
from receptionist.core.state import contained
from receptionist.service import executor

CONTAINED = {"completed"}


class Turn(BaseModel):
    """One utterance of a recorded call."""

    model_config = ConfigDict(extra="forbid")
    speaker: str = Field(pattern="^(caller|staff)$")
    text: str
    t: float = 0.0


class HumanOutcome(BaseModel):
    """What the front desk did (the ground truth)."""

    model_config = ConfigDict(extra="allow")
    call_type: str | None = None
    escalated: bool | None = None
    escalation_reason: str | None = None
    resolved: bool | None = None


class RecordedCall(BaseModel):
    """A call as the phone system and the front desk recorded it."""

    model_config = ConfigDict(extra="allow")
    call_id: str
    from_: str = Field(alias="from")
    started_at: datetime
    turns: list[Turn]
    human: HumanOutcome = HumanOutcome()


class BadPilotLine(ReceptionistError):
    """A line of a pilot file is not a recorded call."""


def read_calls(path: Path) -> Iterator[RecordedCall]:
    """Read a pilot JSONL file, naming the line of any bad record."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield RecordedCall.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            raise BadPilotLine(f"{path}:{number}: not a recorded call: {exc}") from exc


class ShadowExecutor:
    """Runs queries (read-only) and records commands without performing them."""

    def __init__(self, integrations: Any, world: Any) -> None:
        self.integrations, self.world = integrations, world
        self.commands: list[dict[str, Any]] = []

    def run(self, st: Any, action: RunAction, at: datetime) -> ActionResult:
        """Answer one action the engine asked for."""
        kind = executor.REGISTRY.get(action.name, ("query", None))[0]
        if kind == "command":
            self.commands.append({"action": action.name, "args": action.args})
            return ActionResult(at=at, name=action.name, ok=True, data=_simulated(action))
        ctx = executor.ActionContext(integrations=self.integrations, profile=self.world.profile,
                                     call_sid=st.call_sid, caller=st.caller, now=at, state=st,
                                     enqueue=lambda *_: None)
        try:
            return ActionResult(at=at, name=action.name, ok=True,
                                data=executor.run(ctx, action.name, action.args))
        except Exception as exc:  # noqa: BLE001 - a failed query is a result, as in live calls
            return ActionResult(at=at, name=action.name, ok=False, error=str(exc))


def _simulated(action: RunAction) -> dict[str, Any]:
    """What a command would have returned, so the conversation can go on in shadow."""
    args = action.args
    if action.name == "create_contact":
        return {"verified": True, "new": True, "id": 0, "first_name": (args.get("name") or
                                                                       "").split(" ")[0]}
    if action.name in ("book_appointment", "reschedule_appointment"):
        slot = args.get("slot") or {}
        return {"label": slot.get("label"), "provider": slot.get("provider"), "simulated": True}
    if action.name == "create_ticket":
        return {"ticket": None, "simulated": True}
    return {"simulated": True}


class ShadowCall:
    """One call shadowed turn by turn: the engine decides, nothing is done.

    `queries()` gives the integrations for one turn as a context manager: offline replay passes
    one rolled-back transaction for the whole file, a live shadow opens (and rolls back) one per
    turn so it never holds the database.
    """

    def __init__(self, world: Any, nlu: Any, queries: Callable[[], Any], call_id: str,
                 caller: str, started_at: datetime) -> None:
        self.world, self.nlu, self.queries = world, nlu, queries
        self.call_id, self.caller, self.started_at = call_id, caller, started_at
        self.decisions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.transcript: list[dict[str, Any]] = []
        st, pending = call_engine.step(world, None, CallStarted(
            at=started_at, call_sid=call_id, caller=caller))
        self.st = self._drain(st, pending, started_at, [])

    def _drain(self, st: Any, pending: list[Any], at: datetime, said: list[Any]) -> Any:
        with self.queries() as integrations:
            shadow = ShadowExecutor(integrations, self.world)
            st, output = call_engine.drain(self.world, st, pending,
                                           lambda now, action: shadow.run(now, action, at))
        said += output
        self.commands += shadow.commands
        return st

    def staff_said(self, text: str, t: float) -> None:
        """The staff member's words: kept for the transcript, never acted on."""
        self.transcript.append({"speaker": "staff", "text": text, "t": t})

    def caller_said(self, text: str, t: float) -> dict[str, Any]:
        """Decide what the AI would have done about one caller utterance."""
        self.transcript.append({"speaker": "caller", "text": text, "t": t})
        at = self.started_at + timedelta(seconds=t)
        if self.st.phase in ("handoff", "ended", "voicemail"):
            decision = {"t": t, "caller": text, "decision": "after handoff/end"}
            self.decisions.append(decision)
            return decision
        parsed = self.nlu.parse(text, now=at.astimezone(self.world.profile.tz))
        said: list[Any] = []
        st, pending = call_engine.step(self.world, self.st, SpeechRecognized(
            at=at, text=text, nlu=parsed))
        self.st = st = self._drain(st, pending, at, said)
        decision = {"t": t, "caller": text, "intent": parsed.intent,
                    "confidence": parsed.confidence, "decision": st.decision, "flow": st.flow,
                    "step": st.step, "escalation": st.escalation,
                    "reply": " ".join(str(getattr(a, "text", None) or getattr(a, "prompt", ""))
                                      for a in said).strip(),
                    "transfer_to": next((a.handoff.target for a in said
                                         if isinstance(a, Transfer)), None)}
        self.decisions.append(decision)
        return decision

    def end(self, t: float, human: dict[str, Any] | None = None) -> dict[str, Any]:
        """The call is over: what the AI would have done, in the replay output's shape."""
        end_at = self.started_at + timedelta(seconds=t + 1)
        st, pending = call_engine.step(self.world, self.st, CallEnded(at=end_at))
        st = self._drain(st, pending, end_at, [])
        return {"call_id": self.call_id, "from": self.caller,
                "started_at": self.started_at.isoformat(), "call_type": st.call_type,
                "escalation": st.escalation, "transfer_to": st.transfer_to,
                "would_contain": contained(st.status, st.escalation, st.call_type),
                "disposition": st.disposition, "decisions": self.decisions,
                "would_have_done": self.commands, "human": human or {},
                "transcript": self.transcript}


def replay_call(call: RecordedCall, world: Any, nlu: Any, integrations: Any) -> dict[str, Any]:
    """Run one recorded call through the engine; return what the AI would have done."""
    shadow = ShadowCall(world, nlu, lambda: nullcontext(integrations), call.call_id,
                        call.from_, call.started_at)
    for turn in call.turns:
        if turn.speaker == "caller":
            shadow.caller_said(turn.text, turn.t)
        else:
            shadow.staff_said(turn.text, turn.t)
    return shadow.end(call.turns[-1].t if call.turns else 0, call.human.model_dump())


def replay(calls: Iterable[RecordedCall], world: Any, nlu: Any, engine: Engine,
           progress: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """Replay calls read-only: every query runs inside a transaction that is rolled back."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            integrations = SqlIntegrations(conn, world.profile)
            for n, call in enumerate(calls, start=1):
                yield replay_call(call, world, nlu, integrations)
                if progress:
                    progress(n)
        finally:
            transaction.rollback()
