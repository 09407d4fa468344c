import { DatabaseHostError } from './errors.js';

/**
 * A small SQLite tokenizer: enough to find statement boundaries, the leading keywords and the
 * parameter placeholders while ignoring comments, string literals and quoted identifiers (a `;` or
 * `ATTACH` inside `'…'` or `/* … *\/` is not a statement). SQLite parses the statement for real
 * afterwards; this only decides what may reach it.
 */
export type SqlTokenKind = 'word' | 'string' | 'identifier' | 'number' | 'parameter' | 'semicolon' | 'symbol';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
}

const isWordStart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code > 127;
const isWordPart = (code: number) => isWordStart(code) || (code >= 48 && code <= 57) || code === 36;
const isDigit = (code: number) => code >= 48 && code <= 57;

/** Index just past a quoted run opened at `start` by `quote`; a doubled quote is an escaped one. */
function skipQuoted(sql: string, start: number, quote: string): number {
  let index = start + 1;
  while (index < sql.length) {
    if (sql[index] === quote) {
      if (quote !== ']' && sql[index + 1] === quote) {
        index += 2;
        continue;
      }
      return index + 1;
    }
    index += 1;
  }
  // Unterminated: the rest is one token, and SQLite reports the syntax error.
  return sql.length;
}

export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let index = 0;
  while (index < sql.length) {
    const char = sql[index]!;
    const code = sql.charCodeAt(index);
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\f' || char === '\v') {
      index += 1;
    } else if (char === '-' && sql[index + 1] === '-') {
      const end = sql.indexOf('\n', index);
      index = end < 0 ? sql.length : end + 1;
    } else if (char === '/' && sql[index + 1] === '*') {
      const end = sql.indexOf('*/', index + 2);
      index = end < 0 ? sql.length : end + 2;
    } else if (char === "'") {
      const end = skipQuoted(sql, index, "'");
      tokens.push({ kind: 'string', text: sql.slice(index, end) });
      index = end;
    } else if (char === '"' || char === '`' || char === '[') {
      const end = skipQuoted(sql, index, char === '[' ? ']' : char);
      tokens.push({ kind: 'identifier', text: sql.slice(index, end) });
      index = end;
    } else if (char === ';') {
      tokens.push({ kind: 'semicolon', text: ';' });
      index += 1;
    } else if (char === '?') {
      let end = index + 1;
      while (end < sql.length && isDigit(sql.charCodeAt(end))) end += 1;
      tokens.push({ kind: 'parameter', text: sql.slice(index, end) });
      index = end;
    } else if ((char === ':' || char === '@' || char === '$') && index + 1 < sql.length) {
      let end = index + 1;
      while (end < sql.length && isWordPart(sql.charCodeAt(end))) end += 1;
      if (end === index + 1) {
        tokens.push({ kind: 'symbol', text: char });
        index += 1;
      } else {
        tokens.push({ kind: 'parameter', text: sql.slice(index, end) });
        index = end;
      }
    } else if (isWordStart(code)) {
      let end = index + 1;
      while (end < sql.length && isWordPart(sql.charCodeAt(end))) end += 1;
      tokens.push({ kind: 'word', text: sql.slice(index, end) });
      index = end;
    } else if (isDigit(code) || (char === '.' && isDigit(sql.charCodeAt(index + 1)))) {
      let end = index + 1;
      while (end < sql.length && (isWordPart(sql.charCodeAt(end)) || sql[end] === '.')) end += 1;
      tokens.push({ kind: 'number', text: sql.slice(index, end) });
      index = end;
    } else {
      tokens.push({ kind: 'symbol', text: char });
      index += 1;
    }
  }
  return tokens;
}

const upper = (token: SqlToken | undefined) => (token?.kind === 'word' ? token.text.toUpperCase() : '');

/**
 * Splits tokens into statements at top-level `;`. A trigger body (`CREATE TRIGGER … BEGIN …; END`)
 * holds semicolons of its own: inside it, `CASE … END` nests and the body's `END` closes it.
 */
export function splitStatements(tokens: SqlToken[]): SqlToken[][] {
  const statements: SqlToken[][] = [];
  let current: SqlToken[] = [];
  let triggerDepth = 0;
  let isTrigger = false;
  for (const token of tokens) {
    if (token.kind === 'semicolon' && triggerDepth === 0) {
      if (current.length > 0) statements.push(current);
      current = [];
      isTrigger = false;
      continue;
    }
    current.push(token);
    if (current.length <= 4 && upper(token) === 'TRIGGER' && upper(current[0]) === 'CREATE') isTrigger = true;
    if (!isTrigger) continue;
    const word = upper(token);
    if (word === 'BEGIN' || (triggerDepth > 0 && word === 'CASE')) triggerDepth += 1;
    else if (word === 'END' && triggerDepth > 0) triggerDepth -= 1;
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/**
 * PRAGMAs a client may read. Each only reports (with no argument, or with a table or index name as
 * argument); none changes the file or the connection. `database_list` is left out: it shows the
 * file's path on the host.
 */
const READ_ONLY_PRAGMAS = new Set([
  'application_id',
  'auto_vacuum',
  'cache_size',
  'collation_list',
  'compile_options',
  'data_version',
  'encoding',
  'foreign_key_check',
  'foreign_key_list',
  'foreign_keys',
  'freelist_count',
  'function_list',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'journal_mode',
  'module_list',
  'page_count',
  'page_size',
  'pragma_list',
  'quick_check',
  'schema_version',
  'synchronous',
  'table_info',
  'table_list',
  'table_xinfo',
  'user_version',
  'wal_autocheckpoint',
]);

/** Read-only PRAGMAs whose parenthesised argument names what to report on (not a new value). */
const PRAGMAS_WITH_QUERY_ARGUMENT = new Set([
  'foreign_key_check',
  'foreign_key_list',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'quick_check',
  'table_info',
  'table_list',
  'table_xinfo',
]);

/** Statements the host owns: files stay single (no ATTACH), and transactions are the request's. */
const FORBIDDEN_KEYWORDS = new Map([
  ['ATTACH', 'ATTACH is not allowed: a database is one file'],
  ['DETACH', 'DETACH is not allowed: a database is one file'],
  ['VACUUM', 'VACUUM is not allowed: it rewrites the whole file outside the write-ahead log'],
  ['BEGIN', 'transaction control is not allowed: send a batch, which runs as one transaction'],
  ['COMMIT', 'transaction control is not allowed: send a batch, which runs as one transaction'],
  ['END', 'transaction control is not allowed: send a batch, which runs as one transaction'],
  ['ROLLBACK', 'transaction control is not allowed: send a batch, which runs as one transaction'],
  ['SAVEPOINT', 'transaction control is not allowed: send a batch, which runs as one transaction'],
  ['RELEASE', 'transaction control is not allowed: send a batch, which runs as one transaction'],
]);

export interface StatementParameters {
  /** Placeholders by name, prefix included (`:id`, `@id`, `$id`, `?3`). */
  named: Set<string>;
  /** Number of values a positional array must hold (bare `?` count up, `?N` sets the highest). */
  positionalCount: number;
  /** A bare `?` is present: it has no name, so a named object cannot bind it. */
  hasAnonymous: boolean;
}

export interface AnalyzedStatement {
  /** The statement's first keyword after EXPLAIN (upper case): SELECT, INSERT, WITH, PRAGMA… */
  keyword: string;
  /** The statement is EXPLAIN / EXPLAIN QUERY PLAN. */
  explain: boolean;
  /** A PRAGMA (always a read-only one once analyzed). */
  pragma: boolean;
  /** INSERT, UPDATE, DELETE or REPLACE, alone or after a WITH clause (a write that may return rows). */
  writesRows: boolean;
  parameters: StatementParameters;
}

function forbidden(message: string, keyword: string): DatabaseHostError {
  return new DatabaseHostError('FORBIDDEN_STATEMENT', message, { keyword });
}

function checkPragma(tokens: SqlToken[], start: number): void {
  // PRAGMA [schema.]name [= value | (argument)]
  let index = start + 1;
  if (tokens[index + 1]?.text === '.') index += 2;
  const nameToken = tokens[index];
  const name = nameToken?.kind === 'word' || nameToken?.kind === 'identifier' ? unquote(nameToken.text) : '';
  const rest = tokens.slice(index + 1);
  if (!READ_ONLY_PRAGMAS.has(name.toLowerCase()))
    throw forbidden(`PRAGMA ${name || '(none)'} is not allowed: only read-only PRAGMAs are`, 'PRAGMA');
  if (rest.length === 0) return;
  const isQueryArgument =
    PRAGMAS_WITH_QUERY_ARGUMENT.has(name.toLowerCase()) &&
    rest[0]?.text === '(' &&
    rest[rest.length - 1]?.text === ')';
  if (!isQueryArgument) throw forbidden(`PRAGMA ${name} may only be read here, not set`, 'PRAGMA');
}

function unquote(text: string): string {
  const first = text[0];
  if (first === '"' || first === '`' || first === '[' || first === "'") return text.slice(1, -1);
  return text;
}

const DATA_CHANGES = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

function isDataChange(keyword: string, tokens: SqlToken[]): boolean {
  if (DATA_CHANGES.has(keyword)) return true;
  if (keyword !== 'WITH') return false;
  // WITH … INSERT/UPDATE/DELETE: those words are reserved, so they appear bare only as the verb
  // (REPLACE is also a function: `replace(` is not the verb).
  return tokens.some(
    (token, index) =>
      DATA_CHANGES.has(upper(token)) && !(upper(token) === 'REPLACE' && tokens[index + 1]?.text === '('),
  );
}

function collectParameters(tokens: SqlToken[]): StatementParameters {
  const named = new Set<string>();
  let positionalCount = 0;
  let hasAnonymous = false;
  for (const token of tokens) {
    if (token.kind !== 'parameter') continue;
    if (token.text === '?') {
      hasAnonymous = true;
      positionalCount += 1;
    } else if (token.text.startsWith('?')) {
      const number = Number(token.text.slice(1));
      positionalCount = Math.max(positionalCount, number);
      named.add(token.text);
    } else if (!named.has(token.text)) {
      // SQLite numbers a named placeholder at its first appearance.
      named.add(token.text);
      positionalCount += 1;
    }
  }
  return { named, positionalCount, hasAnonymous };
}

/**
 * Checks one statement string before SQLite sees it: exactly one statement, not a forbidden one.
 * Throws the typed error otherwise.
 */
export function analyzeStatement(sql: string): AnalyzedStatement {
  const statements = splitStatements(tokenizeSql(sql));
  if (statements.length === 0) throw new DatabaseHostError('EMPTY_STATEMENT', 'the statement is empty');
  if (statements.length > 1)
    throw new DatabaseHostError(
      'MULTIPLE_STATEMENTS',
      `one statement per item: this one holds ${statements.length}; send a batch instead`,
      { count: statements.length },
    );
  const tokens = statements[0]!;
  let start = 0;
  let explain = false;
  if (upper(tokens[0]) === 'EXPLAIN') {
    explain = true;
    start = upper(tokens[1]) === 'QUERY' && upper(tokens[2]) === 'PLAN' ? 3 : 1;
  }
  const keyword = upper(tokens[start]);
  const reason = FORBIDDEN_KEYWORDS.get(keyword);
  if (reason) throw forbidden(reason, keyword);
  const pragma = keyword === 'PRAGMA';
  if (pragma) checkPragma(tokens, start);
  return {
    keyword,
    explain,
    pragma,
    writesRows: !explain && isDataChange(keyword, tokens),
    parameters: collectParameters(tokens),
  };
}
