/** Money is integer paise inside the service; INR numbers (2 decimals) at the edges. */

const INR = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$/;

/** `"1499.5"` → 149950 paise; refuses negatives, more than 2 decimals and non-numbers. */
export function parseInr(text: string): number {
  const trimmed = text.trim();
  if (!INR.test(trimmed)) throw new RangeError(`not an INR amount with at most 2 decimals: ${text}`);
  const [rupees, decimals = ''] = trimmed.split('.');
  return Number(rupees) * 100 + Number(decimals.padEnd(2, '0'));
}

export function paiseToInr(paise: number): number {
  return Math.round(paise) / 100;
}

/** `percent`% of `paise`, rounded half up to a whole paisa (10 % of ₹1,499.55 → ₹149.96). */
export function percentOf(paise: number, percent: number): number {
  return Math.floor((paise * percent + 50) / 100);
}
