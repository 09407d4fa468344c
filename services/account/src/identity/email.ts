/** How account emails are compared and stored: trimmed, lower case. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();
