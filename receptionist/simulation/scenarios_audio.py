"""Audio mode of the scenario runner: the same scenarios over the Media Streams path.

The persona becomes a voice (Piper for US English, espeak-ng for the other accents and
languages), its speaking rate and its background noise; the call runs against the real stream
endpoint on a loopback socket, with local ASR and TTS; the final expectations are the text
mode's. Per-turn TwiML checks (there is no TwiML per turn on a stream) give way to what the
receptionist heard and the voice-to-voice time of each turn.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from receptionist.core.dates import resolve_dob
from receptionist.simulation.audio_caller import AudioCaller, espeak_voice, piper_voice
from receptionist.simulation.scenarios import Result, check, records
from receptionist.simulation.server import LocalServer
from receptionist.speech.numbers import normalise
from receptionist.storage import calls as store

ESPEAK_ACCENTS = {  # persona accent -> espeak-ng voice (a Spanish voice reading English: an accent)
    "gb": "en-gb", "uk": "en-gb", "scottish": "en-gb-scotland", "in": "en-in", "indian": "en-in",
    "caribbean": "en-029", "es": "es", "spanish": "es", "zh": "cmn", "chinese": "cmn",
}
_VOICES: dict[tuple[str, float], Any] = {}


def persona_voice(persona: Any) -> Any:
    """A caller voice for a scenario persona (cached: Piper loads once)."""
    if persona.voice:  # "piper", "espeak:en-in" or "espeak-ng en-in"
        name = persona.voice.replace("espeak-ng ", "espeak:", 1)
        name = name if name == "piper" or name.startswith("espeak:") else "espeak:" + name
    elif persona.language != "en":
        name = "espeak:" + ESPEAK_ACCENTS.get(persona.language, persona.language)
    elif persona.accent in ("us", "neutral", "general"):
        name = "piper"
    else:
        name = "espeak:" + ESPEAK_ACCENTS.get(persona.accent, "en-us")
    key = (name, persona.rate)
    if key not in _VOICES:
        _VOICES[key] = (piper_voice(0.95 / max(0.5, persona.rate)) if name == "piper"
                        else espeak_voice(name.split(":", 1)[1], int(165 * persona.rate)))
    return _VOICES[key]


def run_one_audio(app: Any, clock: Any, token: str, path: Path, scenario: Any) -> Any:
    """One scenario over a Media Stream; returns a scenarios.Result."""
    rec = app.extensions["receptionist"]
    at = datetime.fromisoformat(scenario.at)
    clock.now = at if at.tzinfo else at.replace(tzinfo=rec.world.profile.tz)
    steps = scenario.steps()
    persona = scenario.persona
    with LocalServer(app) as server:
        caller = AudioCaller(server.url, token, voice=persona_voice(persona),
                             snr_db=persona.noise_snr_db, dial_status=scenario.dial_status,
                             listen=lambda sid, last: read_back_reply(rec, sid, last))
        call = caller.call([s.line() for s in steps], caller=scenario.caller_id)
    events, final = records(rec, call.call_sid)
    intents = [intent for event, intent in events if event in ("speech", "dtmf")]
    answered_back = [n for n, t in enumerate(call.turns[1:]) if t.get("read_back")]
    intents = [i for n, i in enumerate(intents) if n not in answered_back]
    failures = check(scenario.expect, call.outcome, call.turns, final)
    failures += _turn_checks(steps, call, intents, scenario.expect.max_turn_ms)
    return Result(path, scenario, failures, call.outcome, call.turns,
                  [0.0] + [float(t.get("voice_to_voice_ms") or 0) for t in call.turns[1:]])


def read_back_reply(rec: Any, sid: str, last: str) -> str | None:
    """How a caller answers a read-back of their last answer ("yes", or "no" and it again).

    "yes" when the value read back is what they said; None when nothing was read back. The
    simulated caller reads what the receptionist said from its record of the call, as a
    person would hear it; what they meant is the script's line.
    """
    with rec.engine.connect() as conn:
        state = store.load_state(conn, sid, lock=False, crypt=rec.service.crypt)
    if state is None or state.read_back is None:
        return None
    value = state.read_back.get("value")
    return "yes" if same_answer(value, last) else f"no, {last}"


def same_answer(value: Any, meant: str) -> bool:
    """Whether a slot value read back is what the caller meant by `meant`."""
    meant_text = normalise(meant.lower())
    if isinstance(value, dict):
        value = value.get("label") or ""
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        found = resolve_dob(meant_text, date.fromisoformat(text) + timedelta(days=400))
        return found is not None and found.isoformat() == text
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7:
        said = re.sub(r"\D", "", meant_text)
        return said[-10:] == digits[-10:]
    words = re.findall(r"[a-z']+", text.lower())
    return bool(words) and words == re.findall(r"[a-z']+", meant_text)[-len(words):]


def _turn_checks(steps: list[Any], call: Any, intents: list[str | None],
                 max_ms: float | None) -> list[str]:
    failures = []
    spoken = [s for s in steps if not s.silence and (s.say or s.press)]
    for n, step in enumerate(spoken, start=1):
        got = intents[n - 1] if n - 1 < len(intents) else None
        if step.expect.intent and got != step.expect.intent:
            heard = call.turns[n].get("heard") if n < len(call.turns) else None
            failures.append(f"turn {n}: intent expected {step.expect.intent!r}, got {got!r} "
                            f"(heard {heard!r})")
    if max_ms is not None:
        for n, turn in enumerate(call.turns[1:], start=1):
            ms = turn.get("voice_to_voice_ms")
            if ms is not None and ms > max_ms:
                failures.append(f"turn {n}: reply after {ms:.0f} ms (limit {max_ms:.0f})")
    return failures
