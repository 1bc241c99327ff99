"""A small lexicon sentiment score for caller turns, from -1 (angry) to +1 (pleased)."""

from __future__ import annotations

import re

NEGATIVE = {
    "angry": 2, "annoyed": 1, "awful": 2, "terrible": 2, "horrible": 2, "ridiculous": 2,
    "unacceptable": 2, "useless": 2, "stupid": 2, "hate": 2, "worst": 2, "frustrated": 2,
    "frustrating": 2, "upset": 1, "furious": 3, "disgusting": 2, "pathetic": 2, "sick of": 2,
    "fed up": 2, "waste of time": 2, "incompetent": 2, "rude": 1, "not happy": 1, "unhappy": 1,
    "damn": 2, "dammit": 2, "hell": 1, "crap": 2, "shit": 3, "fuck": 3, "fucking": 3,
    "bullshit": 3, "screw this": 3, "for god's sake": 2, "you're not listening": 2,
    "not listening": 2, "doesn't work": 1, "again": 0.5,
}
POSITIVE = {
    "thank": 1, "thanks": 1, "great": 1, "perfect": 1, "wonderful": 1, "awesome": 1,
    "appreciate": 1, "helpful": 1, "lovely": 1, "excellent": 1, "good": 0.5,
}
PROFANITY = re.compile(r"\b(shit|fuck\w*|bullshit|damn\w*|crap|bitch|asshole|bastard)\b", re.I)


def _score(text: str, lexicon: dict[str, float]) -> float:
    lowered = text.lower()
    return sum(weight for word, weight in lexicon.items()
               if re.search(rf"\b{re.escape(word)}\b", lowered))


def score(text: str) -> float:
    """Score one utterance; profanity and anger words pull it down."""
    neg, pos = _score(text, NEGATIVE), _score(text, POSITIVE)
    if text.count("!") >= 2:
        neg += 1
    raw = (pos - neg) / 3.0
    return max(-1.0, min(1.0, raw))


def has_profanity(text: str) -> bool:
    """Tell whether the caller swore."""
    return bool(PROFANITY.search(text))
