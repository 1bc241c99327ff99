"""Walk a flow's steps until the engine must wait: for the caller, or for an action's result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from receptionist.core import slots, templates
from receptionist.core.actions import Action, Gather, Hangup, RunAction, Say, Transfer
from receptionist.core.escalation import MESSAGE
from receptionist.core.events import NluResult
from receptionist.core.flowspec import (
    ActionStep,
    Branch,
    CallStep,
    CollectStep,
    EndStep,
    HandoffStep,
    ReturnStep,
    SayStep,
    SetStep,
)
from receptionist.core.handoff import handoff_context
from receptionist.core.state import CallState, note
from receptionist.core.world import CALLBACK_FLOW

MAX_STEPS_PER_TURN = 60
MAX_VISITS_PER_STEP = 3  # a question reached a fourth time means the call goes in circles
PREFILL_TYPES = ("appointment_type", "person", "insurer", "datetime", "date", "choice")


class FlowRuntimeError(RuntimeError):
    """A flow went somewhere its data does not allow (no matching branch, a loop)."""


def line(world: Any, name: str) -> str:
    """One of the receptionist's own lines (conversation defaults), placeholders filled."""
    text: str = getattr(world.conversation, name)
    return templates.render(text, {"practice": world.practice})


def context(world: Any, st: CallState) -> dict[str, Any]:
    """What templates and action arguments are filled from."""
    return {**st.slots, "practice": world.practice, "caller": st.caller}


def start_flow(world: Any, st: CallState, name: str, nlu: NluResult | None, at: datetime,
               out: list[Action]) -> None:
    """Begin a call type, filling slots the caller's first sentence already answered."""
    flow = world.flows.flows[name]
    st.phase, st.flow, st.step, st.attempts, st.misunderstood = "in_flow", name, flow.first, 0, 0
    if flow.kind == "call_type":
        st.call_type = st.call_type or name
        st.call_types.append(name)
        st.disposition = None
        st.slots["start_intent"] = nlu.intent if nlu else None
    st.decision = f"start flow {name}"
    if nlu is not None:
        _prefill(world, st, flow, nlu, at)
    advance(world, st, at, out)


def _prefill(world: Any, st: CallState, flow: Any, nlu: NluResult, at: datetime) -> None:
    for step in flow.steps:
        if isinstance(step, CollectStep) and step.prefill and step.type in PREFILL_TYPES \
                and step.collect not in st.slots:
            parsed = slots.parse(step, nlu.text, nlu, digits=None, profile=world.profile,
                                 now=at, caller=st.caller)
            if parsed.ok:
                st.slots[step.collect] = parsed.value


def jump(world: Any, st: CallState, current: Any, at: datetime, out: list[Action]) -> None:
    """Leave the current step by its `next` and carry on."""
    st.step = next_step(current, st.slots)
    advance(world, st, at, out)


def next_step(step: Any, values: dict[str, Any]) -> str:
    """Resolve a step's `next`: a step id, or the first branch whose condition holds."""
    if isinstance(step.next, str):
        return str(step.next)
    for branch in step.next or ():
        if isinstance(branch, Branch):
            if branch.if_.holds(values):
                return str(branch.then)
        else:
            return str(branch.else_)
    raise FlowRuntimeError(f"step '{step.id}': no branch matched and there is no else")


def advance(world: Any, st: CallState, at: datetime, out: list[Action]) -> None:
    """Run steps from the current one until the caller must speak or an action must run."""
    for _ in range(MAX_STEPS_PER_TURN):
        flow = world.flows.flows[st.flow]
        current = flow.step(st.step)
        ctx = context(world, st)
        if isinstance(current, CollectStep):
            if current.collect in st.slots and not current.ask_always:
                st.step = next_step(current, st.slots)
                continue
            key = f"{st.flow}.{current.id}"
            st.visits[key] = st.visits.get(key, 0) + 1
            if st.visits[key] > MAX_VISITS_PER_STEP:  # going round in circles: a person helps
                escalate(world, st, "repeated_failure", "asked for the "
                         f"{current.collect.replace('_', ' ')} {MAX_VISITS_PER_STEP} times", at,
                         out)
                return
            if current.ask_always and st.attempts == 0:
                st.slots.pop(current.collect, None)
            ask(st, out, templates.render(current.prompt, ctx), current.hints
                + tuple(v.replace("_", " ") for v in current.options), current.type)
            return
        if isinstance(current, SayStep):
            _say(st, out, templates.render(current.say, ctx))
        elif isinstance(current, SetStep):
            st.slots.update(current.set)
        elif isinstance(current, ActionStep):
            out.append(RunAction(name=current.action, args=_args(current.args, ctx)))
            st.decision = f"run {current.action}"
            return
        elif isinstance(current, CallStep):
            st.stack.append((st.flow or "", current.id))
            st.flow, st.step = current.call, world.flows.flows[current.call].first
            continue
        elif isinstance(current, ReturnStep):
            caller_flow, call_step = st.stack.pop()
            st.flow = caller_flow
            st.step = next_step(world.flows.flows[caller_flow].step(call_step), st.slots)
            continue
        elif isinstance(current, EndStep):
            _end(world, st, current, ctx, out)
            return
        elif isinstance(current, HandoffStep):
            if current.say:
                _say(st, out, templates.render(current.say, ctx))
            escalate(world, st, current.handoff, templates.render(current.reason, ctx),
                     at, out, announce=not current.say)
            return
        st.step = next_step(current, st.slots)
    raise FlowRuntimeError(f"flow '{st.flow}' ran {MAX_STEPS_PER_TURN} steps without waiting")


def _args(args: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    """Fill action arguments; a lone "{name}" passes the value itself, not its text."""
    filled = {}
    for key, value in args.items():
        match = templates.PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
        if match:
            filled[key] = templates.lookup(ctx, match.group(1), match.group(2))
        elif isinstance(value, str):
            filled[key] = templates.render(value, ctx)
        else:
            filled[key] = value
    return filled


def _say(st: CallState, out: list[Action], text: str) -> None:
    note(st, "receptionist", text)
    out.append(Say(text=text))


def ask(st: CallState, out: list[Action], prompt: str, hints: tuple[str, ...] = (),
        expect: str | None = None) -> None:
    """Ask the caller something and wait for the answer."""
    st.last_prompt = prompt
    note(st, "receptionist", prompt)
    out.append(Gather(prompt=prompt, hints=hints, expect=expect))


def _end(world: Any, st: CallState, step: EndStep, ctx: dict[str, Any], out: list[Action]) -> None:
    st.disposition = step.end
    st.dispositions.append(step.end)
    st.stack.clear()
    st.decision = f"end {step.end}"
    if step.say:
        _say(st, out, templates.render(step.say, ctx))
    if step.then == "hangup":
        _say(st, out, line(world, "goodbye"))
        st.phase, st.status = "ended", "completed"
        out.append(Hangup())
        return
    st.phase, st.flow, st.step = "anything_else", None, None
    ask(st, out, line(world, "anything_else"), world.conversation.anything_else_hints)


def take_voicemail(st: CallState, why: str, out: list[Action]) -> None:
    """Open a callback ticket, then record the caller's message (the engine plays the prompt)."""
    st.phase, st.status, st.disposition = "voicemail", "voicemail", "callback_ticket"
    st.decision = f"voicemail and callback ticket: {why}"
    out.append(RunAction(name="create_ticket", args={
        "kind": "callback", "reason": st.escalation_reason or st.escalation or "callback",
        "category": st.escalation, "callback_number": st.caller,
        "caller_name": st.slots.get("full_name"), "for_target": st.transfer_to}))


def escalate(world: Any, st: CallState, category: str, why: str, at: datetime, out: list[Action],
             *, announce: bool = True) -> None:
    """Hand the call over for this category: transfer with a whisper, or take a message."""
    rules = world.matrix.categories.get(category) or world.matrix.categories["human_request"]
    target = world.matrix.target_for(category if category in world.matrix.categories
                                     else "human_request", world.profile, at)
    st.escalation = st.escalation or category
    st.escalation_reason = why
    st.decision = f"escalate {category} -> {target}: {why}"
    if announce:
        _say(st, out, rules.say)
    if target == MESSAGE:
        if CALLBACK_FLOW in (st.flow, *(f for f, _ in st.stack)):
            # taking the message failed too: never start it again, take a voicemail instead
            _say(st, out, line(world, "voicemail_instead"))
            take_voicemail(st, why, out)
            return
        st.stack.clear()
        st.slots["callback_reason"] = why
        start_flow(world, st, CALLBACK_FLOW, None, at, out)
        return
    st.phase, st.status, st.transfer_to = "handoff", "transferred", target
    st.disposition = st.disposition or "transferred"
    out.append(Transfer(handoff=handoff_context(world, st, category, why, target)))
