import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { sourcePath } from '@trustplane/kernel/testkit';
import { call, type Service, startService, testEnv } from './harness.js';

const TOKEN = 'a-long-enough-grpc-token';

describe('NOTIFICATION_GRPC_TOKEN', () => {
  let service: Service;
  before(async () => {
    testEnv({ NOTIFICATION_GRPC_TOKEN: TOKEN });
    service = await startService({ workers: false });
  });
  after(async () => {
    await service.close();
  });

  test('calls without the bearer token, or with another, are UNAUTHENTICATED', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token-of-same-size!' },
      { authorization: TOKEN },
      { authorization: 'Bearer x' },
      { authorization: `Bearer ${TOKEN}${TOKEN}` },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const metadata of attempts) {
      await assert.rejects(
        call(service.notifications, 'GetStats', {}, { metadata }),
        (error: grpc.ServiceError) => error.code === grpc.status.UNAUTHENTICATED,
      );
    }
    const stats = await call<object, { pending: number }>(
      service.notifications,
      'GetStats',
      {},
      {
        metadata: { authorization: `Bearer ${TOKEN}` },
      },
    );
    assert.equal(stats.pending, 0);
  });
});

describe('generated proto types', () => {
  test('src/grpc/generated matches proto/ (npm run proto:types)', () => {
    const root = sourcePath(new URL('..', import.meta.url));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-types-'));
    try {
      const bin = fileURLToPath(
        new URL('../../../node_modules/.bin/proto-loader-gen-types', import.meta.url),
      );
      const script = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts[
        'proto:types'
      ] as string;
      const args = script
        .split(' ')
        .slice(1)
        .map((arg) => (arg === 'src/grpc/generated' ? out : arg));
      execFileSync(bin, args, { cwd: root, stdio: 'pipe' });
      const list = (dir: string): string[] =>
        fs
          .readdirSync(dir, { withFileTypes: true })
          .flatMap((entry) =>
            entry.isDirectory()
              ? list(path.join(dir, entry.name)).map((name) => path.join(entry.name, name))
              : [entry.name],
          )
          .sort();
      const generated = path.join(root, 'src/grpc/generated');
      assert.deepEqual(list(out), list(generated));
      for (const file of list(out))
        assert.equal(
          fs.readFileSync(path.join(generated, file), 'utf8'),
          fs.readFileSync(path.join(out, file), 'utf8'),
          `${file} is stale`,
        );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
