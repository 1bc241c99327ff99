"""Choice answers over audio: the visit type, the insurer, who a message is for.

"What is the visit for?" is answered with one of a few words, and a misheard one books the
wrong visit or, worse, reaches the safety line ("a cleaning" heard as "a bleeding"). This
measures, per recogniser, how often the step's slot gets the right value, a wrong one, or
nothing (asked again), and how often the answer sets off an always-escalate category while
the caller is answering, as in a call (the NLU with its safety net, then the matrix).

Callers: the answers below, written for this benchmark as people answer those questions, said
by Piper's bundled voice and by espeak-ng (en-us, and en-gb as an accent); no real recordings of
these words ship here. Telephone path (8 kHz, µ-law), clean and with babble at 20 and 10 dB.

Recognisers: pocketsphinx with the practice's language model and the step's hints (the
streaming recogniser alone), and the product's stack, where the Whisper second pass is steered
by the practice's options for the step (`receptionist.speech.refine`).

    .venv/bin/python benchmarks/choices.py                  # ~5 min on 2 cores
    .venv/bin/python benchmarks/choices.py --snr clean
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.real_voices import line  # noqa: E402
from receptionist.app import build_nlu  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.core import slots  # noqa: E402
from receptionist.core.escalation import ALWAYS  # noqa: E402
from receptionist.service.world import load_world  # noqa: E402
from receptionist.speech.audio import silence  # noqa: E402
from receptionist.speech.config import build_asr, with_second_pass  # noqa: E402
from receptionist.speech.tts import EspeakTts, PiperTts  # noqa: E402

# (flow, step id): answers as (what the caller says, the slot value id it should give)
ANSWERS: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("book_appointment", "ask_type"): [
        ("a cleaning please", "cleaning"), ("just a cleaning", "cleaning"),
        ("I need my teeth cleaned", "cleaning"), ("a checkup", "checkup"),
        ("my six month checkup", "checkup"), ("an exam", "checkup"),
        ("I have a toothache", "toothache"), ("my tooth hurts", "toothache"),
        ("a filling", "filling"), ("I think I have a cavity", "filling"),
        ("a crown", "crown"), ("teeth whitening", "whitening"),
        ("a consultation", "consultation"), ("I chipped a tooth", "toothache")],
    ("insurance_billing", "ask_insurer"): [
        ("Delta Dental", "Delta Dental"), ("I have Cigna", "Cigna"), ("Aetna", "Aetna"),
        ("it's MetLife", "MetLife"), ("Guardian", "Guardian"),
        ("United Concordia", "United Concordia"), ("Blue Cross", "Blue Cross"),
        ("Humana", "Humana"), ("I'm on Medicaid", "Medicaid")],
}


def value_id(value: Any) -> str:
    return str(value.get("id") or value.get("name")) if isinstance(value, dict) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snr", default="clean,20,10", help="noise conditions")
    args = parser.parse_args()
    settings = Settings()
    world = load_world(settings.flows_dir, settings.nlu_data_dir)
    nlu = build_nlu(settings, world)
    sphinx = build_asr(settings, world, "pocketsphinx", 2)
    steered = with_second_pass(sphinx, ("appointment_type", "insurer", "person"), world)
    engines = {"pocketsphinx (domain LM, hints)": sphinx,
               "pocketsphinx + whisper, steered (product)": steered}
    voices = {"Piper": PiperTts(deterministic=True), "espeak-ng en-us": EspeakTts("en-us"),
              "espeak-ng en-gb": EspeakTts("en-gb")}
    people = [("for " + p.name.replace("Dr.", "Doctor"), p.id) for p in world.profile.people()]
    answers = dict(ANSWERS)
    answers[("take_message", "ask_recipient")] = people
    conditions = [None if c == "clean" else float(c) for c in args.snr.split(",")]
    now = datetime(2026, 12, 1, 15, 0)
    print("| question | voice | noise | recogniser | right | wrong value | asked again "
          "| escalated | median s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (flow, step_id), cases in answers.items():
        step = next(s for s in world.flows.flows[flow].steps if s.id == step_id)
        hints = tuple(step.hints or ())
        for voice_name, voice in voices.items():
            audios = [(want, np.concatenate([silence(300), *voice.speak(said), silence(200)]))
                      for said, want in cases]
            for snr in conditions:
                for name, engine in engines.items():
                    right = wrong = again = escalated = 0
                    times = []
                    for k, (want, audio) in enumerate(audios):
                        heard = line(audio, snr, 300 + k)
                        start = time.perf_counter()
                        rec = engine.start(step.type, hints, {})
                        for i in range(0, len(heard), 160):
                            rec.accept(heard[i:i + 160])
                        text = rec.finish().text
                        times.append(time.perf_counter() - start)
                        parsed = nlu.parse(text) if text.strip() else None
                        hit = world.detector.detect(text, parsed, answering=True)
                        if hit and hit[0] in ALWAYS:
                            escalated += 1
                            continue
                        got = slots.parse(step, text, parsed, digits=None,
                                          profile=world.profile, now=now, caller="+14135550123")
                        if not got.ok:
                            again += 1
                        elif value_id(got.value).lower() == want.lower():
                            right += 1
                        else:
                            wrong += 1
                    print(f"| {step.type} | {voice_name} | "
                          f"{'clean' if snr is None else f'{snr:.0f} dB'} | {name} | "
                          f"{right}/{len(cases)} | {wrong} | {again} | {escalated} | "
                          f"{statistics.median(times):.2f} |", flush=True)


if __name__ == "__main__":
    main()
