// node:test reporter for `TEST_TIMINGS=<file> npm test`: writes each test file's wall time (from its
// first to its last event, as received) to <file>, slowest first, to see where a run's time goes.
import fs from 'node:fs';

export default async function* timingReporter(source) {
  const started = Date.now();
  const files = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file) continue;
    const at = Date.now() - started;
    const entry = files.get(file) ?? { first: at, last: at, tests: 0 };
    entry.last = at;
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.details?.type !== 'suite')
      entry.tests += 1;
    files.set(file, entry);
  }
  const rows = [...files]
    .map(([file, { first, last, tests }]) => ({
      file: file.replace(`${process.cwd()}/`, ''),
      first,
      last,
      tests,
    }))
    .sort((a, b) => b.last - b.first - (a.last - a.first));
  const lines = rows.map(
    (row) =>
      `${((row.last - row.first) / 1000).toFixed(1)}\t${(row.first / 1000).toFixed(0)}\t${(row.last / 1000).toFixed(0)}\t${row.tests}\t${row.file}`,
  );
  fs.writeFileSync(process.env.TEST_TIMINGS, `seconds\tfrom\tto\ttests\tfile\n${lines.join('\n')}\n`);
  yield '';
}
