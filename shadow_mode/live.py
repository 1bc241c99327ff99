"""Live shadow: the AI listens to a real call beside the front desk and logs what it would do.

`POST /twilio/voice` keeps the practice's human path (`<Dial>` to the front desk) and adds a
`<Start><Stream track="both_tracks">` that forks the call's audio here. Both tracks are
transcribed with the local recogniser (inbound: the caller, outbound: the staff member); every
caller utterance goes through the same engine as a live call, with queries run read-only in a
transaction that is rolled back and commands only recorded. Nothing is ever sent back: no audio,
no TwiML beyond the human path, no CRM or calendar writes, no outbox rows, no outbound calls.
When the stream stops, the call is stored in the pilot (`SHADOW_PILOT`, default `live`) for the
staff to label at /dashboard/shadow and for `receptionist shadow report --pilot live`.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any

import numpy as np

from integrations.sql import SqlIntegrations
from receptionist.core.engine import REFUSAL
from receptionist.service import recordings
from receptionist.speech.audio import frames, from_b64_ulaw
from shadow_mode import store as shadow_store
from shadow_mode.replay import ShadowCall

log = logging.getLogger("receptionist.shadow")
SPEAKERS = {"inbound": "caller", "inbound_track": "caller", "outbound": "staff",
            "outbound_track": "staff"}


class ShadowSession:
    """The receptionist's ear on one forked call: two recognisers, the engine, a log."""

    def __init__(self, rec: Any, speech: Any) -> None:
        self.rec, self.speech = rec, speech
        self.ears = {"caller": speech.turn_taker(), "staff": speech.turn_taker()}
        self.call: ShadowCall | None = None
        self.closed = False
        self.pilot = rec.settings.shadow_pilot
        compliance = rec.world.compliance
        self.record = bool(recordings.enabled(rec.settings, rec.service.crypt) and compliance
                           and compliance.recording_notice_on_line
                           and compliance.recording_disclosure.strip())
        self.tracks: dict[str, list[Any]] = {"caller": [], "staff": []}
        self.lines: list[dict[str, Any]] = []

    @contextmanager
    def _read_only(self) -> Any:
        with self.rec.engine.connect() as conn:
            transaction = conn.begin()
            try:
                yield SqlIntegrations(conn, self.rec.world.profile, self.rec.service.crypt)
            finally:
                transaction.rollback()

    def receive(self, message: dict[str, Any]) -> bool:
        """Handle one (decoded, well-formed) message from Twilio; False when the stream is over."""
        event = message.get("event")
        if event == "start":
            self._start(message.get("start") or {})
        elif event == "media" and self.call is not None:
            media = message.get("media") or {}
            speaker = SPEAKERS.get(media.get("track", "inbound"), "caller")
            for frame in frames(from_b64_ulaw(media.get("payload", ""))):
                self._frame(speaker, frame)
        elif event == "stop":
            self.finish()
        return not self.closed

    def _start(self, start: dict[str, Any]) -> None:
        params = start.get("customParameters") or {}
        self.call = ShadowCall(self.rec.world, self.rec.service.nlu, self._read_only,
                               start.get("callSid", "?"), params.get("from", "anonymous"),
                               self.rec.clock())
        log.info("shadowing call %s (pilot %s)", self.call.call_id, self.pilot)

    def _frame(self, speaker: str, pcm: Any) -> None:
        ear = self.ears[speaker]
        if self.record:
            self.tracks[speaker].append(pcm)
        for kind, value in ear.frame(pcm, playing=False):
            if kind != "utterance" or self.call is None:
                continue
            t = ear.now / 1000
            if self.record:
                self._note(speaker, value.text, ear.started_ms)
            if speaker == "staff":
                self.call.staff_said(value.text, t)
                continue
            decision = self.call.caller_said(value.text, t)
            log.info("shadow %s at %.1fs: intent %s -> %s (escalation %s)", self.call.call_id, t,
                     decision.get("intent"), decision.get("decision"), decision.get("escalation"))

    def _note(self, speaker: str, text: str, at_ms: int) -> None:
        if speaker == "caller" and REFUSAL.search(text):
            self.record, self.tracks, self.lines = False, {"caller": [], "staff": []}, []
            log.info("shadowed call: the caller refused recording; none is kept")
            return
        self.lines.append({"at_ms": at_ms, "who": speaker, "text": text})

    def _keep_recording(self, call_id: str) -> None:
        caller, staff = (np.concatenate(t) if t else np.zeros(0, np.int16)
                         for t in (self.tracks["caller"], self.tracks["staff"]))
        audio = np.zeros((max(len(caller), len(staff)), 2), np.int16)
        audio[:len(caller), 0], audio[:len(staff), 1] = caller, staff
        if len(audio):
            recordings.keep(self.rec.engine, self.rec.service.crypt, call_id, "shadow",
                            self.rec.clock(), audio, sorted(self.lines,
                                                            key=lambda e: e["at_ms"]),
                            check_consent=False)

    def finish(self) -> dict[str, Any] | None:
        """The call ended: store what the AI would have done."""
        if self.closed:
            return None
        self.closed = True
        for ear in self.ears.values():
            ear.close()
        if self.call is None:
            return None
        t = max(ear.now for ear in self.ears.values()) / 1000
        result = self.call.end(t) | {"live": True}
        with self.rec.engine.begin() as conn:
            shadow_store.save(conn, self.pilot, [result], self.rec.service.crypt)
        if self.record:
            self._keep_recording(result["call_id"])
        log.info("shadowed call %s stored in pilot %s: %s, escalation %s, would contain %s",
                 result["call_id"], self.pilot, result["call_type"], result["escalation"],
                 result["would_contain"])
        return result

    def close(self) -> None:
        """The socket is gone (a hang-up without `stop`): keep what was heard."""
        self.finish()
