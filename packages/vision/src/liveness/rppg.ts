import FFT from 'fft.js';

/** Mean skin colour of one frame at its container timestamp. */
export interface ColorSample {
  timeMs: number;
  r: number;
  g: number;
  b: number;
}

export interface PulseEstimate {
  /** Strongest frequency in the heart-rate band, in beats per minute. */
  bpm: number;
  /** Spectral SNR (dB): power at the peak and its first harmonic vs the rest of the band. */
  snrDb: number;
  /** Rate the samples were resampled to (Hz). */
  sampleRate: number;
  /** Seconds of signal analysed. */
  durationS: number;
}

export interface PulseOptions {
  /** Uniform rate the timestamps are resampled to. Default 15 Hz (Nyquist 7.5 Hz > the 4 Hz band edge). */
  sampleRate?: number;
  lowHz?: number;
  highHz?: number;
  /**
   * Half-width of the signal bins around the peak and its harmonic. Default: the main lobe of
   * the Hann window over the signal's duration (≈ 1.6 / T Hz), at least 0.15 Hz, so a pure
   * rhythm keeps its energy in the signal bins however short the recording.
   */
  peakHalfWidthHz?: number;
}

/** Linear interpolation of irregular samples onto a uniform grid (the container's timestamps, not a nominal rate). */
export function resampleUniform(times: readonly number[], values: readonly number[], rate: number): number[] {
  const out: number[] = [];
  if (times.length < 2) return out;
  const start = times[0] as number;
  const end = times.at(-1) as number;
  const step = 1000 / rate;
  let cursor = 0;
  for (let t = start; t <= end + 1e-9; t += step) {
    while (cursor < times.length - 2 && (times[cursor + 1] as number) < t) cursor += 1;
    const t0 = times[cursor] as number;
    const t1 = times[cursor + 1] as number;
    const v0 = values[cursor] as number;
    const v1 = values[cursor + 1] as number;
    out.push(t1 === t0 ? v0 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0));
  }
  return out;
}

/** Removes the least-squares straight line. */
export function detrend(signal: readonly number[]): number[] {
  const n = signal.length;
  if (n < 2) return signal.map(() => 0);
  const meanX = (n - 1) / 2;
  const meanY = signal.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  signal.forEach((v, i) => {
    sxy += (i - meanX) * (v - meanY);
    sxx += (i - meanX) ** 2;
  });
  const slope = sxy / sxx;
  return signal.map((v, i) => v - meanY - slope * (i - meanX));
}

function nextPow2(n: number): number {
  let size = 2;
  while (size < n) size *= 2;
  return size;
}

/**
 * Zero-phase band-pass: FFT, a mask that is 1 inside [low, high] with raised-cosine edges
 * 0.1 Hz wide, inverse FFT. The signal is zero-padded to 4× its length (no wrap-around).
 */
export function bandPass(signal: readonly number[], rate: number, lowHz: number, highHz: number): number[] {
  const size = nextPow2(signal.length * 4);
  const fft = new FFT(size);
  const input = new Array<number>(size).fill(0);
  signal.forEach((v, i) => {
    input[i] = v;
  });
  const spectrum = fft.createComplexArray() as number[];
  fft.realTransform(spectrum, input);
  fft.completeSpectrum(spectrum);
  const edge = 0.1;
  for (let k = 0; k < size; k += 1) {
    const f = (Math.min(k, size - k) * rate) / size;
    let gain = 0;
    if (f >= lowHz && f <= highHz) gain = 1;
    else if (f > lowHz - edge && f < lowHz)
      gain = 0.5 - 0.5 * Math.cos((Math.PI * (f - (lowHz - edge))) / edge);
    else if (f > highHz && f < highHz + edge) gain = 0.5 + 0.5 * Math.cos((Math.PI * (f - highHz)) / edge);
    spectrum[2 * k] = (spectrum[2 * k] as number) * gain;
    spectrum[2 * k + 1] = (spectrum[2 * k + 1] as number) * gain;
  }
  const out = fft.createComplexArray() as number[];
  fft.inverseTransform(out, spectrum);
  return signal.map((_, i) => out[2 * i] as number);
}

/** Power spectrum (Hann window, zero-padded to ≥ 2048 points): frequencies (Hz) and powers. */
export function powerSpectrum(signal: readonly number[], rate: number): { freqs: number[]; power: number[] } {
  const size = Math.max(2048, nextPow2(signal.length * 4));
  const fft = new FFT(size);
  const input = new Array<number>(size).fill(0);
  const n = signal.length;
  signal.forEach((v, i) => {
    input[i] = v * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / Math.max(1, n - 1)));
  });
  const spectrum = fft.createComplexArray() as number[];
  fft.realTransform(spectrum, input);
  const freqs: number[] = [];
  const power: number[] = [];
  for (let k = 0; k <= size / 2; k += 1) {
    freqs.push((k * rate) / size);
    power.push((spectrum[2 * k] as number) ** 2 + (spectrum[2 * k + 1] as number) ** 2);
  }
  return { freqs, power };
}

/**
 * POS projection (Wang, den Brinker, Stuijk, de Haan 2017): in sliding windows of 1.6 s the
 * colour channels are divided by their mean, projected on the plane orthogonal to the skin
 * tone (S1 = G − B, S2 = G + B − 2R), combined as S1 + (σ1/σ2)·S2 and overlap-added. Changes of
 * brightness (shading, head motion under a lamp) cancel; the blood-volume pulse remains.
 */
export function posSignal(
  r: readonly number[],
  g: readonly number[],
  b: readonly number[],
  rate: number,
): number[] {
  const n = g.length;
  const window = Math.max(2, Math.round(1.6 * rate));
  const out = new Array<number>(n).fill(0);
  for (let start = 0; start + window <= n; start += 1) {
    const end = start + window;
    let mr = 0;
    let mg = 0;
    let mb = 0;
    for (let i = start; i < end; i += 1) {
      mr += r[i] as number;
      mg += g[i] as number;
      mb += b[i] as number;
    }
    mr /= window;
    mg /= window;
    mb /= window;
    if (mr <= 0 || mg <= 0 || mb <= 0) continue;
    const s1: number[] = [];
    const s2: number[] = [];
    for (let i = start; i < end; i += 1) {
      const rn = (r[i] as number) / mr;
      const gn = (g[i] as number) / mg;
      const bn = (b[i] as number) / mb;
      s1.push(gn - bn);
      s2.push(gn + bn - 2 * rn);
    }
    const sd = (values: number[]) => {
      const m = values.reduce((s, v) => s + v, 0) / values.length;
      return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
    };
    const sd2 = sd(s2);
    const alpha = sd2 > 0 ? sd(s1) / sd2 : 0;
    const h = s1.map((v, i) => v + alpha * (s2[i] as number));
    const mh = h.reduce((s, v) => s + v, 0) / h.length;
    for (let i = start; i < end; i += 1) out[i] = (out[i] as number) + ((h[i - start] as number) - mh);
  }
  return out;
}

/**
 * Pulse from the skin colour over time: resample on the container timestamps to a uniform
 * grid, POS projection, linear detrend, band-pass 0.7–4 Hz (42–240 bpm), power spectrum; the
 * peak gives the rate and the spectral SNR (de Haan & Jeanne 2013) how much of the band's
 * power sits at that rate and its first harmonic.
 */
export function estimatePulse(
  samples: readonly ColorSample[],
  options: PulseOptions = {},
): PulseEstimate | undefined {
  const rate = options.sampleRate ?? 15;
  const lowHz = options.lowHz ?? 0.7;
  const highHz = options.highHz ?? 4;
  const sorted = [...samples].sort((a, b) => a.timeMs - b.timeMs);
  const times = sorted.map((sample) => sample.timeMs);
  const r = resampleUniform(
    times,
    sorted.map((s) => s.r),
    rate,
  );
  const g = resampleUniform(
    times,
    sorted.map((s) => s.g),
    rate,
  );
  const b = resampleUniform(
    times,
    sorted.map((s) => s.b),
    rate,
  );
  // At least two periods of the slowest rate in the band.
  if (g.length < Math.ceil((2 / lowHz) * rate)) return undefined;
  const filtered = bandPass(detrend(posSignal(r, g, b, rate)), rate, lowHz, highHz);
  const { freqs, power } = powerSpectrum(filtered, rate);
  let peak = -1;
  for (let k = 0; k < freqs.length; k += 1) {
    const f = freqs[k] as number;
    if (f < lowHz || f > highHz) continue;
    if (peak < 0 || (power[k] as number) > (power[peak] as number)) peak = k;
  }
  if (peak < 0) return undefined;
  const f0 = freqs[peak] as number;
  const durationS = ((times.at(-1) as number) - (times[0] as number)) / 1000;
  const halfWidth = options.peakHalfWidthHz ?? Math.max(0.15, 1.6 / Math.max(1, durationS));
  let signal = 0;
  let noise = 0;
  for (let k = 0; k < freqs.length; k += 1) {
    const f = freqs[k] as number;
    if (f < lowHz || f > highHz) continue;
    const p = power[k] as number;
    if (Math.abs(f - f0) <= halfWidth || Math.abs(f - 2 * f0) <= halfWidth) signal += p;
    else noise += p;
  }
  const snrDb = noise > 0 && signal > 0 ? 10 * Math.log10(signal / noise) : signal > 0 ? 99 : -99;
  return {
    bpm: Math.round(f0 * 60 * 10) / 10,
    snrDb: Math.round(snrDb * 100) / 100,
    sampleRate: rate,
    durationS: Math.round(durationS * 100) / 100,
  };
}
