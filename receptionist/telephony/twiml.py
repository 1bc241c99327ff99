"""Render the engine's actions as TwiML with twilio's VoiceResponse. The only TwiML builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twilio.twiml.voice_response import Recording, VoiceResponse

from receptionist.core.actions import Gather, Hangup, Say, Transfer, Voicemail

VOICE = {"voice": "Polly.Joanna", "language": "en-US"}
APOLOGY = ("I'm sorry, something went wrong on our side. "
           "Let me transfer you to our front desk.")
# a new call when every stream is taken: straight to a person, never a wait in silence
BUSY = "Thank you for calling. All our lines are busy; connecting you to our front desk."


@dataclass(frozen=True)
class Urls:
    """Where Twilio should send the next request for one call."""

    gather: str
    dial: str  # format with handoff=<id>
    whisper: str  # format with handoff=<id>
    voicemail: str
    dial_timeout: int = 20


RECORDING_NAME = "call"  # the call recording's name, so <Stop><Recording> can end it


def render(actions: list[Any], handoff_ids: dict[int, int], urls: Urls,
           spoken: bool = False, record: str | None = None) -> str:
    """Turn actions into one TwiML document.

    `spoken`: the sentences were already played over a media stream; render only the rest.
    `record`: "stop" ends the call's recording first (a refusal); any other value starts a
    two-channel recording of the call whose status Twilio posts to that URL.
    """
    vr = VoiceResponse()
    if record == "stop":
        vr.stop().append(Recording(name=RECORDING_NAME))
    elif record:
        vr.start().recording(channels="dual", recording_status_callback=record,
                             recording_status_callback_event="completed",
                             name=RECORDING_NAME)
    for index, action in enumerate(actions):
        if spoken and isinstance(action, Say | Gather):
            continue
        if spoken and isinstance(action, Voicemail):
            vr.record(action=urls.voicemail, method="POST", max_length=action.max_seconds,
                      play_beep=True, timeout=5)
        elif isinstance(action, Say):
            vr.say(action.text, **VOICE)
        elif isinstance(action, Gather):
            gather = vr.gather(input="speech dtmf", action=urls.gather, method="POST",
                               speech_timeout="auto", timeout=6, language="en-US",
                               action_on_empty_result=True,
                               hints=", ".join(action.hints) or None)
            gather.say(action.prompt, **VOICE)
        elif isinstance(action, Transfer):
            hid = handoff_ids[index]
            dial = vr.dial(action=urls.dial.format(handoff=hid), method="POST",
                           timeout=urls.dial_timeout)
            dial.number(action.handoff.number, url=urls.whisper.format(handoff=hid),
                        method="POST")
        elif isinstance(action, Voicemail):
            vr.say(action.prompt, **VOICE)
            vr.record(action=urls.voicemail, method="POST", max_length=action.max_seconds,
                      play_beep=True, timeout=5)
        elif isinstance(action, Hangup):
            vr.hangup()
    return str(vr)


def connect_stream(stream_url: str, action: str, turn: int) -> str:
    """Hand the call to a bidirectional Media Stream; `action` answers when the stream ends."""
    vr = VoiceResponse()
    connect = vr.connect(action=action, method="POST")
    stream = connect.stream(url=stream_url)
    stream.parameter(name="turn", value=str(turn))
    return str(vr)


def shadow(stream_url: str, caller: str, human_number: str) -> str:
    """Shadow mode: the practice's human path, plus a fork of both tracks to the receptionist."""
    vr = VoiceResponse()
    start = vr.start()
    stream = start.stream(url=stream_url, track="both_tracks")
    stream.parameter(name="mode", value="shadow")
    stream.parameter(name="from", value=caller)
    vr.dial(human_number)
    return str(vr)


def whisper(text: str) -> str:
    """What the staff member hears before being connected."""
    vr = VoiceResponse()
    vr.say(text, **VOICE)
    return str(vr)


def fallback(front_desk: str, spoken: bool = False, say: str = APOLOGY) -> str:
    """The answer to any internal failure: apologise and transfer, never a 500 or silence.

    `spoken`: the apology was already played over a media stream. `say`: another line (BUSY).
    """
    vr = VoiceResponse()
    if not spoken:
        vr.say(say, **VOICE)
    vr.dial(front_desk)
    return str(vr)


def empty() -> str:
    """An empty response (status callbacks)."""
    return str(VoiceResponse())
