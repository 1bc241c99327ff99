"""Spoken-language identification: other-language callers routed, English callers not.

Each utterance goes through what a call's first turn goes through in local speech mode: the
recogniser stack (pocketsphinx, the Whisper second pass where steered, and the language
identification on Whisper base), the English NLU with its safety net, and the escalation
matrix's detector, which routes on the language only when the audio was not English *and* the
English NLU did not understand the words. Everything over the telephone path (8 kHz, µ-law),
clean and with babble at 20 and 10 dB.

Callers
  * Spanish and Mandarin (synthetic: espeak-ng's `es` and `cmn` voices; no real recordings of
    either language ship here): front-desk requests written for this benchmark;
  * English, synthetic: the first line of every English scenario in `scenarios/library/`, in
    the scenario's persona voice (Piper, or espeak-ng's en-gb, en-in, en-029, Scottish, and
    English read by the Spanish voice);
  * English, real: ten-digit callback numbers by the three speakers of the Free Spoken Digit
    Dataset (US, Greek- and German-accented English; REAL_VOICES_DIR or ../shared/...).

Reported: other-language callers routed to their language's category (and to the right one),
English turns misrouted to a language category, the identification alone (P(English) under the
threshold), and the median seconds the identification adds to a turn.

    .venv/bin/python benchmarks/language_id.py              # ~8 min on 2 cores
    .venv/bin/python benchmarks/language_id.py --quick      # clean audio only
"""

from __future__ import annotations

import argparse
import logging
import os
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
from receptionist.app import build_nlu  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.core.escalation import Detector  # noqa: E402
from receptionist.service.world import load_world  # noqa: E402
from receptionist.simulation.audio_caller import espeak_voice  # noqa: E402
from receptionist.simulation.scenarios import load  # noqa: E402
from receptionist.simulation.scenarios_audio import persona_voice  # noqa: E402
from receptionist.speech.config import build_speech  # noqa: E402

SPANISH = [  # what a Spanish-speaking patient says first to a dental office
    "Hola, buenos días, quisiera hacer una cita con el dentista.",
    "Necesito cambiar mi cita del martes para otro día.",
    "Me duele mucho una muela desde ayer.",
    "¿A qué hora abren mañana?",
    "Quiero cancelar la cita de mi hijo.",
    "¿Aceptan mi seguro dental?",
    "Buenas tardes, llamo para pedir una limpieza.",
    "Perdón, no hablo inglés. ¿Hay alguien que hable español?",
    "Se me rompió un diente y necesito que me vean hoy.",
    "Quisiera dejar un mensaje para la doctora.",
    "¿Dónde están ubicados? No encuentro la dirección.",
    "Tengo una pregunta sobre mi factura.",
]
MANDARIN = [  # the same, in Mandarin
    "你好，我想预约看牙医。",
    "我需要改一下星期二的预约。",
    "我的牙从昨天开始很疼。",
    "你们明天几点开门？",
    "我想取消我儿子的预约。",
    "你们接受我的牙科保险吗？",
    "下午好，我想预约洗牙。",
    "对不起，我不会说英语，有人会说中文吗？",
    "我的牙齿断了，今天需要看医生。",
    "我想给医生留个言。",
    "你们的诊所在哪里？",
    "我对账单有一个问题。",
]
FSDD = Path(os.environ.get("REAL_VOICES_DIR")
            or ROOT.parent / "shared" / "data" / "real-voices" / "fsdd")


def english_scenarios() -> list[tuple[str, Any, str]]:
    """(label, voice, first line) of every English scenario in the library."""
    out = []
    for _, sc in load(sorted((ROOT / "scenarios" / "library").glob("*.yaml"))):
        steps = [s for s in sc.steps() if s.say and not s.silence]
        if sc.persona.language != "en" or not steps:
            continue
        voice = persona_voice(sc.persona)
        label = sc.persona.voice or (sc.persona.accent if sc.persona.accent != "us" else "piper")
        out.append((label, voice, steps[0].say))
    return out


def turn(speech: Any, nlu: Any, audio: np.ndarray) -> tuple[str, Any, dict[str, float], float]:
    """One first turn: (what was heard, its NLU, the identification, seconds at its end)."""
    rec = speech.asr.start(None, (), {})
    for i in range(0, len(audio), 160):
        rec.accept(audio[i:i + 160])
    started = time.perf_counter()
    hyp = rec.finish()
    seconds = time.perf_counter() - started
    return hyp.text, nlu.parse(hyp.text) if hyp.text else None, dict(hyp.languages), seconds


def routed(detector: Detector, heard: tuple[str, Any, dict[str, float], float]) -> str | None:
    """The language category the matrix's detector sends this turn to, if any."""
    hit = detector.detect(heard[0], heard[1], spoken=heard[2])
    return hit[0] if hit and hit[0].startswith("language_") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="clean audio only")
    parser.add_argument("--numbers", type=int, default=8, help="real-voice numbers per speaker")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    settings = Settings.from_env()
    world = load_world(settings.flows_dir)
    speech = build_speech(settings, world)
    nlu = build_nlu(settings, world)
    threshold = world.matrix.spoken_language.english_below
    sweep = sorted({0.1, 0.2, 0.3, 0.4, threshold})
    detectors = {t: Detector(world.matrix.model_copy(update={
        "spoken_language": world.matrix.spoken_language.model_copy(
            update={"english_below": t})})) for t in sweep}
    rng = random.Random(16)
    groups: dict[str, list[tuple[str, np.ndarray]]] = {
        "Spanish (espeak-ng es)": [("language_spanish", espeak_voice("es")(t)) for t in SPANISH],
        "Mandarin (espeak-ng cmn)": [("language_chinese", espeak_voice("cmn")(t))
                                     for t in MANDARIN],
        "English, synthetic (scenario first lines)": [(label, voice(text)) for label, voice, text
                                                      in english_scenarios()],
        "English, real (FSDD callback numbers)": [
            (speaker, real_number(speaker, "".join(rng.choice("0123456789") for _ in range(10)),
                                  rng, range(50)))
            for speaker in ("jackson", "george", "lucas") for _ in range(args.numbers)],
    }
    noises: list[float | None] = [None] if args.quick else [None, 20.0, 10.0]
    print(f"# Spoken-language identification ({speech.describe()['language_id']}), "
          f"English below {threshold}\n")
    print("| callers | noise | turns | routed to a language | right language | "
          "identified not English | median s at turn end |")
    print("|---|---|---|---|---|---|---|")
    misrouted: list[str] = []
    totals: dict[tuple[bool, float], list[int]] = {}  # (English?, threshold) -> [routed, right, n]
    for name, items in groups.items():
        english = name.startswith("English")
        for snr in noises:
            heard = [turn(speech, nlu, line(audio, snr, seed=n))
                     for n, (_, audio) in enumerate(items)]
            for t, detector in detectors.items():
                to = [routed(detector, h) for h in heard]
                total = totals.setdefault((english, t), [0, 0, 0])
                total[0] += sum(x is not None for x in to)
                total[1] += sum(x == label for x, (label, _) in zip(to, items, strict=True))
                total[2] += len(items)
            to = [routed(detectors[threshold], h) for h in heard]
            foreign = sum(bool(h[2]) and h[2].get("en", 1.0) < threshold for h in heard)
            misrouted += [f"{name}, {label}, {snr or 'clean'}: {x} (English {h[2]['en']:.2f})"
                          for x, h, (label, _) in zip(to, heard, items, strict=True)
                          if english and x]
            right = "-" if english else sum(x == lb for x, (lb, _) in zip(to, items, strict=True))
            print(f"| {name} | {'clean' if snr is None else f'{snr:.0f} dB'} | {len(items)} | "
                  f"{sum(x is not None for x in to)} | {right} | "
                  f"{foreign} | {statistics.median(h[3] for h in heard):.2f} |", flush=True)
    if misrouted:
        print("\nEnglish turns sent to a language category:")
        for m in misrouted:
            print(f"  {m}")
    print("\nThe threshold (P(English) below it, and the English NLU did not follow):\n")
    print("| English below | other-language callers routed right | English turns misrouted |")
    print("|---|---|---|")
    for t in sweep:
        other, eng = totals[(False, t)], totals[(True, t)]
        print(f"| {t}{' (default)' if t == threshold else ''} | {other[1]}/{other[2]} | "
              f"{eng[0]}/{eng[2]} ({eng[0] / max(1, eng[2]):.1%}) |")


if __name__ == "__main__":
    main()
