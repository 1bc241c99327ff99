"""English speech out of the box: pocketsphinx's bundled US English model with a domain LM.

The general English language model gets ~40 % of words wrong on synthesised telephone speech;
a trigram model built from what this practice's callers say (`speech.domain.corpus`: the NLU
examples, the flows' hints and choices, and answers for every slot type) is what makes it
usable. One model serves every step, so a request for a person or a safety phrase is as
recognisable mid-confirmation as anywhere (switching models per step costs pocketsphinx ~1 s of
search building per decoder and model, so per-step grammars are left to Vosk). Telephone audio
(8 kHz) is upsampled to the model's 16 kHz.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
from pathlib import Path
from typing import Any

import numpy as np

from receptionist.speech import Hypothesis, MissingPackage
from receptionist.speech.audio import interpolate
from receptionist.speech.numbers import normalise

log = logging.getLogger("receptionist.speech")
PARTIAL_EVERY = 5  # frames between partial results (100 ms)


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise MissingPackage("pocketsphinx is not installed: pip install pocketsphinx") from exc
    return pocketsphinx


def build_arpa(sentences: list[str], path: Path) -> Path:
    """Write a trigram ARPA model of these sentences (pocketsphinx's own builder)."""
    from pocketsphinx.lm import ArpaBoLM

    lm = ArpaBoLM(text="\n".join(sentences) + "\n", add_start=True, discount_mass=0.5)
    lm.compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        lm.write(fh)
    return path


class SphinxAsr:
    """pocketsphinx with the practice's domain language model; a pool of decoders."""

    name = "pocketsphinx"

    def __init__(self, sentences: list[str], cache_dir: Path, pool_size: int = 2) -> None:
        ps = _pocketsphinx()
        self.model = str(Path(ps.get_model_path()) / "en-us" / "en-us")
        self._ps = ps
        probe = ps.Decoder(loglevel="FATAL", lm=None)
        known = [" ".join(w for w in s.split() if probe.lookup_word(w)) for s in sentences]
        known = [s for s in known if s]
        digest = hashlib.sha256("\n".join(known).encode()).hexdigest()[:12]
        target = cache_dir / f"domain-{digest}.arpa"
        self.lm = target if target.exists() else build_arpa(known, target)
        self.words = len({w for s in known for w in s.split()})
        self._pool: queue.Queue = queue.Queue()
        for _ in range(pool_size):
            self._pool.put(self._decoder())
        self.cmn = self._pool.queue[0].get_cmn() if pool_size else "40,3,-1"
        log.info("ASR: pocketsphinx, model %s, domain LM of %d sentences (%d words)",
                 self.model, len(known), self.words)

    def _decoder(self):
        return self._ps.Decoder(loglevel="FATAL", lm=str(self.lm))

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None) -> SphinxRecognition:
        """Begin an utterance (one model for every step: see the module's note).

        `channel` is the call's own state: cepstral mean normalisation adapts to one caller's
        line and noise over the call, and starts each call from the calibrated estimate.
        """
        try:
            decoder = self._pool.get_nowait()
        except queue.Empty:
            log.warning("ASR: every pocketsphinx decoder is busy; loading one more (~1 s). "
                        "Raise asr.decoders in flows/voice.yaml to the calls you expect at once.")
            decoder = self._decoder()
        if channel is None:
            channel = {}
        channel.setdefault("cmn", self.cmn)
        return SphinxRecognition(decoder, self._pool, channel)


    def calibrate(self, audio: np.ndarray) -> None:
        """Learn where a call's channel estimate starts from telephone speech (8 kHz)."""
        decoder = self._pool.get()
        try:
            decoder.start_utt()
            decoder.process_raw(interpolate(audio).tobytes(), False, True)
            decoder.end_utt()
            self.cmn = decoder.get_cmn()
        finally:
            self._pool.put(decoder)


class SphinxRecognition:
    """One utterance on a pooled decoder."""

    def __init__(self, decoder, pool: queue.Queue, channel: dict[str, Any]) -> None:
        self.decoder, self.pool, self.frames, self.channel = decoder, pool, 0, channel
        decoder.set_cmn(channel["cmn"])  # this call's channel estimate, not another call's
        decoder.start_utt()

    def accept(self, pcm: np.ndarray) -> str:
        """Feed 8 kHz audio; every 100 ms, return the partial hypothesis."""
        self.decoder.process_raw(interpolate(pcm).tobytes(), False, False)
        self.frames += 1
        if self.frames % PARTIAL_EVERY:
            return ""
        hyp = self.decoder.hyp()
        return normalise(hyp.hypstr) if hyp else ""

    def finish(self) -> Hypothesis:
        """End the utterance; the decoder goes back to the pool."""
        try:
            self.decoder.end_utt()
            self.channel["cmn"] = self.decoder.get_cmn()
            hyp = self.decoder.hyp()
            if not hyp:
                return Hypothesis("")
            confidence = float(self.decoder.get_logmath().exp(hyp.prob)) if hyp.prob < 0 else None
            return Hypothesis(normalise(hyp.hypstr.replace("<sil>", "")), confidence)
        finally:
            self.pool.put(self.decoder)


def default_cache() -> Path:
    """Where built language models are kept."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "receptionist" / "asr"
