// The page's strings live in message files (messages/<lang>.json), one per language; every
// language has the English keys (the type says so). The language comes from `?lang=` when the
// link carries one, otherwise from the browser's preferred languages (what it sends as
// Accept-Language), otherwise English.
import de from './messages/de.json';
import en from './messages/en.json';

export type MessageKey = keyof typeof en;
type Messages = Record<MessageKey, string>;

const CATALOGUES: Record<string, Messages> = { en, de: de satisfies Messages };
export const LANGUAGES = Object.keys(CATALOGUES);

export function chooseLanguage(query: string | null, preferred: readonly string[]): string {
  for (const candidate of [query, ...preferred]) {
    const primary = candidate?.toLowerCase().split('-')[0];
    if (primary && primary in CATALOGUES) return primary;
  }
  return 'en';
}

export const language = chooseLanguage(new URLSearchParams(location.search).get('lang'), navigator.languages);
const messages = CATALOGUES[language] ?? en;

/** The message `key` with `{name}` placeholders filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** Fills every `[data-i18n]` element's text (and `data-i18n-label` → aria-label) under `root`. */
export function translate(root: ParentNode, vars: Record<string, string | number> = {}) {
  for (const element of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n as MessageKey, vars);
  }
  for (const element of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    element.setAttribute('aria-label', t(element.dataset.i18nLabel as MessageKey, vars));
  }
}
