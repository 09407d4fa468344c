/**
 * The template registry (issue 17: "templates are versioned migration sets"). A template is a
 * named list of versions; version n is the SQL that takes a database from version n − 1 to n.
 * Provisioning applies versions 1…target in one transaction; an upgrade applies (current, target]
 * in one transaction, so a failing statement leaves the database as it was. Versions are positive
 * integers, written as decimal strings in the API (`templateVersion`, `latestTemplateVersion`,
 * `?version`). A published version is never edited: a change is a new version.
 */
export interface TemplateVersion {
  version: number;
  /** One statement per item (the data API's rule too). */
  statements: readonly string[];
}

export interface Template {
  name: string;
  description: string;
  versions: readonly TemplateVersion[];
}

export const DEFAULT_TEMPLATE = 'blank';

const TEMPLATES: readonly Template[] = [
  {
    name: 'blank',
    description: 'An empty database.',
    versions: [{ version: 1, statements: [] }],
  },
  {
    name: 'todo',
    description:
      'A to-do list: `todos` with titles, completion and (from version 2) unique titles and due dates.',
    versions: [
      {
        version: 1,
        statements: [
          `CREATE TABLE todos (
             id INTEGER PRIMARY KEY,
             title TEXT NOT NULL,
             done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
           )`,
        ],
      },
      {
        version: 2,
        statements: [
          'ALTER TABLE todos ADD COLUMN due_at TEXT',
          // Fails on a database holding two todos with one title: the upgrade then changes nothing.
          'CREATE UNIQUE INDEX todos_title_unique ON todos (title)',
        ],
      },
    ],
  },
  {
    name: 'blog',
    description: 'Authors, posts and tags.',
    versions: [
      {
        version: 1,
        statements: [
          'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)',
          `CREATE TABLE posts (
             id INTEGER PRIMARY KEY,
             author_id INTEGER NOT NULL REFERENCES authors (id),
             slug TEXT NOT NULL UNIQUE,
             title TEXT NOT NULL,
             body TEXT NOT NULL DEFAULT '',
             published_at TEXT
           )`,
          'CREATE INDEX posts_author ON posts (author_id)',
          'CREATE TABLE tags (post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE, tag TEXT NOT NULL, PRIMARY KEY (post_id, tag))',
        ],
      },
    ],
  },
];

export interface TemplateRegistry {
  get(name: string): Template | undefined;
  /** Newest version of `name`; undefined when the template is not in the registry. */
  latest(name: string): number | undefined;
  /** Statements taking a database from `from` (0 = empty) to `to`, in order. */
  migrations(name: string, from: number, to: number): string[];
  names(): string[];
}

export function createTemplateRegistry(templates: readonly Template[] = TEMPLATES): TemplateRegistry {
  const byName = new Map(templates.map((template) => [template.name, template]));
  return {
    get: (name) => byName.get(name),
    latest: (name) => byName.get(name)?.versions.at(-1)?.version,
    migrations(name, from, to) {
      const template = byName.get(name);
      if (!template) throw new Error(`template ${name} is not in the registry`);
      return template.versions
        .filter((entry) => entry.version > from && entry.version <= to)
        .flatMap((entry) => entry.statements);
    },
    names: () => [...byName.keys()],
  };
}

/** `template` as clients send it: `name` (the latest version) or `name@version` (that version). */
export function parseTemplateSpec(spec: string): { name: string; version: number | undefined } | undefined {
  const match = /^([a-z][a-z0-9-]{0,30})(?:@([1-9][0-9]{0,5}))?$/.exec(spec);
  if (!match) return undefined;
  return { name: match[1] as string, version: match[2] === undefined ? undefined : Number(match[2]) };
}

/** A `?version` value: a positive integer in decimal. */
export function parseTemplateVersion(value: string): number | undefined {
  return /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : undefined;
}
