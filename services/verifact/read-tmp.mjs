import { readFileSync } from 'node:fs';
import { Reader } from '@contentauth/c2pa-node';
for (const n of process.argv.slice(2)) {
  const b = readFileSync(`/tmp/h15v2/bomb${n}.jpg`);
  const t = performance.now();
  const r = await Reader.fromAsset(
    { buffer: b, mimeType: 'image/jpeg' },
    JSON.stringify({ verify: { remote_manifest_fetch: false } }),
  );
  const t2 = performance.now();
  const j = JSON.stringify(r.json());
  console.log(
    n,
    'read',
    (t2 - t).toFixed(0),
    'json',
    (performance.now() - t2).toFixed(0),
    j.length,
    (process.memoryUsage().rss / 1e6) | 0,
    (process.cpuUsage().user / 1e3) | 0,
  );
}
