"""Speech commands: `receptionist call --audio` and `receptionist models download`."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from receptionist.app import create_app
from receptionist.cli.common import clock
from receptionist.config.settings import Settings
from receptionist.simulation.audio_caller import (
    AudioCaller,
    espeak_voice,
    piper_voice,
    save_audio,
)
from receptionist.simulation.caller import signed_settings
from receptionist.simulation.server import LocalServer

VOSK_MODELS = {
    "small": "vosk-model-small-en-us-0.15",  # 40 MB, dynamic graph: per-step grammars work
    "large": "vosk-model-en-us-0.22",  # 1.8 GB, static graph, better accuracy
}
VOSK_BASE_URL = "https://alphacephei.com/vosk/models"


def add_audio_arguments(call: argparse.ArgumentParser) -> None:
    """The `--audio` options of `receptionist call`."""
    call.add_argument("--audio", action="store_true", help="call over a Media Stream with "
                      "synthesised speech (local ASR and TTS: SPEECH_MODE=local)")
    call.add_argument("--voice", default="piper", help="caller voice: piper, or espeak:VOICE "
                      "(espeak:en-gb-scotland, espeak:en-in, ...); 'WAV:file.wav' lines play a "
                      "recording instead")
    call.add_argument("--rate", type=float, default=0.95, help="caller speaking rate (piper)")
    call.add_argument("--snr", type=float, help="mix background noise at this signal-to-noise "
                      "ratio in dB (e.g. 20)")
    call.add_argument("--realtime", action="store_true",
                      help="send audio at real speed (default: as fast as the receptionist "
                      "keeps up; its decisions are the same)")
    call.add_argument("--record", type=Path, help="write each side's audio to WAV files here")


def caller_voice(spec: str, rate: float = 0.95) -> Any:
    """`piper` or `espeak:VOICE` as a function text -> 8 kHz audio."""
    if spec.startswith("espeak:"):
        return espeak_voice(spec.split(":", 1)[1] or "en-us")
    if spec != "piper":
        raise SystemExit(f"error: unknown voice {spec!r}; use piper or espeak:VOICE")
    return piper_voice(rate)


def audio_call(args: argparse.Namespace, scripts: list[tuple[str, list[str]]],
               print_call: Any) -> int:
    """Run scripted calls over a Media Stream, in-process or against `--url`."""
    server = None
    if args.url:
        token, base = Settings.from_env().twilio_auth_token, args.url
        if not token:
            print("error: set TWILIO_AUTH_TOKEN to the server's token to sign requests",
                  file=sys.stderr)
            return 2
    else:
        settings, token = signed_settings(speech_mode="local", auto_migrate=True)
        server = LocalServer(create_app(settings, clock=clock(args.at, settings)))
        base = server.url
    try:
        caller = AudioCaller(base, token, voice=caller_voice(args.voice, args.rate),
                             realtime=args.realtime, snr_db=args.snr,
                             dial_status=args.dial_status)
        for number, lines in scripts:
            result = caller.call(lines, caller=number)
            if args.record:
                for path in save_audio(result, args.record):
                    print(f"  (audio: {path})", file=sys.stderr)
            if args.json:
                print(json.dumps(result.as_json()), flush=True)
            else:
                _print_audio_call(result, print_call)
    finally:
        if server is not None:
            server.close()
    return 0


def _print_audio_call(result: Any, print_call: Any) -> None:
    print(f"call {result.call_sid} ({result.call_ms / 1000:.1f} s of audio)")
    for turn in result.turns:
        if turn.get("caller") is not None:
            ms = turn.get("voice_to_voice_ms")
            print(f"  caller:       {turn['caller']}")
            print(f"  (heard:       {turn.get('heard')!r}"
                  + (f", reply after {ms:.0f} ms)" if ms is not None else ")"))
        print(f"  receptionist: {turn['receptionist']}")
    audio = result.as_json()["audio"]
    o = result.outcome
    print(f"  -> {o.get('status')}, flow {o.get('flow')}, escalation {o.get('escalation')}, "
          f"disposition {o.get('disposition')}; voice-to-voice p50 {audio['p50_ms']} ms, "
          f"barge-ins {audio['barge_ins']}")


def models_download(args: argparse.Namespace) -> int:
    """Fetch an English Vosk model (needs the internet) and say how to use it."""
    name = VOSK_MODELS[args.size]
    dest: Path = args.dest
    target = dest / name
    if (target / "am" / "final.mdl").exists():
        print(f"{target} is already here")
    else:
        base = os.environ.get("RECEPTIONIST_MODELS_URL", VOSK_BASE_URL).rstrip("/")
        url = f"{base}/{name}.zip"
        dest.mkdir(parents=True, exist_ok=True)
        archive = dest / f"{name}.zip"
        print(f"downloading {url} ...", file=sys.stderr)
        try:
            with urllib.request.urlopen(url, timeout=args.timeout) as resp, \
                    open(archive, "wb") as out:  # noqa: S310 - a fixed https URL or the override
                _copy_with_progress(resp, out, int(resp.headers.get("Content-Length") or 0))
        except OSError as exc:
            archive.unlink(missing_ok=True)
            print(f"error: could not download {url}: {exc}\n"
                  f"Download it on a machine with internet access, unzip it under {dest} and "
                  "set VOSK_MODEL_PATH; until then the receptionist uses pocketsphinx.",
                  file=sys.stderr)
            return 1
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
        archive.unlink()
        if not (target / "am" / "final.mdl").exists():
            shutil.rmtree(target, ignore_errors=True)
            print(f"error: {url} did not contain a Vosk model named {name}", file=sys.stderr)
            return 1
    print(f"export VOSK_MODEL_PATH={target}\nexport SPEECH_MODE=local")
    return 0


def _copy_with_progress(src: Any, out: Any, total: int) -> None:
    done = 0
    while chunk := src.read(1 << 20):
        out.write(chunk)
        done += len(chunk)
        if total and sys.stderr.isatty():
            print(f"\r  {done >> 20} / {total >> 20} MB", end="", file=sys.stderr)
    if total and sys.stderr.isatty():
        print(file=sys.stderr)


def add_models_parser(sub: Any) -> None:
    """`receptionist models download`."""
    models = sub.add_parser("models", help="speech models")
    msub = models.add_subparsers(dest="models_command", required=True)
    dl = msub.add_parser("download", help="download an English Vosk model (small: 40 MB, "
                         "large: 1.8 GB) where the internet is reachable")
    dl.add_argument("--size", choices=sorted(VOSK_MODELS), default="small")
    dl.add_argument("--dest", type=Path, default=Path.home() / ".cache" / "receptionist" / "vosk")
    dl.add_argument("--timeout", type=float, default=30)
    dl.set_defaults(run=models_download)
