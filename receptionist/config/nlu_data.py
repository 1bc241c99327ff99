"""Read NLU training data in Rasa's YAML format (version "3.1")."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from receptionist.core.errors import ConfigError

ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<name>[\w-]+)(?::(?P<value>[^)]+))?\)"
                        r"|(?P<json>\{[^}]+\}))")


@dataclass(frozen=True)
class Example:
    """One training utterance with its intent and annotated entities."""

    text: str
    intent: str
    entities: tuple[tuple[str, str, str], ...] = ()  # (entity, text, value)


@dataclass
class TrainingData:
    """Everything in the NLU files: examples, synonyms, regexes and lookup tables."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # spoken form (lower) -> value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        """Intent names, in first-seen order."""
        return list(dict.fromkeys(e.intent for e in self.examples))

    def by_intent(self) -> dict[str, list[Example]]:
        """Group the examples by intent."""
        grouped: dict[str, list[Example]] = {}
        for example in self.examples:
            grouped.setdefault(example.intent, []).append(example)
        return grouped


def load_training_data(paths: list[Path]) -> TrainingData:
    """Read one or more Rasa NLU YAML files (or folders of them) into one TrainingData."""
    data = TrainingData()
    files = [f for p in paths for f in (sorted(p.glob("*.yml")) if p.is_dir() else [p])]
    for path in files:
        _read_file(path, data)
    if not data.examples:
        raise ConfigError(", ".join(map(str, paths)), "no NLU training examples found")
    return data


def _read_file(path: Path, data: TrainingData) -> None:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(str(path), f"cannot read NLU data: {exc}") from exc
    if not isinstance(raw, dict) or "nlu" not in raw:
        return  # e.g. config.yml lives beside the data
    if str(raw.get("version")) != "3.1":
        raise ConfigError(str(path), 'NLU data must declare version: "3.1"')
    for item in raw["nlu"] or []:
        lines = _examples(path, item)
        if "intent" in item:
            data.examples.extend(parse_example(line, item["intent"]) for line in lines)
        elif "synonym" in item:
            data.synonyms.update({line.lower(): str(item["synonym"]) for line in lines})
        elif "regex" in item:
            data.regexes.setdefault(item["regex"], []).extend(lines)
        elif "lookup" in item:
            data.lookups.setdefault(item["lookup"], []).extend(lines)
        else:
            raise ConfigError(str(path), f"unknown NLU item with keys {sorted(item)}")


def _examples(path: Path, item: dict) -> list[str]:
    block = item.get("examples")
    if not isinstance(block, str):
        raise ConfigError(str(path), f"item {item.get('intent') or item} has no examples block")
    return [ln.strip()[2:].strip() for ln in block.splitlines() if ln.strip().startswith("- ")]


def parse_example(line: str, intent: str) -> Example:
    """Strip Rasa entity annotations from a line, keeping (entity, text, value) for each."""
    entities = []

    def strip(match: re.Match[str]) -> str:
        text = match.group("text")
        if match.group("json"):
            meta = json.loads(match.group("json"))
            name, value = meta["entity"], str(meta.get("value", text))
        else:
            name, value = match.group("name"), match.group("value") or text
        entities.append((name, text, value))
        return text

    return Example(text=ANNOTATION.sub(strip, line), intent=intent, entities=tuple(entities))
