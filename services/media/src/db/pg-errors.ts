/** `%`, `_` and `\` are literal in a user's search term. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (char) => `\\${char}`);
}
