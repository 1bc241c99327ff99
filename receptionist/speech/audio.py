"""Telephone audio: 8 kHz µ-law <-> 16-bit PCM, resampling, frames, noise mixing, WAV files.

Pure numpy (the standard library's audioop is deprecated and gone in Python 3.13).
"""

from __future__ import annotations

import base64
import io
import wave
from collections import deque
from pathlib import Path

import numpy as np
import soxr

RATE = 8000  # Twilio Media Streams: 8 kHz mono µ-law
FRAME_MS = 20
FRAME_SAMPLES = RATE * FRAME_MS // 1000  # 160 samples, 160 µ-law bytes
_BIAS, _CLIP = 0x84, 32635


def _decode_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign, exponent, mantissa = u & 0x80, (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


ULAW_TO_PCM = _decode_table()


def ulaw_to_pcm(data: bytes) -> np.ndarray:
    """Decode G.711 µ-law bytes to int16 samples."""
    return ULAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)]


def pcm_to_ulaw(samples: np.ndarray) -> bytes:
    """Encode int16 samples as G.711 µ-law bytes."""
    x = samples.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    x = np.minimum(np.abs(x), _CLIP) + _BIAS
    exponent = np.floor(np.log2(x >> 7 | 1)).astype(np.int32)
    exponent = np.clip(exponent, 0, 7)
    mantissa = (x >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample int16 audio with libsoxr (band-limited: no aliasing down, no images up)."""
    if rate_in == rate_out or len(samples) == 0:
        return samples.astype(np.int16)
    return soxr.resample(np.asarray(samples, dtype=np.int16), rate_in, rate_out, quality="HQ")


def interpolate(samples: np.ndarray, rate_in: int = RATE, rate_out: int = 16000) -> np.ndarray:
    """Linear-interpolation upsampling, for pocketsphinx only.

    Its only English acoustic model is wideband (16 kHz). Measured on the same Piper utterances
    (benchmarks/RESULTS.md), it recognises telephone audio better with the spectral images that
    interpolation leaves above 4 kHz than with a clean band-limited signal: "march third nineteen
    eighty five" came back as "march 3rd 1985" interpolated and "march 3rd i do you card" through
    soxr. Everything else (Whisper, voices, recordings) uses `resample`.
    """
    if len(samples) == 0:
        return samples.astype(np.int16)
    x = samples.astype(np.float32)
    if rate_out == 2 * rate_in:  # every 20 ms frame of every call: the same, without np.interp
        y2 = np.empty(2 * len(x), dtype=np.float32)
        y2[0::2], y2[1:-1:2], y2[-1] = x, (x[:-1] + x[1:]) / 2, x[-1]
        return np.clip(np.round(y2), -32768, 32767).astype(np.int16)
    positions = np.arange(int(len(x) * rate_out / rate_in)) * (rate_in / rate_out)
    y = np.interp(positions, np.arange(len(x)), x)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def frames(samples: np.ndarray, size: int = FRAME_SAMPLES) -> list[np.ndarray]:
    """Cut audio into frames of `size` samples, the last one padded with silence."""
    pad = (-len(samples)) % size
    padded = np.concatenate([samples.astype(np.int16), np.zeros(pad, dtype=np.int16)])
    return [padded[i:i + size] for i in range(0, len(padded), size)]


def b64_ulaw(samples: np.ndarray) -> str:
    """One Media Streams `media.payload`: base64 of µ-law bytes."""
    return base64.b64encode(pcm_to_ulaw(samples)).decode("ascii")


def from_b64_ulaw(payload: str) -> np.ndarray:
    """Decode a Media Streams `media.payload` to int16 samples."""
    return ulaw_to_pcm(base64.b64decode(payload))


def silence(ms: int) -> np.ndarray:
    """Digital silence of that length at 8 kHz."""
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def rms_db(samples: np.ndarray) -> float:
    """Loudness in dB relative to full scale (-100 for digital silence)."""
    if len(samples) == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return 20 * np.log10(rms / 32768) if rms > 0 else -100.0


def noise(n: int, seed: int = 0, kind: str = "babble") -> np.ndarray:
    """Reproducible background noise: `white`, or `babble` (low-passed, amplitude-modulated)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    if kind == "babble":
        x = np.convolve(x, np.ones(6) / 6, mode="same")
        envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * np.arange(n) / RATE + rng.uniform(0, 6))
        x = x * envelope
    return (x / (np.sqrt(np.mean(x ** 2)) or 1.0) * 3000).astype(np.float32)


def noise_gain(speech: np.ndarray, snr_db: float) -> float:
    """The factor on `noise()` that puts it `snr_db` below the speech's loud part."""
    s = speech.astype(np.float64)
    voiced = s[np.abs(s) > 0.05 * (np.abs(s).max() or 1)]
    p_speech = float(np.mean(voiced ** 2)) if len(voiced) else 0.0
    return float(np.sqrt(p_speech / (3000.0 ** 2 * 10 ** (snr_db / 10)))) if p_speech else 0.0


def mix_noise(speech: np.ndarray, snr_db: float, seed: int = 0,
              kind: str = "babble") -> np.ndarray:
    """Add noise at a fixed signal-to-noise ratio (measured on the speech's loud part)."""
    n = noise(len(speech), seed, kind).astype(np.float64) * noise_gain(speech, snr_db)
    return np.clip(np.round(speech.astype(np.float64) + n), -32768, 32767).astype(np.int16)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit mono (or first channel of) WAV file."""
    with open(path, "rb") as fh:
        return read_wav_bytes(fh.read(), str(path))


def read_wav_bytes(data: bytes, name: str = "WAV data") -> tuple[np.ndarray, int]:
    """Parse a 16-bit PCM WAV (espeak-ng's --stdout leaves the length fields unset)."""
    if data[:4] == b"RIFF" and data[4:8] in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"):
        data = data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:]
        data = data[:40] + (len(data) - 44).to_bytes(4, "little") + data[44:]
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{name}: only 16-bit PCM WAV is supported")
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        return samples[:: w.getnchannels()].copy(), w.getframerate()


def write_wav(path: str | Path, samples: np.ndarray, rate: int = RATE) -> None:
    """Write 16-bit mono PCM."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())


class LevelGate:
    """Is a frame loud enough over the line's recent noise floor to be anybody talking?"""

    def __init__(self, margin_db: float = 6.0) -> None:
        self.margin = margin_db
        # the last 6 s: a caller saying a phone number talks for 5-7 s with short gaps, and a
        # shorter window let the "floor" climb to their voice and cut them off mid-number
        self.levels: deque[float] = deque(maxlen=300)
        self.floor, self.count = -90.0, 0

    def __call__(self, pcm: np.ndarray) -> bool:
        """Take one 20 ms frame; True when it clears the floor by the margin."""
        level = rms_db(pcm)
        self.levels.append(level)
        self.count += 1
        if self.count % 10 == 0:  # the floor moves slowly: re-estimate it every 200 ms
            self.floor = float(np.percentile(self.levels, 10))
        return level >= max(self.floor + self.margin, -55.0)
