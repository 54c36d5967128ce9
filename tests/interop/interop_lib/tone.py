"""Test tones: write a sine WAV, and tell which of a few frequencies a recording holds.

Frequency detection uses the Goertzel algorithm (one DFT bin per frequency), which
needs nothing beyond the standard library.
"""
import math
import struct
import wave


def write_tone(path, freq, seconds, rate=8000, amplitude=8000):
    """A 16-bit mono sine WAV; `freq` in whole Hz, `seconds` whole seconds."""
    # one second holds a whole number of cycles, so it can simply be repeated
    second = struct.pack("<%dh" % rate, *(int(amplitude * math.sin(2 * math.pi * freq * i / rate))
                                          for i in range(rate)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(second * int(seconds))


def read_wav(path):
    """Samples of the first channel as floats, and the sample rate."""
    with wave.open(path, "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError("%s: expected 16-bit samples, got %d bytes" % (path, width))
    samples = struct.unpack("<%dh" % (len(raw) // 2), raw)
    return [float(s) for s in samples[::channels]], rate


def goertzel_power(samples, rate, freq):
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / max(len(samples), 1)


def analyse(path, freqs=(600, 1000)):
    """Return {'rate', 'seconds', 'rms', 'power': {freq: p}, 'active_seconds'}.

    The power per frequency is summed over 100 ms blocks that are not silent, so a
    recording that starts with silence (before media latched) still reads cleanly.
    """
    samples, rate = read_wav(path)
    block = rate // 10
    power = {f: 0.0 for f in freqs}
    active = 0
    total_energy = 0.0
    for start in range(0, len(samples) - block + 1, block):
        chunk = samples[start:start + block]
        energy = sum(x * x for x in chunk) / block
        if energy < 1e4:   # about -70 dBFS: silence / comfort noise
            continue
        active += 1
        total_energy += energy
        for f in freqs:
            power[f] += goertzel_power(chunk, rate, f)
    # a pure sine of energy E per sample gives a Goertzel power of E * block / 2,
    # so `fraction` is the share of the recording's energy in that one bin
    scale = total_energy * block / 2 or 1.0
    return {"rate": rate, "seconds": len(samples) / rate if rate else 0,
            "active_seconds": active / 10.0, "power": power,
            "fraction": {f: power[f] / scale for f in freqs}}


def dominant(path, freqs=(600, 1000)):
    """The frequency among `freqs` that dominates the recording, plus the analysis."""
    info = analyse(path, freqs)
    best = max(freqs, key=lambda f: info["power"][f])
    return best, info
