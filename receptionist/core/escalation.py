"""The escalation matrix: who gets the call, for which reasons, in and after hours.

Checked on every caller turn before any flow logic. Five categories can never be switched off.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from receptionist.core.events import DtmfPressed, NluResult
from receptionist.core.model import Strict
from receptionist.core.profile import PracticeProfile

ALWAYS = ("safety", "minors_vulnerable", "mental_health", "legal_complaint", "human_request")
# A confident other intent outweighs the safety net's alert for these two (a person is asked
# for, or a complaint made, in so many words); never for the three where a life may be at stake.
NOT_LIFE_THREATENING = ("legal_complaint", "human_request")
CONFIDENTLY_OTHER = 0.8
MESSAGE = "message"  # a route that takes a message and opens a callback ticket instead of dialling


class Route(Strict):
    """Where a category goes, in business hours and after them."""

    in_hours: str
    after_hours: str


class Category(Strict):
    """One reason to hand a call to a person, and how it is recognised."""

    enabled: bool = True
    priority: int = 50
    intents: tuple[str, ...] = ()
    min_confidence: float = Field(default=0.6, ge=0, le=1)
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    dtmf: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # spoken languages (ISO 639-1) identified in the audio
    route: Route
    say: str
    threshold: float | None = None  # for low_confidence / negative_sentiment
    after: int | None = None  # turns before low_confidence / repeated_failure fire

    @field_validator("patterns", "unless")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from exc
        return value


class Fallback(Strict):
    """What happens when nobody answers a transfer."""

    voicemail_prompt: str
    callback_ticket: bool = True
    dial_timeout: int = Field(default=20, ge=5, le=60)


class NoInputPolicy(Strict):
    """What silence leads to: re-prompts, then a polite end or a transfer."""

    reprompts: int = Field(default=2, ge=0, le=5)
    then: Literal["hangup", "transfer"] = "hangup"
    goodbye: str = ("I haven't heard anything, so I'll end the call now. "
                    "Please call us back anytime.")


class SpokenLanguage(Strict):
    """When the audio's language identification sends a caller to a language's category."""

    # P(English) under this: not English. On benchmarks/language_id.py's voices 0.2 misrouted
    # 4 of 363 English turns (all real accented digit strings; no synthetic English first line),
    # 0.4 misrouted 9 and routed 6 more of the 72 other-language turns.
    english_below: float = Field(default=0.2, ge=0, le=1)
    # ... unless the English NLU understood the words; under this, whatever the NLU made of them
    certain_below: float = Field(default=0.1, ge=0, le=1)


class EscalationMatrix(Strict):
    """Every escalation category, validated against the practice's handoff targets."""

    version: Literal["1"]
    categories: dict[str, Category]
    fallback: Fallback
    no_input: NoInputPolicy = NoInputPolicy()
    spoken_language: SpokenLanguage = SpokenLanguage()

    def ordered(self) -> list[tuple[str, Category]]:
        """Enabled categories, most urgent first."""
        return sorted(((n, c) for n, c in self.categories.items() if c.enabled),
                      key=lambda item: item[1].priority)

    def get(self, name: str) -> Category | None:
        """Return an enabled category by name."""
        cat = self.categories.get(name)
        return cat if cat is not None and cat.enabled else None

    def target_for(self, name: str, profile: PracticeProfile, at: datetime) -> str:
        """Pick the route's target for the moment of the call; an unstaffed target falls through."""
        route = self.categories[name].route
        if profile.is_open(at):
            return route.in_hours
        return route.after_hours


class Detector:
    """Recognise escalation categories in one caller turn (text, NLU result or keys)."""

    def __init__(self, matrix: EscalationMatrix) -> None:
        self.matrix = matrix
        self._compiled = {
            name: ([re.compile(p, re.I) for p in cat.patterns],
                   [re.compile(p, re.I) for p in cat.unless])
            for name, cat in matrix.ordered()
        }
        self._watched = frozenset(i for _, cat in matrix.ordered() for i in cat.intents)
        self._languages = tuple(lang for _, cat in matrix.ordered() for lang in cat.languages)

    def detect(self, text: str | None, nlu: NluResult | None,
               dtmf: DtmfPressed | None = None, *,
               answering: bool = False,
               spoken: dict[str, float] | None = None) -> tuple[str, str] | None:
        """Return (category, why) for the most urgent category this turn triggers, or None.

        Keys, patterns and confident intents decide first, most urgent category first; only
        when none fires does the semantic safety net's strongest alert decide. While the caller
        is `answering` a question (a name, a date), the net listens only for the three
        categories where a life may be at stake. `spoken`: the language identification of the
        turn's audio, when there was one (local speech, the caller's first turns).
        """
        foreign = None if answering else self._foreign(spoken, nlu)  # a name is not a language
        for name, cat in self.matrix.ordered():
            if cat.threshold is not None or cat.after is not None:
                continue  # turn-count categories are decided by the engine
            why = self._why(name, cat, text, nlu, dtmf)
            if not why and foreign and foreign[0] in cat.languages:
                why = foreign[1]
            if why:
                return name, why
        alerts = [(score, name) for name, score in (nlu.alerts if nlu and text else ())
                  if name in ALWAYS and not self._excused(name, text)
                  and not (name in NOT_LIFE_THREATENING
                           and (answering or self._confidently_other(nlu)))]
        if alerts:
            score, name = max(alerts)
            return name, f"sounds like {name.replace('_', ' ')} (meaning, margin {score:+.2f})"
        return None

    def _foreign(self, spoken: dict[str, float] | None, nlu: NluResult | None
                 ) -> tuple[str, str] | None:
        """(language, why) when the audio was not English and the English NLU did not follow.

        An accented English caller whose words were understood stays in English, whatever the
        language identification thought of the accent; only audio that is almost certainly not
        English goes to a language line whatever the English recogniser made of it (its
        nonsense can look like a booking).
        """
        if not spoken or not self._languages:
            return None
        english = spoken.get("en", 1.0)
        policy = self.matrix.spoken_language
        if english >= policy.english_below:
            return None
        if english >= policy.certain_below and nlu and nlu.intent \
                and nlu.intent not in ("out_of_scope", "inform") \
                and nlu.confidence >= CONFIDENTLY_OTHER:  # "inform": garbage often looks like it
            return None
        language = max(self._languages, key=lambda lang: spoken.get(lang, 0.0))
        return language, (f"spoke {language} (language identification {language} "
                          f"{spoken.get(language, 0.0):.2f}, English {english:.2f})")

    def _confidently_other(self, nlu: NluResult | None) -> bool:
        """The classifier is sure the caller wants something else (a message, a booking)."""
        return bool(nlu and nlu.intent and nlu.intent not in self._watched
                    and nlu.intent not in ("out_of_scope", "inform")
                    and nlu.confidence >= CONFIDENTLY_OTHER)

    def _excused(self, name: str, text: str | None) -> bool:
        """The category's `unless` phrases ("not an emergency") silence its alerts too."""
        return bool(text) and any(u.search(text or "") for u in self._compiled[name][1])

    def _why(self, name: str, cat: Category, text: str | None, nlu: NluResult | None,
             dtmf: DtmfPressed | None) -> str | None:
        if dtmf is not None and dtmf.digits in cat.dtmf:
            return f"pressed {dtmf.digits}"
        if not text:
            return None
        patterns, unless = self._compiled[name]
        if any(u.search(text) for u in unless):
            return None
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                return f"said \"{match.group(0)}\""
        if nlu and nlu.intent in cat.intents and nlu.confidence >= cat.min_confidence:
            return f"intent {nlu.intent} ({nlu.confidence:.2f})"
        return None
