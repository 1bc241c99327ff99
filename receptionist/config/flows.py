"""Load flows from YAML and check them in two passes: the schema, then the graph."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from receptionist.config.bundle import flow_files
from receptionist.core import errors as E
from receptionist.core import templates
from receptionist.core.flowspec import (
    TERMINAL,
    ActionStep,
    CallStep,
    CollectStep,
    EndStep,
    Flow,
    FlowBundle,
    HandoffStep,
    SayStep,
    SetStep,
)


def load_flows(directory: Path, *, actions: Iterable[str], handoffs: Iterable[str],
               intents: Iterable[str] | None = None) -> FlowBundle:
    """Load every flow file in a folder and check it; raise a ConfigError naming the place."""
    flows: dict[str, Flow] = {}
    files = list(flow_files(directory).values())
    if not files:
        raise E.ConfigError(str(directory), "no flow files (*.yaml) found")
    for path in files:
        flow = parse_flow(path)
        if flow.flow in flows:
            raise E.DuplicateStep(str(path), f"flow name already used by {flows[flow.flow].file}",
                                  flow=flow.flow)
        flows[flow.flow] = flow
    bundle = FlowBundle(flows=flows, by_intent=_intent_map(flows))
    check_bundle(bundle, actions=set(actions), handoffs=set(handoffs),
                 intents=set(intents) if intents is not None else None)
    return bundle


def parse_flow(path: Path) -> Flow:
    """Read one flow file and validate it against the schema (first pass)."""
    try:
        text = path.read_text()
        raw = yaml.safe_load(text)
        lines = _step_lines(text)
    except (OSError, yaml.YAMLError) as exc:
        raise E.FlowSchemaError(str(path), f"cannot read YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise E.FlowSchemaError(str(path), "a flow file must be a mapping with version, flow, "
                                           "description and steps")
    steps = raw.get("steps")
    raw_steps: list[Any] = steps if isinstance(steps, list) else []
    for step, line in zip(raw_steps, lines, strict=False):
        if isinstance(step, dict):
            step.setdefault("line", line)
    try:
        return Flow.model_validate({**raw, "file": str(path)})
    except ValidationError as exc:
        raise _schema_error(path, raw, raw_steps, exc) from exc


def _step_lines(text: str) -> list[int]:
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "steps" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _schema_error(path: Path, raw: dict, steps: list, exc: ValidationError) -> E.FlowSchemaError:
    err = exc.errors()[0]
    loc = list(err["loc"])
    step_id, line = None, None
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and loc[1] < len(steps):
        raw_step = steps[loc[1]]
        step_id = raw_step.get("id", f"#{loc[1] + 1}") if isinstance(raw_step, dict) else None
        line = raw_step.get("line") if isinstance(raw_step, dict) else None
        loc = [p for p in loc[2:] if not isinstance(p, int) and p not in E_TAGS]
    field_name = ".".join(str(p) for p in loc)
    message = f"{field_name}: {err['msg']}" if field_name else err["msg"]
    name = raw.get("flow") if isinstance(raw.get("flow"), str) else None
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return E.FlowSchemaError(str(path), message, flow=name, step=step_id, line=line)


E_TAGS = {"collect", "say", "action", "call", "set", "end", "handoff", "return"}


def _intent_map(flows: dict[str, Flow]) -> dict[str, str]:
    by_intent: dict[str, str] = {}
    for flow in flows.values():
        for intent in flow.intents:
            if intent in by_intent:
                raise E.DuplicateStep(flow.file, f"intent '{intent}' already starts flow "
                                                 f"'{by_intent[intent]}'", flow=flow.flow)
            by_intent[intent] = flow.flow
    return by_intent


def check_bundle(bundle: FlowBundle, *, actions: set[str], handoffs: set[str],
                 intents: set[str] | None) -> None:
    """Second pass: graph checks over every flow, raising the first problem found."""
    slot_names = _slot_names(bundle) | templates.BUILTINS
    for flow in bundle.flows.values():
        if flow.kind == "call_type" and not flow.intents:
            raise E.FlowSchemaError(flow.file, "a call type needs at least one intent",
                                    flow=flow.flow)
        unknown_stores = set(flow.stores) - slot_names
        if unknown_stores:
            raise E.FlowSchemaError(flow.file, f"stores unknown slot(s) {sorted(unknown_stores)}",
                                    flow=flow.flow)
        for intent in flow.intents:
            if intents is not None and intent not in intents:
                raise E.UnknownIntent(flow.file, f"intent '{intent}' is not in the NLU data",
                                      flow=flow.flow)
        _check_steps(flow, bundle, actions, handoffs, slot_names)
        _check_reachable(flow)
        _check_can_finish(flow)


def _slot_names(bundle: FlowBundle) -> set[str]:
    found: set[str] = set()
    for flow in bundle.flows.values():
        for step in flow.steps:
            if isinstance(step, CollectStep):
                found.add(step.collect)
            elif isinstance(step, ActionStep) and step.save_as:
                found.add(step.save_as)
            elif isinstance(step, SetStep):
                found.update(step.set)
    return found


def _fail(cls: type[E.ConfigError], flow: Flow, step: Any, message: str) -> E.ConfigError:
    return cls(flow.file, message, flow=flow.flow, step=step.id, line=step.line)


def _check_steps(flow: Flow, bundle: FlowBundle, actions: set[str], handoffs: set[str],
                 slot_names: set[str]) -> None:
    ids: set[str] = set()
    all_ids = {s.id for s in flow.steps}
    for step in flow.steps:
        if step.id in ids:
            raise _fail(E.DuplicateStep, flow, step, "step id used twice")
        ids.add(step.id)
        if not isinstance(step, TERMINAL) and step.next is None:
            raise _fail(E.NoPathToEnd, flow, step, "step has no 'next'")
        for target in step.targets():
            if target not in all_ids:
                raise _fail(E.UnknownStepTarget, flow, step,
                            f"goes to unknown step '{target}' "
                            f"(steps: {', '.join(sorted(all_ids))})")
        _check_step_refs(flow, step, bundle, actions, handoffs)
        for text in _texts(step):
            unknown = templates.names(text) - slot_names
            if unknown:
                raise _fail(E.UnknownTemplateName, flow, step,
                            f"prompt uses unknown name(s) {sorted(unknown)}")


def _check_step_refs(flow: Flow, step: Any, bundle: FlowBundle, actions: set[str],
                     handoffs: set[str]) -> None:
    if isinstance(step, ActionStep) and step.action not in actions:
        raise _fail(E.UnknownAction, flow, step,
                    f"unknown action '{step.action}' (known: {', '.join(sorted(actions))})")
    if isinstance(step, CallStep):
        called = bundle.flows.get(step.call)
        if called is None or called.kind != "subflow":
            raise _fail(E.UnknownFlow, flow, step, f"calls '{step.call}', which is not a sub-flow")
    if isinstance(step, HandoffStep) and step.handoff not in handoffs:
        raise _fail(E.UnknownTarget, flow, step,
                    f"hands off to unknown category '{step.handoff}' "
                    f"(known: {', '.join(sorted(handoffs))})")
    if isinstance(step, CollectStep) and step.type == "choice" and not step.options:
        raise _fail(E.FlowSchemaError, flow, step, "a choice needs options")


def _texts(step: Any) -> list[str]:
    if isinstance(step, CollectStep):
        return [step.prompt] + ([step.reprompt] if step.reprompt else [])
    if isinstance(step, SayStep | EndStep | HandoffStep):
        return [step.say] if step.say else []
    return []


def _check_reachable(flow: Flow) -> None:
    seen, todo = set(), [flow.first]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(flow.step(current).targets())
    for step in flow.steps:
        if step.id not in seen:
            raise _fail(E.UnreachableStep, flow, step, "no step leads here")


def _check_can_finish(flow: Flow) -> None:
    finishing = {s.id for s in flow.steps if isinstance(s, TERMINAL)}
    changed = True
    while changed:
        changed = False
        for step in flow.steps:
            if step.id not in finishing and set(step.targets()) & finishing:
                finishing.add(step.id)
                changed = True
    for step in flow.steps:
        if step.id not in finishing:
            raise _fail(E.NoPathToEnd, flow, step, "cannot reach an end, a handoff or a return")
