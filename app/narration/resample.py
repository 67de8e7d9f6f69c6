"""Band-limited sample-rate conversion in NumPy (Piper speaks at 22.05 kHz; Opus wants 24 kHz).

A polyphase windowed-sinc resampler: each output sample is a Kaiser-windowed
sinc interpolation of ``TAPS`` neighbouring input samples. Written here because
the project has no SciPy. For 22.05 → 24 kHz the error against an ideal
resampler is below -75 dB for tones up to 8 kHz (tests/test_narration.py checks
a 1 kHz tone); speech has little energy above that.
"""

from math import gcd

import numpy as np

TAPS = 32  # input samples per output sample (each side: 16)
KAISER_BETA = 8.6  # stop-band ≈ -85 dB
ROLLOFF = 0.94  # cutoff as a fraction of the lower Nyquist frequency
CHUNK = 1 << 18  # output samples computed per step: bounds memory to a few MB


def _kernel_table(up: int, down: int) -> np.ndarray:
    """Filter taps for each of the ``up`` phases: shape (up, TAPS), float32.

    Row ``p`` holds the weights for an output instant ``p / up`` of an input
    sample after input sample ``i``; column ``k`` weights ``x[i + k - TAPS // 2 + 1]``.
    """
    half = TAPS // 2
    cutoff = 0.5 * min(1.0, up / down) * ROLLOFF  # cycles per input sample
    frac = np.arange(up)[:, None] / up  # (up, 1): output position after x[i]
    offsets = np.arange(TAPS)[None, :] - half + 1  # (1, TAPS): input index relative to i
    dist = offsets - frac  # distance from the output instant, in input samples
    window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (dist / half) ** 2, 0.0, None)))
    table = 2 * cutoff * np.sinc(2 * cutoff * dist) * window / np.i0(KAISER_BETA)
    return table.astype(np.float32)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample a mono signal ``x`` (shape (n,), float) from ``rate_in`` to ``rate_out`` Hz.

    Returns float32 of shape (round(n * rate_out / rate_in),). Sample ``m`` of the
    output is the band-limited value of ``x`` at time ``m / rate_out`` seconds.
    """
    if rate_in == rate_out:
        return np.asarray(x, dtype=np.float32)
    g = gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    table = _kernel_table(up, down)
    half = TAPS // 2
    padded = np.concatenate([np.zeros(half, np.float32), np.asarray(x, np.float32),
                             np.zeros(TAPS, np.float32)])
    n_out = int(round(len(x) * up / down))
    out = np.empty(n_out, dtype=np.float32)
    for start in range(0, n_out, CHUNK):
        m = np.arange(start, min(start + CHUNK, n_out), dtype=np.int64)
        pos = m * down  # output instant in units of 1/up input samples
        base, phase = np.divmod(pos, up)  # x[base] is the input sample at or before it
        rows = table[phase]  # (chunk, TAPS)
        acc = np.zeros(len(m), dtype=np.float32)
        for k in range(TAPS):
            acc += rows[:, k] * padded[base + k + 1]  # x[base + k - half + 1]
        out[start : start + len(m)] = acc
    return out
