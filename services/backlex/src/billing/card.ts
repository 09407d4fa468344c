/**
 * The sandbox's card form: what it accepts and what it keeps (brand and last four digits; the
 * number itself is never stored or logged). Test numbers as Stripe's: `4242 4242 4242 4242`
 * pays, `4000 0000 0000 0002` is declined, `4000 0000 0000 0341` is saved but its later
 * off-session charges fail.
 */
export const DECLINED_LAST4 = '0002';
export const FAILS_OFF_SESSION_LAST4 = '0341';

export interface CardInput {
  cardNumber?: string | undefined;
  expiry?: string | undefined;
  cvc?: string | undefined;
}

export type CardReading =
  | { ok: true; brand: string; last4: string }
  | { ok: false; field: 'cardNumber' | 'expiry' | 'cvc'; message: string };

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function cardBrand(digits: string): string {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^6(011|5)/.test(digits)) return 'discover';
  return 'unknown';
}

export function readCard(input: CardInput, now: Date): CardReading {
  const digits = (input.cardNumber ?? '').replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits) || !luhn(digits))
    return { ok: false, field: 'cardNumber', message: 'Your card number is invalid.' };
  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(input.expiry ?? '');
  const month = expiry ? Number(expiry[1]) : 0;
  const year = expiry ? Number(expiry[2]?.length === 2 ? `20${expiry[2]}` : expiry[2]) : 0;
  if (!expiry || month < 1 || month > 12)
    return { ok: false, field: 'expiry', message: "Your card's expiration date is invalid (MM/YY)." };
  // A card is valid through the last day of its month.
  if (Date.UTC(year, month, 1) <= now.getTime())
    return { ok: false, field: 'expiry', message: "Your card's expiration date is in the past." };
  if (!/^\d{3,4}$/.test((input.cvc ?? '').trim()))
    return { ok: false, field: 'cvc', message: "Your card's security code is invalid." };
  return { ok: true, brand: cardBrand(digits), last4: digits.slice(-4) };
}
