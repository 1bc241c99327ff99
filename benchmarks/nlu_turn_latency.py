"""Per-turn latency of the same caller utterances through three paths, in one run:

(a) the receptionist's Gather webhook with NLU_ENGINE=rasa (a Rasa NLU server on loopback),
(b) the receptionist's Gather webhook with the embedded spaCy engine,
(c) Rasa's own `twilio_voice` channel, a minimal Rasa assistant answering the same intents.

Each measured request is one whole turn: for the receptionist NLU, escalation check, flow step,
database writes and TwiML; for Rasa, NLU, the rule policy and its TwiML. Loopback only.

    .venv/bin/python benchmarks/nlu_turn_latency.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhook_latency import free_port  # noqa: E402
from receptionist.config.nlu_data import load_training_data  # noqa: E402
from receptionist.config.settings import Settings  # noqa: E402
from receptionist.nlu import rasa_env  # noqa: E402
from receptionist.simulation.caller import Caller, http_transport  # noqa: E402

PEER = ROOT / "benchmarks" / "rasa_twilio_voice"


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError as exc:
            if "405" in str(exc) or "404" in str(exc):
                return
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer")


def peer_model() -> Path:
    """Train the minimal assistant once (cached beside the project's Rasa model)."""
    out = Settings().rasa_model_dir.parent / "rasa_twilio_voice"
    model = out / "assistant.tar.gz"
    if model.exists():
        return model
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        shutil.copy(ROOT / "nlu_data" / "nlu.yml", data / "nlu.yml")
        shutil.copy(PEER / "data" / "rules.yml", data / "rules.yml")
        config = (ROOT / "nlu_data" / "config.yml").read_text().replace(
            "policies: []", "policies:\n  - name: RulePolicy")
        (Path(tmp) / "config.yml").write_text(config)
        subprocess.run([str(rasa_env.rasa_bin()), "train", "--config", "config.yml", "--domain",
                        str(PEER / "domain.yml"), "--data", "data", "--out", str(out),
                        "--fixed-model-name", "assistant"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
    return model


def start(cmd: list[str], env: dict[str, str], probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(probe, proc)
    return proc


def receptionist_turns(url: str, token: str, utterances: list[str]) -> list[float]:
    caller, send = Caller(http_transport(), token, base_url=url), http_transport()
    out = []
    for text in utterances:
        sid = "CA" + uuid.uuid4().hex
        form = {"CallSid": sid, "From": "+14135550142", "To": "+14135550100"}
        caller.post("/twilio/voice", form)
        body = form | {"SpeechResult": text, "Confidence": "0.9"}
        from twilio.request_validator import RequestValidator

        path = "/twilio/gather?turn=1"
        sig = RequestValidator(token).compute_signature(url + path, body)
        started = time.perf_counter()
        status, _ = send("POST", url + path, body, {"X-Twilio-Signature": sig})
        out.append((time.perf_counter() - started) * 1000)
        assert status == 200
    return out


def rasa_channel_turns(url: str, utterances: list[str]) -> list[float]:
    out = []
    for text in utterances:
        sid = "CA" + uuid.uuid4().hex
        hook = url + "/webhooks/twilio_voice/webhook"
        base = {"CallSid": sid, "From": "+14135550142", "To": "+14135550100"}
        urllib.request.urlopen(hook, urllib.parse.urlencode(base).encode(), timeout=30).read()
        data = urllib.parse.urlencode(base | {"SpeechResult": text}).encode()
        started = time.perf_counter()
        urllib.request.urlopen(hook, data, timeout=30).read()
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    utterances = [e.text for e in load_training_data([ROOT / "nlu_data" / "test"]).examples]
    utterances = (utterances * args.rounds)
    token, procs = secrets.token_hex(16), []
    bin_dir = ROOT / ".venv" / "bin"
    try:
        nlu_port, peer_port = free_port(), free_port()
        nlu_model = Settings().rasa_model_dir / "nlu.tar.gz"
        procs.append(start(rasa_env.serve_command(nlu_model, nlu_port), dict(os.environ),
                           f"http://127.0.0.1:{nlu_port}/status"))
        procs.append(start([str(rasa_env.rasa_bin()), "run", "--model", str(peer_model()),
                            "--credentials", str(PEER / "credentials.yml"), "--port",
                            str(peer_port), "--interface", "127.0.0.1"], dict(os.environ),
                           f"http://127.0.0.1:{peer_port}/"))
        servers = {}
        with tempfile.TemporaryDirectory() as tmp:
            for engine in ("rasa", "spacy"):
                port = free_port()
                env = dict(os.environ, TWILIO_AUTH_TOKEN=token, NLU_ENGINE=engine,
                           RASA_URL=f"http://127.0.0.1:{nlu_port}", RASA_TIMEOUT="2",
                           DATABASE_URL=f"sqlite:///{tmp}/{engine}.sqlite3")
                procs.append(start([str(bin_dir / "receptionist"), "serve", "--port", str(port)],
                                   env, f"http://127.0.0.1:{port}/health"))
                servers[engine] = f"http://127.0.0.1:{port}"
            results = {
                "(a) receptionist turn, NLU_ENGINE=rasa": receptionist_turns(
                    servers["rasa"], token, utterances),
                "(b) receptionist turn, embedded spaCy": receptionist_turns(
                    servers["spacy"], token, utterances),
                "(c) Rasa's own twilio_voice channel": rasa_channel_turns(
                    f"http://127.0.0.1:{peer_port}", utterances),
            }
        peer_p50 = summary(results["(c) Rasa's own twilio_voice channel"])[0]
        print(f"{len(utterances)} turns per path ({args.rounds} rounds of the held-out split)\n")
        print("| path | p50 ms | p95 ms | p50 vs Rasa's channel |")
        print("|---|---|---|---|")
        for name, samples in results.items():
            p50, p95 = summary(samples)
            print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / peer_p50:.2f}x |")
        a50 = summary(results["(a) receptionist turn, NLU_ENGINE=rasa"])[0]
        b50 = summary(results["(b) receptionist turn, embedded spaCy"])[0]
        print(f"\nembedded vs Rasa-backed receptionist turn (p50): {a50 / b50:.2f}x faster")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
