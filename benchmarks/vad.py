"""Voice-activity detectors side by side: false barge-ins in background noise, real turns kept.

Both detectors sit behind the same loudness gate over the line's noise floor and drive the same
turn taker (`receptionist.speech.turns.TurnTaker`, the product's settings) with a recogniser
that always hears "words", so only the detector differs:
  * WebRTC (pocketsphinx's build), mode 3: the detector before this benchmark;
  * Silero VAD v6 (the ONNX model faster-whisper ships, onnxruntime), threshold 0.5.

Measured over the telephone path (8 kHz, µ-law):
  1. False barge-ins: 60 s of noise alone while the receptionist is talking, at the level of
     babble 20 and 10 dB under a caller's voice (synthetic babble and white noise): barge-ins a
     minute. Every one of them cuts the receptionist off for nothing.
  2. Turns kept: callers who speak (real voices: FSDD callback numbers by three speakers;
     synthetic: Piper sentences) with the same noise under them, once while the receptionist is
     silent (the turn must start, and end as one utterance) and once over its voice (a barge-in
     must happen): turns heard to their end, turns split in pieces, when the turn ended after the
     recording did (its trailing silence included), median onset delay (from the start
     of the recording, whose own lead-in silence is included). Phone numbers are listened to
     as the phone step does (1 s of silence ends them).
  3. Cost: milliseconds of CPU per 20 ms frame.

    .venv/bin/python benchmarks/vad.py        # ~1 min
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.real_voices import line, real_number  # noqa: E402
from receptionist.simulation.audio_caller import piper_voice  # noqa: E402
from receptionist.speech import Hypothesis  # noqa: E402
from receptionist.speech.audio import frames, noise, noise_gain, silence  # noqa: E402
from receptionist.speech.turns import TurnConfig, TurnTaker, VoiceActivity  # noqa: E402
from receptionist.speech.vad import SileroActivity  # noqa: E402

SENTENCES = ["I'd like to book a cleaning for next Tuesday please",
             "can I talk to someone about my bill", "what time do you open on Saturday",
             "I need to cancel my appointment", "my son chipped his front tooth at school",
             "is Doctor Patel taking new patients"]
DETECTORS = {"WebRTC (mode 3) + level gate": lambda: VoiceActivity(3, 6.0),
             "Silero v6 + level gate": lambda: SileroActivity(0.5, 6.0)}


class Hears:
    """A recogniser that always hears something: only the detector decides here."""

    name = model = "words"

    def start(self, expect: Any = None, hints: Any = (), channel: Any = None) -> Any:
        return self

    def accept(self, pcm: np.ndarray) -> str:
        return "words"

    def finish(self) -> Hypothesis:
        return Hypothesis("words")


def background(kind: str, seconds: float, level_of: np.ndarray, snr: float, seed: int
               ) -> np.ndarray:
    """Noise alone, as loud as it would be `snr` dB under the speech `level_of`."""
    n = noise(int(8000 * seconds), seed, kind).astype(np.float64) * noise_gain(level_of, snr)
    return np.clip(np.round(n), -32768, 32767).astype(np.int16)


def run(make: Any, audio: np.ndarray, playing: bool, expect: str | None = None
        ) -> tuple[list[tuple[str, int]], float]:
    """(events with their audio time, CPU ms a frame) for one stream of caller audio."""
    taker = TurnTaker(Hears(), TurnConfig(), vad=make())
    taker.listen(expect)
    taker.arm()
    events: list[tuple[str, int]] = []
    chunks = frames(audio)
    started = time.process_time()
    for pcm in chunks:
        for kind, _ in taker.frame(pcm, playing=playing):
            if kind in ("barge_in", "utterance", "noise"):
                events.append((kind, taker.now))
            if kind == "barge_in":
                playing = False  # the receptionist stops talking, as after a `clear`
    return events, (time.process_time() - started) * 1000 / max(1, len(chunks))


def main() -> None:
    rng = random.Random(4)
    piper = piper_voice()
    speech = [("synthetic", piper(s)) for s in SENTENCES]
    speech += [("real", real_number(sp, "".join(rng.choice("0123456789") for _ in range(10)),
                                    rng, range(50)))
               for sp in ("jackson", "george", "lucas") for _ in range(2)]
    reference = speech[0][1]
    print("## False barge-ins: 60 s of noise alone while the receptionist talks\n")
    print("| detector | noise | level | barge-ins a minute | CPU ms a frame |")
    print("|---|---|---|---|---|")
    for name, make in DETECTORS.items():
        for kind in ("babble", "white"):
            for snr in (20.0, 10.0):
                bg = line(background(kind, 60, reference, snr, seed=int(snr)), None, 0)
                events, cost = run(make, bg, playing=True)
                print(f"| {name} | {kind} | {snr:.0f} dB under a voice | "
                      f"{sum(k == 'barge_in' for k, _ in events)} | {cost:.3f} |", flush=True)
    print("\n## Callers kept: turns detected (one utterance each) and barge-ins\n")
    print("| detector | voices | noise | turns heard | split in pieces | median end ms | "
          "barge-ins | median onset ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, make in DETECTORS.items():
        for group in ("real", "synthetic"):
            items = [a for g, a in speech if g == group]
            for snr in (None, 20.0, 10.0):
                started = split = barged = 0
                onsets: list[int] = []
                ends: list[int] = []
                for n, voice in enumerate(items):
                    lead = 1000
                    audio = np.concatenate([silence(lead), voice, silence(2500)])
                    if snr is not None:
                        audio = audio + background("babble", len(audio) / 8000, voice, snr, n)
                    audio = line(np.clip(audio, -32768, 32767).astype(np.int16), None, 0)
                    expect = "phone" if group == "real" else None  # 1 s between groups
                    quiet, _ = run(make, audio, playing=False, expect=expect)
                    utterances = [t for k, t in quiet if k == "utterance"]
                    started += bool(utterances)
                    if utterances:
                        ends.append(utterances[-1] - lead - len(voice) // 8)
                    split += len(utterances) > 1
                    over, _ = run(make, audio, playing=True, expect=expect)
                    hits = [t for k, t in over if k == "barge_in"]
                    barged += bool(hits)
                    if hits:
                        onsets.append(hits[0] - lead)
                onset = f"{statistics.median(onsets):.0f}" if onsets else "-"
                end = f"{statistics.median(ends):.0f}" if ends else "-"
                print(f"| {name} | {group} ({len(items)}) | "
                      f"{'clean' if snr is None else f'babble {snr:.0f} dB'} | {started} | "
                      f"{split} | {end} | {barged} | {onset} |", flush=True)


if __name__ == "__main__":
    main()
