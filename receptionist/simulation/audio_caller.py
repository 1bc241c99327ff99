"""Play Twilio's side of a Media Stream: a synthetic caller who speaks, listens and interrupts.

The caller places the call with a signed webhook, follows `<Connect><Stream>`, opens the
WebSocket (signed handshake), and then behaves like Twilio: 20 ms µ-law frames of the caller's
audio, playback of the receptionist's audio with its marks echoed when played, `clear` honoured.
Time is audio time: `realtime=False` sends frames as fast as the receptionist keeps up (the
receptionist's decisions are the same, since its clocks count frames), `realtime=True` paces
them at 20 ms for latency measurements.

Script lines: plain text (synthesised), `DTMF:123`, `<silence>`, `WAV:path.wav`, and
`BARGE:800:text` (say text 800 ms into the receptionist's next prompt, interrupting it).
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from twilio.request_validator import RequestValidator
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from receptionist.simulation.caller import PRACTICE_NUMBER, Caller, http_transport
from receptionist.speech.audio import (
    FRAME_MS,
    b64_ulaw,
    frames,
    from_b64_ulaw,
    noise,
    noise_gain,
    read_wav,
    resample,
    silence,
    write_wav,
)
from receptionist.speech.domain import verbalise
from receptionist.speech.tts import PiperTts, espeak_audio

Voice = Callable[[str], np.ndarray]
SETTLE_S = 0.35  # wall time with nothing new before a reply counts as finished (fast mode)
REPLY_WAIT_S = 20.0
FAST_TAIL_MS = 1000  # silence after speech in fast mode: more than any endpointing setting
FAST_BATCH_MS = 200
FAST_PATIENCE_S = 1.5  # fast mode: wall time without an answer before more silence is sent


@dataclass
class AudioCallResult:
    """One call as the audio caller experienced it."""
    call_sid: str
    turns: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)  # end of speech -> first reply audio
    barge_ins: int = 0
    twiml_after_stream: str | None = None
    received: list[np.ndarray] = field(default_factory=list)
    sent: list[np.ndarray] = field(default_factory=list)
    call_ms: int = 0  # call time: every 20 ms frame the caller sent, speech or not

    def as_json(self) -> dict[str, Any]:
        """The `receptionist call --audio --json` object (the text caller's, plus audio facts)."""
        lat = self.latencies_ms
        return {"call_sid": self.call_sid, "turns": self.turns, "outcome": self.outcome,
                "audio": {"voice_to_voice_ms": [round(x, 1) for x in lat],
                          "p50_ms": round(statistics.median(lat), 1) if lat else None,
                          "barge_ins": self.barge_ins, "call_ms": self.call_ms,
                          "after_stream": _verbs(self.twiml_after_stream)}}


def _verbs(doc: str | None) -> list[str]:
    return [el.tag for el in ET.fromstring(doc)] if doc else []


def piper_voice(rate: float = 1.0) -> Voice:
    """The bundled Piper voice as a caller (a different speaking rate than the receptionist).

    Without Piper's sampling noise, so a scripted caller says a line the same way every time.
    """
    tts = PiperTts(rate=rate, sentence_pause_ms=150, deterministic=True)
    return lambda text: np.concatenate(list(tts.speak(text)))


def espeak_voice(voice: str = "en-us", wpm: int = 165) -> Voice:
    """An espeak-ng voice (accents: en-gb-scotland, en-in, en-029, es, ...) as a caller."""
    return lambda text: espeak_audio(text, voice=voice, wpm=wpm)


class Playback:
    """Twilio's playback buffer: 20 ms plays per frame of call time; marks echo when reached."""
    def __init__(self) -> None:
        self.queue: deque[tuple[str, Any]] = deque()
        self.heard: list[np.ndarray] = []

    def add(self, kind: str, value: Any) -> None:
        """Queue a frame of audio or a mark, as Twilio queues what the stream sends."""
        self.queue.append((kind, value))

    @property
    def busy(self) -> bool:
        """Something is still to be played."""
        return bool(self.queue)

    def tick(self) -> list[str]:
        """Play one frame; return the marks reached."""
        marks: list[str] = []
        while self.queue and self.queue[0][0] == "mark":
            marks.append(self.queue.popleft()[1])
        if self.queue:
            self.heard.append(self.queue.popleft()[1])
        while self.queue and self.queue[0][0] == "mark":
            marks.append(self.queue.popleft()[1])
        return marks

    def clear(self) -> list[str]:
        """Drop unplayed audio; every pending mark is echoed (as Twilio does)."""
        marks = [v for k, v in self.queue if k == "mark"]
        self.queue.clear()
        return marks


class AudioCaller:
    """A synthetic caller on a Media Stream against a running receptionist (`base_url`)."""
    def __init__(self, base_url: str, token: str, voice: Voice | None = None,
                 realtime: bool = False, snr_db: float | None = None, noise_seed: int = 7,
                 dial_status: str = "completed",
                 listen: Callable[[str, str], str | None] | None = None) -> None:
        """A caller; `listen(call_sid, last_line)` may answer a read-back before the next line.

        It returns what this caller says to the receptionist's last words before going on
        with the script, or None.
        """
        self.base, self.token = base_url.rstrip("/"), token
        self.listen = listen
        self.voice = voice or piper_voice(rate=0.95)
        self.realtime, self.snr, self.seed = realtime, snr_db, noise_seed
        self.base_seed, self.utterances = noise_seed, 0
        self.noise_gain = 0.3  # until the first sentence sets it from the caller's loudness
        self.awaiting, self.spoke_at = False, 0.0
        self.reply_at: float | None = None
        self.in_flight = self.stale = False  # a reply is arriving / it answers an earlier turn
        self.webhooks = Caller(http_transport(), token, self.base, dial_status=dial_status)

    # ---- the call ------------------------------------------------------------------------
    def call(self, lines: list[str], caller: str = "+14135550142") -> AudioCallResult:
        """Place one call, say each line in turn, hang up when the lines run out."""
        sid = "CA" + uuid.uuid4().hex
        form = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                "To": PRACTICE_NUMBER, "Direction": "inbound"}
        result = AudioCallResult(call_sid=sid)
        doc = self.webhooks.post("/twilio/voice", form | {"CallStatus": "ringing"})
        connect = ET.fromstring(doc).find("Connect")
        if connect is None:  # no stream (the kill switch, say): a plain TwiML call
            result.twiml_after_stream = doc
        else:
            stream = connect.find("Stream")
            assert stream is not None
            params = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
            closed = self._stream(stream.get("url", ""), params, sid, lines, result)
            if closed:
                result.twiml_after_stream = self.webhooks.post(connect.get("action", ""), form)
                self._follow(result, form)
        self.webhooks.post("/twilio/status", form | {"CallStatus": "completed",
                                                     "CallDuration": "60"})
        self._collect(result, sid)
        return result

    def _follow(self, result: AudioCallResult, form: dict[str, str]) -> None:
        """After the stream: the transfer (with its whisper), as Twilio would run it."""
        root = ET.fromstring(result.twiml_after_stream or "<Response/>")
        dial = root.find("Dial")
        if dial is not None:
            number = dial.find("Number")
            if number is not None and number.get("url"):
                self.webhooks.post(number.get("url", ""), form | {
                    "CallSid": "CA" + uuid.uuid4().hex, "ParentCallSid": form["CallSid"]})
            if dial.get("action"):
                self.webhooks.post(dial.get("action", ""), form | {
                    "DialCallStatus": self.webhooks.dial_status})

    def _collect(self, result: AudioCallResult, sid: str) -> None:
        """The outcome, and per turn what the receptionist heard and said back."""
        url = f"{self.base}/twilio/outcome?CallSid={sid}&transcript=1"
        signature = RequestValidator(self.token).compute_signature(url, {})
        status, body = http_transport()("GET", url, {}, {"X-Twilio-Signature": signature})
        data = json.loads(body) if status == 200 else {}
        result.outcome = data.get("outcome", {})
        groups: list[dict[str, Any]] = [{"heard": None, "said": []}]
        for speaker, text in data.get("transcript", []):
            if speaker == "caller":
                groups.append({"heard": text, "said": []})
            elif speaker == "receptionist":
                groups[-1]["said"].append(text)
        turns = [{"caller": None, "receptionist": " ".join(groups[0]["said"])}]
        for i, turn in enumerate(result.turns, start=1):
            group = groups[i] if i < len(groups) else {"heard": None, "said": []}
            turns.append({**turn, "heard": group["heard"],
                          "receptionist": " ".join(group["said"])})
        result.turns = turns

    # ---- the stream ----------------------------------------------------------------------
    def _stream(self, url: str, params: dict[str, str], sid: str, lines: list[str],
                result: AudioCallResult) -> bool:
        """Run the Media Stream; True when the receptionist closed it (a handover)."""
        signature = RequestValidator(self.token).compute_signature(url, {})
        self.play, self.result = Playback(), result
        self.stream_sid, self.closed, self.cleared = "MZ" + uuid.uuid4().hex, False, 0
        with connect(url, additional_headers={"X-Twilio-Signature": signature},
                     max_size=2 ** 22) as ws:
            self.ws = ws
            try:
                self._converse(sid, params, lines, result)
            except ConnectionClosed:
                self.closed = True
        result.received = self.play.heard
        result.barge_ins = self.cleared
        return self.closed

    def _converse(self, sid: str, params: dict[str, str], lines: list[str],
                  result: AudioCallResult) -> None:
        self._send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        self._send({"event": "start", "sequenceNumber": "1", "streamSid": self.stream_sid,
                    "start": {"accountSid": "AC" + "0" * 32, "streamSid": self.stream_sid,
                              "callSid": sid, "tracks": ["inbound"], "customParameters": params,
                              "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                              "channels": 1}}})
        self.spoke_at = 0.0
        self._await_reply()
        last = ""
        for line in lines:
            self._answer_read_back(sid, last, result)
            if self.closed:
                break
            self._line(line, result)
            last = line
        self._answer_read_back(sid, last, result)  # the script's last answer may be read back
        self._play_out()  # hear the last reply out (a handover closes the stream)
        if not self.closed:
            self._send({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": sid}})

    def _answer_read_back(self, sid: str, last: str, result: AudioCallResult) -> None:
        """Answer a read-back of the last answer, and one of a correction, if there is one."""
        for _ in range(2):
            reply = self.listen(sid, last) if self.listen and last and not self.closed else None
            if not reply:
                return
            self._line(reply, result)
            result.turns[-1]["read_back"] = True

    def _line(self, line: str, result: AudioCallResult) -> None:
        turn: dict[str, Any] = {"caller": line}
        if line.upper().startswith("DTMF:"):
            self._play_out()
            for digit in line[5:].strip():
                self._send({"event": "dtmf", "streamSid": self.stream_sid,
                            "dtmf": {"track": "inbound_track", "digit": digit}})
                self._tick(silence(FRAME_MS))
            self._await_reply()
        elif line.strip() in ("", "<silence>"):
            self._play_out()
            self._await_reply(max_silence_ms=30000, patience=0.03)
        else:
            barge_at = None
            if line.upper().startswith("BARGE:"):
                _, ms, line = line.split(":", 2)
                barge_at = int(ms)
            audio = self._audio(line)
            if barge_at is None:
                self._play_out()
            else:
                self._wait_playing(barge_at)
            result.sent.append(audio)
            self._say(audio)
            turn["voice_to_voice_ms"] = self._await_reply()
            if turn["voice_to_voice_ms"] is not None:
                result.latencies_ms.append(turn["voice_to_voice_ms"])
        result.turns.append(turn)

    def _audio(self, line: str) -> np.ndarray:
        if line.upper().startswith("WAV:"):
            samples, rate = read_wav(line[4:].strip())
            audio = resample(samples, rate, 8000)
        else:
            audio = self.voice(verbalise(line))  # "March 3rd 1985" as people say it
        if self.snr is not None:
            self.noise_gain = noise_gain(audio, self.snr)
            seed = self.base_seed * 1000 + 500 + self.utterances
            audio = np.clip(audio + noise(len(audio), seed) * self.noise_gain,
                            -32768, 32767).astype(np.int16)
        return audio

    def _say(self, audio: np.ndarray) -> None:
        """Stream the caller's speech; remember when its last frame left.

        The line noise just before it is fixed by the utterance's number, so a scripted call
        sounds the same on every run however fast the receptionist answered before.
        """
        self.utterances += 1
        if self.snr is not None:
            lead = noise(8 * 400, self.base_seed * 1000 + self.utterances) * self.noise_gain
            audio = np.concatenate([lead.astype(np.int16), audio])
        for frame in frames(audio):
            self._tick(frame)
        self.spoke_at = time.perf_counter()
        self.stale = self.in_flight  # audio still arriving now belongs to the earlier prompt

    def _await_reply(self, max_silence_ms: int = 12000,
                     patience: float = FAST_PATIENCE_S) -> float | None:
        """Send silence until the receptionist answers; return ms from end of speech to reply.

        Real time: a frame every 20 ms, as Twilio does. Fast: enough silence for the
        receptionist to end the turn, then call time stands still while it answers (a batch
        more only if it stays quiet), so the same script sends the same audio on every run.
        """
        self.reply_at, self.awaiting = None, True
        started = time.perf_counter()
        sent_ms, waited_since = 0, time.perf_counter()
        while not self.closed and time.perf_counter() - started < REPLY_WAIT_S:
            if self.reply_at is not None and (self.realtime or not self.in_flight):
                break
            if self.realtime:
                if sent_ms < max_silence_ms:
                    self._tick(self._line_noise(FRAME_MS))
                    sent_ms += FRAME_MS
                else:
                    self._pump(wait=0.02)
                continue
            quiet = time.perf_counter() - waited_since
            if sent_ms < min(FAST_TAIL_MS, max_silence_ms) or (
                    self.reply_at is None and quiet > patience and sent_ms < max_silence_ms):
                for _ in range(FAST_BATCH_MS // FRAME_MS):
                    self._tick(self._line_noise(FRAME_MS))
                sent_ms += FAST_BATCH_MS
                waited_since = time.perf_counter()
            else:
                self._pump(wait=0.02)
        self.awaiting = False
        if self.reply_at is None:
            return None
        return (self.reply_at - (self.spoke_at or started)) * 1000

    def _play_out(self) -> None:
        """Listen until the receptionist's reply has played to the end."""
        idle_since = time.perf_counter()
        while not self.closed:
            if self.play.busy:
                self._tick(self._line_noise(FRAME_MS))
                idle_since = time.perf_counter()
                continue
            self._pump(wait=0.02 if not self.realtime else 0)
            if self.realtime:
                self._tick(self._line_noise(FRAME_MS))
            if not self.play.busy and time.perf_counter() - idle_since > SETTLE_S:
                return

    def _wait_playing(self, ms: int) -> None:
        """Let the receptionist's prompt play for `ms` (then the caller interrupts it)."""
        deadline = time.perf_counter() + REPLY_WAIT_S
        while not self.play.busy and not self.closed and time.perf_counter() < deadline:
            self._pump(wait=0.02)
        for _ in range(ms // FRAME_MS):
            self._tick(self._line_noise(FRAME_MS))

    def _line_noise(self, ms: int) -> np.ndarray:
        """The line between sentences: digital silence, or the same noise as under speech."""
        if self.snr is None:
            return silence(ms)
        self.seed += 1
        return (noise(8 * ms, self.seed) * self.noise_gain).astype(np.int16)

    def _tick(self, frame: np.ndarray) -> None:
        """One 20 ms frame of call time: send caller audio, play receptionist audio."""
        if self.closed:
            return
        self.result.call_ms += FRAME_MS
        self._send({"event": "media", "streamSid": self.stream_sid,
                    "media": {"track": "inbound", "payload": b64_ulaw(frame)}})
        for mark in self.play.tick():
            self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": mark}})
        if self.realtime:
            time.sleep(FRAME_MS / 1000)
        self._pump(wait=0)

    def _pump(self, wait: float) -> None:
        """Take what the receptionist sent."""
        try:
            raw = self.ws.recv(timeout=wait)
            while True:
                self._got(json.loads(raw))
                raw = self.ws.recv(timeout=0)
        except TimeoutError:
            return
        except ConnectionClosed:
            self.closed = True

    def _got(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "media":
            self.in_flight = True
            if self.awaiting and self.reply_at is None and not self.stale:
                self.reply_at = time.perf_counter()
            self.play.add("audio", from_b64_ulaw(message["media"]["payload"]))
        elif event == "mark":
            self.in_flight = self.stale = False  # the receptionist's marks close a reply
            self.play.add("mark", message["mark"]["name"])
        elif event == "clear":
            self.cleared += 1
            for mark in self.play.clear():
                self._send({"event": "mark", "streamSid": self.stream_sid,
                            "mark": {"name": mark}})

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.ws.send(json.dumps(message))
        except ConnectionClosed:
            self.closed = True


def save_audio(result: AudioCallResult, folder: Path) -> list[Path]:
    """Write what each side said to WAV files (8 kHz)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, chunks in (("receptionist", result.received), ("caller", result.sent)):
        if chunks:
            path = folder / f"{result.call_sid}-{name}.wav"
            write_wav(path, np.concatenate(chunks))
            paths.append(path)
    return paths
