import { z } from 'zod';
import { parseEnv } from './platform-config.js';

/** One setting: the environment variable it is read from, and the schema that parses it (default, bounds). */
export type SettingDeclaration = readonly [variable: string, schema: z.ZodType];

/** Settings by field; a field may hold a group of settings (a nested object of the result). */
export interface SettingDeclarations {
  readonly [field: string]: SettingDeclaration | SettingDeclarations;
}

/** The settings a `defineSettings` loader returns: each field as its schema outputs it. */
export type Settings<D extends SettingDeclarations> = {
  -readonly [Field in keyof D]: D[Field] extends SettingDeclaration
    ? z.output<D[Field][1]>
    : D[Field] extends SettingDeclarations
      ? Settings<D[Field]>
      : never;
};

interface FlatSetting {
  path: string[];
  variable: string;
  schema: z.ZodType;
}

function flatten(declarations: SettingDeclarations, prefix: string[] = []): FlatSetting[] {
  return Object.entries(declarations).flatMap(([field, declaration]) =>
    Array.isArray(declaration)
      ? [{ path: [...prefix, field], variable: declaration[0], schema: declaration[1] }]
      : flatten(declaration as SettingDeclarations, [...prefix, field]),
  );
}

/**
 * A service's settings, declared once as `field: ['VARIABLE', schema]` (or a group of them). The
 * loader reads every variable from the environment in one pass and reports every problem at once
 * (a `ConfigError` with one `VARIABLE: problem` line each), so a bad deployment fails at start.
 */
export function defineSettings<const D extends SettingDeclarations>(
  declarations: D,
): (env: NodeJS.ProcessEnv) => Settings<D> {
  const settings = flatten(declarations);
  const schema = z.object(Object.fromEntries(settings.map((setting) => [setting.variable, setting.schema])));
  return (env) => {
    const parsed = parseEnv(schema, env) as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const { path, variable } of settings) {
      let group = result;
      for (const field of path.slice(0, -1)) {
        group[field] ??= {};
        group = group[field] as Record<string, unknown>;
      }
      group[path.at(-1) as string] = parsed[variable];
    }
    return result as Settings<D>;
  };
}

/** Parsers for the usual kinds of environment value. */
export const envValue = {
  /** `1`/`true`/`yes` → true; `0`/`false`/`no`, empty or unset → false. */
  flag: z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
    .optional()
    .transform((value) => value === '1' || value === 'true' || value === 'yes'),
  /** A string, where an empty one counts as unset. */
  optionalString: z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value)),
  /** A whole number within bounds; `fallback` when unset. */
  integer: (fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  /** A finite number; `fallback` when unset. */
  number: (fallback: number) => z.coerce.number().finite().default(fallback),
};
