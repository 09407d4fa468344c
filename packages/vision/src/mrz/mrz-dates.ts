/**
 * `YYMMDD` of an MRZ as a UTC date in the given century, or null when it is not six digits or
 * not a calendar date (`310231`, `9913<<`): a misread must not roll over into another day.
 */
export function mrzDate(yymmdd: string | null | undefined, century: number): Date | null {
  if (!yymmdd || !/^\d{6}$/.test(yymmdd)) return null;
  const year = century + Number(yymmdd.slice(0, 2));
  const month = Number(yymmdd.slice(2, 4));
  const day = Number(yymmdd.slice(4, 6));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? date
    : null;
}

/** Expiry `YYMMDD` → date. Expiry years are read as 20YY: documents in circulation were issued since 2000. */
export function mrzExpiryDate(yymmdd: string | null | undefined): Date | null {
  return mrzDate(yymmdd, 2000);
}

/** Midnight UTC of `now`'s day. */
export function utcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export interface DocumentExpiry {
  /** The expiry date, or null when the field is unreadable. */
  date: Date | null;
  /** `YYYY-MM-DD` of `date`. */
  isoDate: string | null;
  /** A document is valid through its expiry day (UTC); null when the date is unreadable. */
  expired: boolean | null;
  /** `YYYY-MM-DD` of the day the check was made for. */
  today: string;
}

/** The expiry field of an MRZ judged against `now`. */
export function documentExpiry(yymmdd: string | null | undefined, now: Date = new Date()): DocumentExpiry {
  const date = mrzExpiryDate(yymmdd);
  const today = utcDay(now);
  return {
    date,
    isoDate: date ? date.toISOString().slice(0, 10) : null,
    expired: date ? date < today : null,
    today: today.toISOString().slice(0, 10),
  };
}
