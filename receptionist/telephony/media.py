"""One Twilio Media Stream: µ-law frames in, the call engine on every turn, synthesised speech out.

Speaks Twilio's protocol (`connected`, `start`, `media`, `dtmf`, `mark`, `stop` in; `media`,
`mark`, `clear` out). The only I/O is `send` (a JSON text frame) and the call service; the
WebSocket itself lives in `telephony/stream.py`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from receptionist.core.actions import Gather, Hangup, Say, Transfer, Voicemail
from receptionist.core.events import DtmfPressed, NoInput, SpeechRecognized
from receptionist.service import recordings
from receptionist.speech.audio import b64_ulaw, frames, from_b64_ulaw
from receptionist.speech.recorder import Recorder
from receptionist.storage import calls as store
from receptionist.telephony import twiml

log = logging.getLogger("receptionist.stream")
LEAVING = (Transfer, Voicemail, Hangup)
DTMF_COLLECT = ("dob", "phone", "digits")
DTMF_PAUSE_MS = 2000
LEAVE_GRACE_MS = 30000
UNDERSTOOD = 0.9  # NLU confidence at which a free request may end after a short pause
UNSURE = ("out_of_scope", "inform", "affirm", "deny", "greet")  # no request in them yet


def plan(outcome: Any, urls: twiml.Urls) -> dict[str, Any]:
    """What a stream does with one engine outcome: sentences to speak, then listen or leave."""
    speak: list[str] = []
    gather: Gather | None = None
    for action in outcome.actions:
        if isinstance(action, Say):
            speak.append(action.text)
        elif isinstance(action, Voicemail):
            speak.append(action.prompt)
        elif isinstance(action, Gather):
            speak.append(action.prompt)
            gather = action
    leaves = any(isinstance(a, LEAVING) for a in outcome.actions)
    transfer = next((a for a in outcome.actions if isinstance(a, Transfer)), None)
    return {
        "consent": outcome.state.consent,
        "escalation": outcome.state.escalation,
        "handoff": transfer.handoff.target if transfer else None,
        "speak": speak,
        "expect": gather.expect if gather else None,
        "hints": list(gather.hints) if gather else [],
        "num_digits": gather.num_digits if gather else None,
        "twiml": twiml.render(outcome.actions, outcome.handoff_ids, urls, spoken=True)
        if leaves else None,
    }


def wants_stream(actions: list[Any]) -> bool:
    """A webhook's outcome continues on a stream when it asks the caller something."""
    return any(isinstance(a, Gather) for a in actions) and not any(
        isinstance(a, LEAVING) for a in actions)


def stream_key(sid: str, turn: int | str) -> str:
    """Where the plan a stream starts with is kept."""
    return f"stream:{sid}:{turn}"


def connect_key(sid: str, turn: int | str) -> str:
    """Where the TwiML the stream's <Connect action> answers with is kept."""
    return f"connect:{sid}:{turn}"


class Speaker(threading.Thread):
    """Synthesises and sends a plan's sentences while the session keeps listening.

    Each job ends with a mark (sent even when a barge-in cancelled the job's audio), so the
    session knows when Twilio has played, or dropped, everything it was sent.
    """

    def __init__(self, tts: Any, send: Callable[[dict[str, Any]], None],
                 on_audio: Callable[[Any, str | None], None] | None = None) -> None:
        super().__init__(daemon=True, name="speaker")
        self.tts, self.send, self.on_audio = tts, send, on_audio
        self.jobs: queue.Queue = queue.Queue()
        self.generation = 0

    def say(self, texts: list[str], mark: str) -> None:
        """Queue sentences; `mark` follows them."""
        self.jobs.put((self.generation, texts, mark, time.perf_counter()))

    def cancel(self) -> None:
        """Drop what is queued or being synthesised (barge-in)."""
        self.generation += 1

    def stop(self) -> None:
        """End the thread after the current job."""
        self.jobs.put(None)

    def run(self) -> None:
        """Speak jobs until stopped; a closed socket ends the thread quietly."""
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - the socket closed under us: nothing to say to
            log.info("speaker stopped: %s", exc)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            generation, texts, mark, queued = job
            first = True
            for text in texts:
                line: str | None = text
                for chunk in self.tts.speak(text):
                    if generation != self.generation:
                        break
                    for frame in frames(chunk):
                        self.send({"event": "media", "media": {"payload": b64_ulaw(frame)}})
                        if self.on_audio is not None:
                            self.on_audio(frame, line)
                            line = None
                    if first:
                        log.info("first reply audio %.0f ms after the decision",
                                 (time.perf_counter() - queued) * 1000)
                        first = False
            self.send({"event": "mark", "mark": {"name": mark}})


class MediaSession:
    """The receptionist's side of one bidirectional Media Stream."""

    def __init__(self, rec: Any, speech: Any, send: Callable[[str], None],
                 on_turn: Callable[[str | None, list[str]], None] | None = None) -> None:
        self.rec, self.speech, self._send_raw, self.on_turn = rec, speech, send, on_turn
        self._lock = threading.Lock()
        self.recorder = Recorder() if recordings.enabled(rec.settings, rec.service.crypt) \
            else None
        self.started_at = rec.clock()
        self.speaker = Speaker(speech.tts, self.send,
                               self.recorder.outbound if self.recorder else None)
        self.speaker.start()
        # the NLU's last reading: the partial that ended a turn early is usually its final text
        self._read: tuple[str, tuple[str | None, float]] | None = None
        self.turns = speech.turn_taker(understood=self._understood, reading=self._reading)
        self.stream_sid = self.call_sid = ""
        self.turn = "0"
        self.marks: list[str] = []
        self.mark_seq = 0
        self.leaving: str | None = None
        self.left_at: int | None = None
        self.digits, self.digit_at, self.num_digits = "", 0, None
        self.escalation: str | None = None
        self.counted = False
        self.closed = False

    # ---- Twilio -> us -------------------------------------------------------------------
    def receive(self, message: dict[str, Any]) -> bool:
        """Handle one (decoded, well-formed) message from Twilio; False when it should close."""
        handler = getattr(self, "_on_" + str(message.get("event")), None)
        if handler is None:
            log.info("stream %s: unknown event %r ignored", self.stream_sid, message.get("event"))
            return True
        handler(message)
        return not self.closed

    def _on_connected(self, message: dict[str, Any]) -> None:
        log.info("stream connected (%s %s)", message.get("protocol"), message.get("version"))

    def _on_start(self, message: dict[str, Any]) -> None:
        start = message.get("start") or {}
        self.stream_sid = start.get("streamSid") or message.get("streamSid", "")
        self.call_sid = start.get("callSid", "")
        fmt = start.get("mediaFormat") or {}
        if fmt and (fmt.get("encoding") != "audio/x-mulaw" or int(fmt.get("sampleRate", 0))
                    != 8000):
            log.error("stream %s: unsupported media format %s", self.stream_sid, fmt)
            self.closed = True
            return
        self.turn = str((start.get("customParameters") or {}).get("turn", "0"))
        with self.rec.engine.connect() as conn:
            stored = store.seen_request(conn, stream_key(self.call_sid, self.turn),
                                        self.rec.service.crypt)
        if stored is None:
            log.error("stream for unknown call %s (turn %s): closing", self.call_sid, self.turn)
            self.closed = True
            return
        self.begin(self.call_sid, self.stream_sid, json.loads(stored))

    def begin(self, call_sid: str, stream_sid: str, first: dict[str, Any]) -> None:
        """The stream is up: say what the call's last webhook decided, then listen."""
        self.call_sid, self.stream_sid = call_sid, stream_sid
        if not self.counted:
            self.rec.stream_opened()
            self.counted = True
        log.info("call %s: stream %s started", call_sid, stream_sid)
        self._follow(first)

    def _on_media(self, message: dict[str, Any]) -> None:
        media = message.get("media") or {}
        if media.get("track", "inbound") not in ("inbound", "inbound_track"):
            return
        pcm = from_b64_ulaw(media.get("payload", ""))
        for chunk in frames(pcm) if len(pcm) != 160 else [pcm]:
            self._frame(chunk)
            if self.closed:
                return

    def _frame(self, pcm: Any) -> None:
        if self.recorder is not None:
            self.recorder.inbound(pcm)
        if self.leaving is not None:
            self.left_at = (self.left_at or 0) + 20
            if self.left_at >= LEAVE_GRACE_MS:
                self.closed = True  # the caller never confirmed playback: leave anyway
            return
        if self.digits and self.turns.now - self.digit_at >= DTMF_PAUSE_MS:
            self._digits_done()
        for kind, value in self.turns.frame(pcm, playing=bool(self.marks)):
            if kind == "barge_in":
                self._clear()
            elif kind == "utterance":
                if self.recorder is not None:
                    self.recorder.note("caller", value.text,
                                       at_ms=self.turns.started_ms)
                self._event(SpeechRecognized(at=self.rec.clock(), text=value.text,
                                             asr_confidence=value.confidence,
                                             recogniser="local",
                                             spoken=dict(value.languages),
                                             also_heard=value.also or None),
                            heard=value.text)
            elif kind == "no_input":
                self._event(NoInput(at=self.rec.clock()))

    def _on_dtmf(self, message: dict[str, Any]) -> None:
        digit = str((message.get("dtmf") or {}).get("digit", ""))
        if not digit:
            return
        if self.marks:
            self._clear()
        self.turns.disarm()
        collecting = self.turns.expect in DTMF_COLLECT or self.num_digits
        if self.recorder is not None:
            self.recorder.note("caller", "(keypad)")  # never the digits themselves
        if not collecting:
            self._event(DtmfPressed(at=self.rec.clock(), digits=digit))
            return
        if digit != "#":
            self.digits += digit
        self.digit_at = self.turns.now
        if digit == "#" or (self.num_digits and len(self.digits) >= self.num_digits):
            self._digits_done()

    def _digits_done(self) -> None:
        digits, self.digits = self.digits, ""
        if digits:
            self._event(DtmfPressed(at=self.rec.clock(), digits=digits))

    def _on_mark(self, message: dict[str, Any]) -> None:
        name = (message.get("mark") or {}).get("name")
        if name in self.marks:
            self.marks.remove(name)
        if not self.marks:
            if self.leaving is not None:
                self.closed = True
            else:
                self.turns.arm()

    def _on_stop(self, message: dict[str, Any]) -> None:
        log.info("call %s: stream %s stopped", self.call_sid, self.stream_sid)
        self.closed = True

    def _understood(self, partial: str) -> bool:
        """Early end of a free request: the NLU is already sure what the caller wants."""
        intent, confidence = self._reading(partial)
        return bool(intent) and intent not in UNSURE and confidence >= UNDERSTOOD

    def _reading(self, text: str) -> tuple[str | None, float]:
        """The NLU's intent and confidence for these words (none if it fails)."""
        if self._read is not None and self._read[0] == text:
            return self._read[1]
        try:
            result = self.rec.service.nlu.parse(text)
        except Exception:  # noqa: BLE001 - the ordinary endpointing still ends the turn
            return None, 0.0
        self._read = (text, (result.intent, result.confidence))
        return self._read[1]

    # ---- us -> the engine -> Twilio -------------------------------------------------------
    def _event(self, event: Any, heard: str | None = None) -> None:
        self.turns.disarm()
        started = time.perf_counter()
        outcome_plan: dict[str, Any] = {}

        def render(outcome: Any) -> str:
            outcome_plan.update(plan(outcome, self.rec.urls(outcome.state.seq)))
            return json.dumps(outcome_plan)

        try:
            self.rec.service.handle(self.call_sid, event, render)
        except Exception:  # noqa: BLE001 - the caller must never be left in silence
            log.exception("call %s: internal error in the stream; transferring", self.call_sid)
            outcome_plan = {"speak": [twiml.APOLOGY], "expect": None, "hints": [],
                            "twiml": twiml.fallback(self.rec.front_desk(), spoken=True)}
        log.info("call %s: %s decided in %.0f ms", self.call_sid, event.kind,
                 (time.perf_counter() - started) * 1000)  # no words in the log: they are PII
        if self.on_turn is not None:
            self.on_turn(heard, list(outcome_plan.get("speak") or []))
        self._on_record(outcome_plan)
        self._follow(outcome_plan)

    def _on_record(self, step: dict[str, Any]) -> None:
        """Keep the recording's timeline; a refusal destroys the call's audio there and then."""
        if self.recorder is None or self.recorder.off:
            return
        if step.get("consent") == "refused":
            self.recorder.discard()
            recordings.destroy(self.rec.engine, self.call_sid, "caller refused recording",
                               self.rec.clock(), "caller")
            log.info("call %s: the caller refused recording: none is kept", self.call_sid)
            return
        if step.get("escalation") and step["escalation"] != self.escalation:
            self.escalation = step["escalation"]
            self.recorder.note("escalation", step["escalation"])
        if step.get("handoff"):
            self.recorder.note("handoff", str(step["handoff"]))

    def _follow(self, step: dict[str, Any]) -> None:
        """Speak the plan's sentences, then listen (or leave the stream for the TwiML)."""
        self.mark_seq += 1
        name = f"end-{self.mark_seq}"
        self.marks.append(name)
        self.speaker.say(list(step.get("speak") or []), name)
        self.turns.listen(step.get("expect"), tuple(step.get("hints") or ()))
        self.num_digits = step.get("num_digits")
        if step.get("twiml"):
            with self.rec.engine.begin() as conn:
                store.remember_request(conn, connect_key(self.call_sid, self.turn),
                                       self.call_sid, step["twiml"], self.rec.service.crypt)
            self.leaving = step["twiml"]

    def send(self, message: dict[str, Any]) -> None:
        """Send one message to Twilio (from the session or the speaker thread)."""
        with self._lock:
            self._send_raw(json.dumps({"event": message["event"], "streamSid": self.stream_sid,
                                       **{k: v for k, v in message.items() if k != "event"}}))

    def _clear(self) -> None:
        """Barge-in: stop the receptionist's audio now (Twilio echoes the pending marks)."""
        self.speaker.cancel()
        if self.recorder is not None:
            self.recorder.clear()
        self.send({"event": "clear"})
        log.info("call %s: barge-in, playback cleared", self.call_sid)

    def close(self) -> None:
        """The socket is gone: release the recogniser, stop the speaker, keep the recording."""
        self.speaker.stop()
        self.speaker.join(timeout=5)
        self.turns.close()
        self.closed = True
        if self.counted:
            self.rec.stream_closed()
            self.counted = False
        if self.recorder is not None and self.call_sid:
            done = self.recorder.finish()
            if done is not None:
                try:
                    recordings.keep(self.rec.engine, self.rec.service.crypt, self.call_sid,
                                    "local", self.started_at, done.audio, done.events)
                except Exception:  # noqa: BLE001 - the call is over; say so, lose nothing else
                    log.exception("call %s: the recording could not be kept", self.call_sid)
