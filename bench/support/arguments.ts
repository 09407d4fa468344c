// Command-line options of the benchmarks: `--name value`.

/** The value after `--name` on the command line, if given. */
export function textArgument(name: string, argv = process.argv): string | undefined {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
}

/** `--name N` as a number, or `fallback` when not given. */
export function numberArgument(name: string, fallback: number, argv = process.argv): number {
  const text = textArgument(name, argv);
  return text === undefined ? fallback : Number(text);
}
