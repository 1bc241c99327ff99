"""The call engine: `step(world, state, event) -> (state, actions)`. Pure: no I/O, no clock.

Escalation is checked on every caller turn before any flow logic, so a request for a person,
DTMF 0 or a safety phrase is honoured at once, in any step, without a re-prompt.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from receptionist.core import sentiment
from receptionist.core.actions import Action, Gather, Hangup, RunAction, Say, Voicemail
from receptionist.core.events import (
    ActionResult,
    CallEnded,
    CallStarted,
    DialFinished,
    DtmfPressed,
    Event,
    NluResult,
    NoInput,
    SpeechRecognized,
    VoicemailRecorded,
)
from receptionist.core.flowspec import CollectStep
from receptionist.core.runner import (
    advance,
    ask,
    context,
    escalate,
    jump,
    start_flow,
    take_voicemail,
)
from receptionist.core.runner import line as _line
from receptionist.core.slots import YES, grouped, parse, spoken, yes_or_no
from receptionist.core.state import CallState, note
from receptionist.core.templates import render
from receptionist.core.world import World

REFUSAL = re.compile(r"\b(no recording|don'?t record|do not record|stop recording|"
                     r"don'?t want (to be|this) recorded|not be recorded)\b", re.I)
ENGINE_SLOTS = frozenset({"start_intent"})
# What opens a question and makes no sense before asking it again ("Sure. What's your name?")
THANKS = re.compile(r"^(thank you|thanks|sure|great|okay|ok|got it|perfect|all right|alright)"
                    r"\b[^.!?]*[.!]\s*", re.I)
ENDING_INTENTS = ("deny", "goodbye")
REPEAT = re.compile(r"^\s*(?:sorry|what|pardon|huh|excuse me|come again|say (?:that |it )?again|"
                    r"repeat|i didn'?t (?:hear|catch))\b", re.I)
DENIAL = re.compile(r"^\s*(?:no|nope|nah|wrong|that's wrong|that's not right|not quite)\b[\s,.!]*",
                    re.I)
MAX_ACTIONS_PER_EVENT = 20  # a flow that chains more actions than this is stuck


Actions = list[Action]


def step(world: World, state: CallState | None, event: Event) -> tuple[CallState, Actions]:
    """Decide what to do about one event; return the new state and the actions to take."""
    if isinstance(event, CallStarted):
        return _start(world, event)
    if state is None:
        raise ValueError(f"{type(event).__name__} arrived before the call started")
    st = state.model_copy(deep=True)
    st.decision = ""
    st.seq += 1
    out: Actions = []
    if isinstance(event, SpeechRecognized | DtmfPressed):
        _caller_turn(world, st, event, out)
    elif isinstance(event, NoInput):
        _silence(world, st, event.at, out)
    elif isinstance(event, ActionResult):
        _action_done(world, st, event, out)
    elif isinstance(event, DialFinished):
        _dial_done(world, st, event, out)
    elif isinstance(event, VoicemailRecorded):
        note(st, "system", f"voicemail recorded ({event.duration}s)")
        out.append(RunAction(name="attach_recording", args={
            "ticket": st.slots.get("ticket"), "url": event.recording_url}))
    elif isinstance(event, CallEnded):
        _ended(world, st, event, out)
    return st, out


def drain(world: World, state: CallState, pending: Actions,
          perform: Callable[[CallState, RunAction], ActionResult],
          limit: int = MAX_ACTIONS_PER_EVENT) -> tuple[CallState, Actions]:
    """Run the named actions among `pending` through `perform` and feed each result back.

    Returns the state after the last result and the actions left for the caller's side (what to
    say, gather, transfer...). The service performs actions against the integrations, a shadow
    pilot only records them, a test fakes them: the loop is the same.
    """
    output: Actions = []
    for _ in range(limit):
        if not pending:
            break
        action = pending.pop(0)
        if not isinstance(action, RunAction):
            output.append(action)
            continue
        state, more = step(world, state, perform(state, action))
        pending = more + pending
    return state, output


def _start(world: World, event: CallStarted) -> tuple[CallState, Actions]:
    st = CallState(call_sid=event.call_sid, caller=event.caller, called=event.called,
                   started_at=event.at, after_hours=not world.profile.is_open(event.at))
    prompt = render(" ".join(filter(None, [world.disclosure, world.conversation.greeting])),
                    {"practice": world.practice})
    st.last_prompt = prompt
    note(st, "receptionist", prompt)
    st.decision = "greet"
    return st, [Gather(prompt=prompt, hints=world.menu_hints())]


def _caller_turn(world: World, st: CallState, event: SpeechRecognized | DtmfPressed,
                 out: Actions) -> None:
    text = event.text if isinstance(event, SpeechRecognized) else ""
    nlu = event.nlu if isinstance(event, SpeechRecognized) else None
    dtmf = event if isinstance(event, DtmfPressed) else None
    st.turns += 1
    st.silences = 0
    st.carried = None
    note(st, "caller", text or f"[pressed {dtmf.digits if dtmf else ''}]")
    if nlu:
        st.last_intent, st.last_confidence = nlu.intent, nlu.confidence
    also = event.also_heard if isinstance(event, SpeechRecognized) else None
    if text:  # the more upset of the two hearings: a garbled curse is still a curse
        st.sentiments.append(min(sentiment.score(t) for t in (text, also) if t))
    if st.phase in ("handoff", "voicemail", "ended"):
        st.decision = "ignored: call already handed over"
        return
    spoken = event.spoken if isinstance(event, SpeechRecognized) else None
    hit = world.detector.detect(text, nlu, dtmf, answering=st.phase == "in_flow",
                                spoken=spoken) \
        or (world.detector.detect(also, None, answering=True) if also else None) \
        or _negative(world, st)
    refused = bool(text) and REFUSAL.search(text) is not None
    if hit and not (refused and hit[1].startswith("sounds like")):
        escalate(world, st, hit[0], hit[1], event.at, out)  # a refusal said in so many words
    elif refused:  # is understood, not taken for a request for a person by meaning alone
        st.consent, st.decision = "refused", "consent refused: no recording or transcript"
        st.transcript.clear()
        ask(st, out, _line(world, "consent_refused") + " " + st.last_prompt, world.menu_hints())
    elif st.phase in ("greeting", "anything_else"):
        _route(world, st, text, nlu, dtmf, event.at, out)
    else:
        confidence = event.asr_confidence if isinstance(event, SpeechRecognized) else None
        local = isinstance(event, SpeechRecognized) and event.recogniser == "local"
        below = world.conversation.read_back_below_local if local \
            else world.conversation.read_back_below
        _answer(world, st, text, nlu, dtmf, event.at, out, confidence, below)


def _negative(world: World, st: CallState) -> tuple[str, str] | None:
    category = world.matrix.get("negative_sentiment")
    if category is None or category.threshold is None or not st.sentiments:
        return None
    window = st.sentiments[-(category.after or 2):]
    if st.sentiments[-1] <= -0.99 or (len(window) == (category.after or 2)
                                        and sum(window) / len(window) <= category.threshold):
        return "negative_sentiment", f"caller upset (sentiment {st.sentiments[-1]:.2f})"
    return None


def _route(world: World, st: CallState, text: str, nlu: NluResult | None,
           dtmf: DtmfPressed | None, at: datetime, out: Actions) -> None:
    intent = nlu.intent if nlu and nlu.confidence >= world.confidence_threshold else None
    if st.phase == "anything_else" and (intent in ENDING_INTENTS or _plain_no(text)):
        _goodbye(world, st, out)
        return
    flow = _flow_for(world, intent, dtmf)
    if flow and is_live(world, flow):
        start_flow(world, st, flow, nlu, at, out)
    elif intent == "out_of_scope" or flow:
        st.call_type = st.call_type or "out_of_scope"
        st.call_types.append("out_of_scope")
        why = f"asked: {text}" if not flow else f"{flow.replace('_', ' ')} is not live yet"
        escalate(world, st, "out_of_scope", why, at, out)
    elif intent in ("greet", "affirm") or (st.phase == "anything_else" and YES.match(text or "")):
        _misunderstood(world, st, at, out,  # friendly, but no step forward: it counts
                       _line(world, "how_can_i_help" if intent != "greet" else "hello"))
    else:
        _misunderstood(world, st, at, out)


def is_live(world: World, flow: str) -> bool:
    """Whether a call type takes calls (its stage is live)."""
    return world.live is None or flow in world.live


def _plain_no(text: str) -> bool:
    lowered = text.lower().strip(" .!")
    return lowered in {"no", "nope", "no thanks", "no thank you", "that's all", "that's it",
                       "nothing", "nothing else", "i'm good", "all set"}


def _flow_for(world: World, intent: str | None, dtmf: DtmfPressed | None) -> str | None:
    if dtmf is not None:
        return next((f.flow for f in world.flows.call_types() if f.menu_key == dtmf.digits[:1]),
                    None)
    return world.flows.by_intent.get(intent or "")


def _misunderstood(world: World, st: CallState, at: datetime, out: Actions,
                   prompt: str | None = None) -> None:
    st.misunderstood += 1
    category = world.matrix.get("low_confidence")
    if category and st.misunderstood >= (category.after or 2):
        escalate(world, st, "low_confidence",
                 f"not understood {st.misunderstood} times (last intent {st.last_intent} "
                 f"at {st.last_confidence:.2f})", at, out)
        return
    st.decision = "reask: not understood"
    ask(st, out, prompt or _line(world, "not_understood") + " " + _line(world, "menu"),
        world.menu_hints())


def _goodbye(world: World, st: CallState, out: Actions) -> None:
    text = _line(world, "goodbye")
    note(st, "receptionist", text)
    st.phase, st.status, st.decision = "ended", "completed", "goodbye"
    out += [Say(text=text), Hangup()]


def _answer(world: World, st: CallState, text: str, nlu: NluResult | None,
            dtmf: DtmfPressed | None, at: datetime, out: Actions,
            confidence: float | None = None, below: float = 0.0) -> None:
    flow = world.flows.flows[st.flow or ""]
    current = flow.step(st.step or "")
    if not hasattr(current, "collect"):
        st.decision = "ignored: not waiting for an answer"
        return
    if st.read_back is not None:
        fresh = _heard_back(world, st, current, text, nlu, dtmf, at, out)
        if fresh is not None:  # a correction, or the answer to the step after the read-back
            _answer(world, st, fresh, nlu if fresh == text else None, dtmf, at, out, confidence,
                    below)
        return
    parsed = parse(current, text, nlu, digits=dtmf.digits if dtmf else None,
                   profile=world.profile, now=at, caller=st.caller)
    if not parsed.ok and current.type == "phone":
        parsed = _rest_of_number(world, st, current, text, dtmf, at, out)
        if parsed is None:
            return
    st.partial_number = ""
    if parsed.ok and dtmf is None and confidence is not None \
            and confidence < below \
            and current.type in world.conversation.read_back_slots:
        _read_back(world, st, current, parsed.value, confidence, out)
        return
    if parsed.ok:
        _fill(st, current, parsed.value)
        jump(world, st, current, at, out)
        return
    switch = world.flows.by_intent.get(nlu.intent or "") if nlu else None
    if switch and nlu and nlu.confidence >= world.switch_confidence and switch != _root(st) \
            and is_live(world, switch):
        st.stack.clear()
        start_flow(world, st, switch, nlu, at, out)
        return
    st.attempts += 1
    if st.attempts >= current.max_attempts:
        _give_up(world, st, current, at, out)
        return
    again = render(current.reprompt, context(world, st)) if current.reprompt else (
        render(world.conversation.reask, {"problem": parsed.problem}) + " "
        + _without_thanks(render(current.prompt, context(world, st))))
    st.decision = f"reask {current.collect}"
    ask(st, out, again, current.hints, current.type)


def _fill(st: CallState, current: Any, value: Any, how: str = "") -> None:
    """Store a step's answer; the step's tries start again."""
    st.slots[current.collect] = value
    st.attempts = 0
    st.decision = f"filled {current.collect}{how}"


def _give_up(world: World, st: CallState, current: Any, at: datetime, out: Actions) -> None:
    """No usable answer after the step's tries: its `on_fail`, else a person."""
    st.attempts = 0
    st.read_back = None
    if current.on_fail:
        st.step = current.on_fail
        advance(world, st, at, out)
    else:
        escalate(world, st, "repeated_failure",
                 f"could not get {current.collect.replace('_', ' ')}", at, out)


def _read_back(world: World, st: CallState, current: Any, value: Any, confidence: float,
               out: Actions, again: bool = False) -> None:
    """Say an unsure answer back; it is stored only when the caller says yes."""
    st.read_back = {"value": value, "confidence": round(confidence, 3)}
    st.decision = f"read back {current.collect} (recogniser {confidence:.2f} sure)"
    line = world.conversation.read_back_again if again else world.conversation.read_back
    ask(st, out, render(line, {"value": spoken(value, current.type)}), ("yes", "no"), "read_back")


def _heard_back(world: World, st: CallState, current: Any, text: str, nlu: NluResult | None,
                dtmf: DtmfPressed | None, at: datetime, out: Actions) -> str | None:
    """The caller's reply to a read-back. Returns what is left to read as an answer, or None.

    A yes stores the value. A no re-asks, unless a correction follows it ("no, it's 413 555
    0123": returned, to be read as a fresh answer). "Sorry?" hears the read-back again. A reply
    that is none of these and not a new answer either means the caller carried on: the value
    stands (it was said back and not denied) and the reply answers the next question. Every
    reply that stores nothing counts a try toward the step's limit.
    """
    pending = st.read_back or {}
    st.read_back = None
    typed = dtmf.digits if dtmf else None
    answer = yes_or_no(text, nlu, typed) if not typed or len(typed) == 1 else None
    if answer is None and not typed and not REPEAT.match(text) and not parse(
            current, text, nlu, digits=None, profile=world.profile, now=at,
            caller=st.caller).ok:
        return _carried_on(world, st, current, pending, text, at, out)
    if answer is True:
        _fill(st, current, pending.get("value"), " (confirmed)")
        jump(world, st, current, at, out)
        return None
    st.attempts += 1
    if st.attempts >= current.max_attempts:
        _give_up(world, st, current, at, out)
        return None
    rest = DENIAL.sub("", text, count=1).strip() if answer is False else text.strip()
    if (rest or typed) and parse(current, rest, None, digits=typed, profile=world.profile,
                                 now=at, caller=st.caller).ok:
        return rest  # the answer again, or a correction
    if answer is False:
        st.decision = f"reask {current.collect}: read-back denied"
        ask(st, out, _line(world, "read_back_wrong") + " "
            + _without_thanks(render(current.prompt, context(world, st))), current.hints,
            current.type)
    else:  # "sorry?": the read-back again, not the step's question
        _read_back(world, st, current, pending.get("value"), pending.get("confidence", 0.0),
                   out, again=True)
    return None


def _carried_on(world: World, st: CallState, current: Any, pending: dict[str, Any], text: str,
                at: datetime, out: Actions) -> str | None:
    """Keep a value read back and not denied; the reply answers the next question, if any.

    When actions come first (verifying a date of birth), the reply waits for the question
    they lead to (`st.carried`), unless that is the same question again.
    """
    _fill(st, current, pending.get("value"), " (read back, not denied)")
    note(st, "system", f"{current.collect} kept: read back, not denied")
    st.carried = {"text": text, "after": current.id}
    jump(world, st, current, at, out)
    return _next_answered(world, st, out)


def _next_answered(world: World, st: CallState, out: Actions) -> str | None:
    """The carried reply, when the flow now waits on a new question (which is then not asked)."""
    if st.carried is None or (out and isinstance(out[-1], RunAction)):
        return None  # nothing carried, or actions still to run first
    carried, st.carried = st.carried, None
    step_now = world.flows.flows[st.flow].step(st.step) if st.flow and st.step else None
    asked = out[-1] if out else None
    if st.phase != "in_flow" or not isinstance(step_now, CollectStep) \
            or not isinstance(asked, Gather) or step_now.id == carried["after"]:
        return None
    out.pop()  # the caller already answered it
    if st.transcript and st.transcript[-1] == ("receptionist", asked.prompt):
        st.transcript.pop()
    return str(carried["text"])


def _rest_of_number(world: World, st: CallState, current: Any, text: str,
                    dtmf: DtmfPressed | None, at: datetime, out: Actions) -> Any:
    """A caller who paused mid-number: keep the digits so far and wait for the rest.

    Returns the parse of the digits so far plus these (None when the receptionist asked for
    the rest). People say numbers in groups and pause; the turn can end in the middle.
    """
    got = dtmf.digits if dtmf else re.sub(r"\D", "", text)
    joined = st.partial_number + got
    whole = parse(current, joined, None, digits=joined if dtmf else None,
                  profile=world.profile, now=at, caller=st.caller)
    if whole.ok or not got or len(joined) >= 10:
        return whole
    st.partial_number = joined
    st.decision = f"partial {current.collect}: {len(joined)} digits so far"
    ask(st, out, f"I have {grouped(joined)}. And the rest?", current.hints, current.type)
    return None


def _without_thanks(prompt: str) -> str:
    """A question asked again: no thanks for the answer that failed, no "Sure." to it."""
    rest = THANKS.sub("", prompt, count=1)
    return rest[:1].upper() + rest[1:]


def _root(st: CallState) -> str | None:
    return st.stack[0][0] if st.stack else st.flow


def _silence(world: World, st: CallState, at: datetime, out: Actions) -> None:
    if st.phase not in ("greeting", "in_flow", "anything_else"):
        return
    st.silences += 1
    policy = world.matrix.no_input
    if st.silences <= policy.reprompts:
        st.decision = "reprompt after silence"
        ask(st, out, _line(world, "still_there") + " " + st.last_prompt)
        return
    if st.phase == "anything_else":
        _goodbye(world, st, out)
    elif policy.then == "transfer":
        escalate(world, st, "human_request", "caller silent", at, out)
    else:
        note(st, "receptionist", policy.goodbye)
        st.phase, st.status, st.decision = "ended", "ended", "hangup after silence"
        out += [Say(text=policy.goodbye), Hangup()]


def _action_done(world: World, st: CallState, event: ActionResult, out: Actions) -> None:
    if event.name == "create_ticket" and st.phase == "voicemail":
        st.slots["ticket"] = event.data.get("ticket")
        out.append(Voicemail(prompt=world.matrix.fallback.voicemail_prompt))
        return
    if event.name == "attach_recording":
        text = _line(world, "message_saved")
        note(st, "receptionist", text)
        out += [Say(text=text), Hangup()]
        return
    if event.name == "write_back_summary" or st.phase != "in_flow":
        return
    current = world.flows.flows[st.flow or ""].step(st.step or "")
    if not event.ok:
        st.carried = None
        st.decision = f"action {event.name} failed: {event.error}"
        if current.on_error:
            st.step = current.on_error
            advance(world, st, event.at, out)
        else:
            escalate(world, st, "staff_assist", f"{event.name} failed", event.at, out)
        return
    if current.save_as:
        st.slots[current.save_as] = event.data
    jump(world, st, current, event.at, out)
    if (carried := _next_answered(world, st, out)) is not None:
        _answer(world, st, carried, None, None, event.at, out)


def _dial_done(world: World, st: CallState, event: DialFinished, out: Actions) -> None:
    if event.status in ("completed", "answered"):
        st.decision = "handoff answered"
        out.append(Hangup())
        return
    note(st, "system", f"transfer to {st.transfer_to} not answered ({event.status})")
    take_voicemail(st, f"handoff not answered ({event.status})", out)


def _ended(world: World, st: CallState, event: CallEnded, out: Actions) -> None:
    out.append(RunAction(name="write_back_summary", args={"status": event.status}))
    _minimise(world, st)
    st.ended_at = event.at
    if st.status == "in_progress":
        st.status = "completed" if st.disposition else "abandoned"
    st.phase = "ended"
    if st.disposition is None:
        st.disposition = {"transferred": "transferred", "voicemail": "callback_ticket"}.get(
            st.status, "abandoned" if st.status == "abandoned" else None)


def _minimise(world: World, st: CallState) -> None:
    """Keep only the slots the call's flows declare they may store."""
    allowed = set(ENGINE_SLOTS)
    todo = [f for f in st.call_types if f in world.flows.flows]
    seen: set[str] = set()
    while todo:
        flow = world.flows.flows[todo.pop()]
        if flow.flow in seen:
            continue
        seen.add(flow.flow)
        allowed.update(flow.stores)
        todo += [s.call for s in flow.steps if hasattr(s, "call")]
    st.slots = {k: v for k, v in st.slots.items() if k in allowed}

