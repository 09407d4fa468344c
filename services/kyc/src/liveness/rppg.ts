/**
 * Remote photoplethysmography check on the mean green value of the face region per frame:
 * blood volume changes tint the skin with the heartbeat, so a live face carries a periodic
 * component at 0.7–4 Hz (42–240 bpm) that a photo, a mask or a static replay does not.
 */
export interface PulseResult {
  /** The spectrum has a clear peak in the heart-rate band. */
  pulse: boolean;
  /** Peak (and first harmonic) power over the rest of the band, in dB. */
  snrDb: number;
  /** The SNR this series length needs (see PULSE_MARGIN_DB). */
  requiredSnrDb: number;
  peakHz: number | null;
  bpm: number | null;
  /** Standard deviation of the detrended series (same units as the samples). */
  amplitude: number;
  /** RMS of the heart-rate peak (same units); above MAX_PULSE_AMPLITUDE it is no blood flow. */
  pulseAmplitude: number;
}

export const PULSE_BAND_HZ: readonly [number, number] = [0.7, 4];
/**
 * Margin over what band-limited noise scores. The peak window covers a share `f` of the band
 * (wide for short series), so white noise alone scores about 10·log10(f / (1 − f)) dB; a pulse
 * must stand this many dB above that (measured: white noise stays under it in ~99% of series
 * of 45+ samples; a clean pulse over 90+ samples clears it).
 */
export const PULSE_MARGIN_DB = 9.5;
/** Below this the camera saw no variation at all (a frozen or synthetic image). */
const MIN_AMPLITUDE = 0.02;
/**
 * Blood volume changes move a face's mean green by well under 2 grey levels (8-bit); a periodic
 * swing of several levels at a heart-rate frequency is a flashing screen or an animated pattern
 * (Chromium's fake camera scores ~20 here).
 */
export const MAX_PULSE_AMPLITUDE = 3;

/** Removes the least-squares line (slow illumination drift). */
export function detrend(samples: readonly number[]): number[] {
  const n = samples.length;
  const meanX = (n - 1) / 2;
  const meanY = samples.reduce((sum, value) => sum + value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i += 1) {
    covariance += (i - meanX) * ((samples[i] as number) - meanY);
    variance += (i - meanX) ** 2;
  }
  const slope = variance === 0 ? 0 : covariance / variance;
  return samples.map((value, i) => value - meanY - slope * (i - meanX));
}

/** Power spectrum (Hann window, zero-padded to `size` bins) of a real series. */
function powerSpectrum(series: readonly number[], size: number): Float64Array {
  const n = series.length;
  const windowed = series.map((value, i) => value * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))));
  const power = new Float64Array(size / 2 + 1);
  for (let k = 0; k <= size / 2; k += 1) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i += 1) {
      const angle = (2 * Math.PI * k * i) / size;
      re += (windowed[i] as number) * Math.cos(angle);
      im -= (windowed[i] as number) * Math.sin(angle);
    }
    power[k] = re * re + im * im;
  }
  return power;
}

export function analyzePulse(samples: readonly number[], sampleRateHz: number): PulseResult {
  const none = (amplitude: number): PulseResult => ({
    pulse: false,
    snrDb: Number.NEGATIVE_INFINITY,
    requiredSnrDb: Number.POSITIVE_INFINITY,
    peakHz: null,
    bpm: null,
    amplitude,
    pulseAmplitude: 0,
  });
  if (samples.length < 8 || samples.some((value) => !Number.isFinite(value))) return none(0);
  const detrended = detrend(samples);
  const amplitude = Math.sqrt(detrended.reduce((sum, value) => sum + value * value, 0) / detrended.length);
  if (amplitude < MIN_AMPLITUDE) return none(amplitude);
  const size = 1024;
  const power = powerSpectrum(detrended, size);
  const binHz = sampleRateHz / size;
  const [low, high] = PULSE_BAND_HZ;
  const first = Math.ceil(low / binHz);
  const last = Math.min(Math.floor(high / binHz), power.length - 1);
  // Band-pass: only the heart-rate band is considered at all.
  let peak = first;
  for (let k = first; k <= last; k += 1) if ((power[k] as number) > (power[peak] as number)) peak = k;
  // The peak's main lobe (Hann, zero-padded) spans about ±2 bins of the unpadded transform.
  const halfWidth = Math.max(1, Math.round((2 * size) / samples.length / 2));
  const inSignal = (k: number) => Math.abs(k - peak) <= halfWidth || Math.abs(k - 2 * peak) <= halfWidth;
  let signal = 0;
  let noise = 0;
  let signalBins = 0;
  for (let k = first; k <= last; k += 1) {
    if (inSignal(k)) {
      signal += power[k] as number;
      signalBins += 1;
    } else noise += power[k] as number;
  }
  const share = signalBins / (last - first + 1);
  const requiredDb = 10 * Math.log10(share / Math.max(1 - share, 1e-6)) + PULSE_MARGIN_DB;
  const snrDb = 10 * Math.log10(signal / Math.max(noise, 1e-12));
  const peakHz = peak * binHz;
  // The peak's share of the band's power, applied to the series' RMS.
  const pulseAmplitude = amplitude * Math.sqrt(signal / Math.max(signal + noise, 1e-12));
  return {
    pulse: snrDb >= requiredDb && pulseAmplitude <= MAX_PULSE_AMPLITUDE,
    requiredSnrDb: Math.round(requiredDb * 100) / 100,
    snrDb: Math.round(snrDb * 100) / 100,
    peakHz: Math.round(peakHz * 1000) / 1000,
    bpm: Math.round(peakHz * 60),
    amplitude: Math.round(amplitude * 1000) / 1000,
    pulseAmplitude: Math.round(pulseAmplitude * 1000) / 1000,
  };
}
