"""Silero's neural voice-activity detector, frame by frame, for turn taking on a telephone line.

WebRTC's detector (`turns.VoiceActivity`) decides from the spectrum's shape, so background talk
and music look like a caller; that is where false barge-ins come from. Silero VAD (v6, MIT; the
ONNX file that `faster-whisper` ships, run by onnxruntime, which Piper already installs) was
trained to tell speech from noise, babble included. It works on 16 kHz audio in 32 ms windows:
each 20 ms frame is resampled (libsoxr, streaming) and the detector runs whenever a window is
full, carrying its recurrent state across the call. One ONNX session per process; the state is
per call. A loudness gate over the line's noise floor stays in front of it, as for WebRTC.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from receptionist.speech import MissingPackage
from receptionist.speech.audio import LevelGate

WINDOW, CONTEXT = 512, 64  # samples at 16 kHz: what the v6 model takes per step


@functools.cache
def session() -> Any:
    """The ONNX session for the model faster-whisper ships (one per process)."""
    try:
        import faster_whisper
        import onnxruntime
    except ImportError as exc:
        raise MissingPackage("Silero VAD needs faster-whisper and onnxruntime") from exc
    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    if not path.exists():
        raise MissingPackage(f"no Silero VAD model at {path}")
    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"],
                                        sess_options=opts)


class SileroActivity:
    """Is this 20 ms frame speech? Silero's probability, with hysteresis, behind a level gate."""

    def __init__(self, threshold: float = 0.5, margin_db: float = 6.0) -> None:
        import soxr

        self.session = session()
        self.threshold, self.release = threshold, max(0.0, threshold - 0.15)
        self.loud = LevelGate(margin_db)
        self.stream = soxr.ResampleStream(8000, 16000, 1, dtype="float32")
        self.state = np.zeros((2, 1, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)
        self.pending = np.zeros(0, dtype=np.float32)
        self.speaking = False

    def probability(self, pcm: np.ndarray) -> float | None:
        """Feed a frame; Silero's speech probability if a window completed, else None."""
        x = self.stream.resample_chunk(pcm.astype(np.float32) / 32768.0)
        self.pending = np.concatenate([self.pending, x])
        prob = None
        while len(self.pending) >= WINDOW:
            window, self.pending = self.pending[:WINDOW], self.pending[WINDOW:]
            out, h, c = self.session.run(None, {
                "input": np.concatenate([self.context, window])[None, :],
                "h": self.state[0], "c": self.state[1]})
            self.state = np.stack([h, c])
            self.context = window[-CONTEXT:]
            prob = float(np.asarray(out).reshape(-1)[0])
        return prob

    def __call__(self, pcm: np.ndarray) -> bool:
        """Is this 20 ms frame speech?"""
        prob = self.probability(pcm)
        if prob is not None:
            self.speaking = prob >= (self.release if self.speaking else self.threshold)
        return self.loud(pcm) and self.speaking
