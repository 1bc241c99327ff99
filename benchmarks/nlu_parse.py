"""Parse time of the production NLU (MiniLM intents + safety net + spaCy entities), per encoder.

Both MiniLM backends (`onnx-int8`: the int8 ONNX export on onnxruntime; `numpy`: the fp32
encoder in numpy) are trained here from the same `nlu_data/` into temporary folders, then
parse the same utterances in interleaved rounds in one process, one thread each: the held-out
split (`nlu_data/test/`) and the outside sets (`nlu_data/outside/`). Reported: p50 and p95 per
parse, the encoder alone, intent accuracy on the held-out split, and how close the two
backends' vectors are (cosine).

    .venv/bin/python benchmarks/nlu_parse.py --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from receptionist.config.nlu_data import load_training_data  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.nlu import safety, semantic_engine  # noqa: E402
from receptionist.nlu.minilm import BACKENDS, MiniLM  # noqa: E402
from receptionist.nlu.safety import Guarded, SafetyNet  # noqa: E402
from receptionist.nlu.semantic_engine import SemanticNlu  # noqa: E402
from receptionist.nlu.spacy_engine import SpacyNlu  # noqa: E402
from receptionist.service.world import load_world  # noqa: E402


def build(backend: str, folder: Path, embedded: SpacyNlu) -> tuple[MiniLM, Guarded]:
    """Train the engine and the net on this backend's vectors; return the encoder and NLU."""
    encoder = MiniLM(backend=backend)
    data = load_training_data([ROOT / "nlu_data"])
    semantic_engine.train(data, folder, encoder)
    safety.calibrate(encoder, data, load_world(ROOT / "flows").matrix, folder,
                     exemplars=safety.exemplar_sets(ROOT / "nlu_data"))
    return encoder, Guarded(SemanticNlu(folder, embedded, encoder), SafetyNet(folder, encoder))


def timed(fn: object, texts: list[str]) -> list[float]:
    """Milliseconds per call of fn on each text."""
    out = []
    for text in texts:
        started = time.perf_counter()
        fn(text)  # type: ignore[operator]
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    embedded = SpacyNlu(Settings.from_env().nlu_model_dir)
    test = load_training_data([ROOT / "nlu_data" / "test"]).examples
    texts = [e.text for e in test] + [line.strip() for path in
                                      sorted((ROOT / "nlu_data" / "outside").glob("*.txt"))
                                      for line in path.read_text().splitlines()[:100]]
    with tempfile.TemporaryDirectory() as tmp:
        built = {b: build(b, Path(tmp) / b, embedded) for b in BACKENDS}
        parse = {b: [] for b in BACKENDS}
        encode = {b: [] for b in BACKENDS}
        for _ in range(args.rounds):
            for b, (encoder, nlu) in built.items():
                parse[b] += timed(nlu.parse, texts)
                encode[b] += timed(lambda t, e=encoder: e.embed([t]), texts)
        vectors = {b: built[b][0].embed(texts) for b in BACKENDS}
        cosine = (vectors["onnx-int8"] * vectors["numpy"]).sum(1)
        print(f"{len(texts)} utterances x {args.rounds} rounds, one thread\n")
        print("| backend | parse p50 | parse p95 | encoder p50 | held-out intent accuracy |")
        print("|---|---|---|---|---|")
        for b, (_encoder, nlu) in built.items():
            right = sum(nlu.parse(e.text).intent == e.intent for e in test)
            print(f"| {b} | {statistics.median(parse[b]):.1f} ms "
                  f"| {np.percentile(parse[b], 95):.1f} ms | {statistics.median(encode[b]):.1f} ms "
                  f"| {right}/{len(test)} |")
        ratio = statistics.median(parse["numpy"]) / statistics.median(parse["onnx-int8"])
        print(f"\nparse p50 ratio numpy / onnx-int8: {ratio:.2f}; cosine between the backends' "
              f"vectors: min {cosine.min():.4f}, median {np.median(cosine):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
