import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** The exact API request a channel would have made, as written to `$TRUSTPLANE_DATA_DIR/messages/`. */
export interface RecordedRequest {
  channel: string;
  notification_id: string;
  recipient_position: number;
  method: 'POST';
  /** The real endpoint with the token replaced by `<TOKEN>`. */
  url: string;
  headers: Record<string, string>;
  body: unknown;
  recorded_at: string;
}

/**
 * Where telegram and whatsapp requests go when no API token is configured: one JSON file per
 * request, written whole and fsynced before the send counts as accepted.
 */
export class MessageSink {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'messages');
  }

  async record(request: Omit<RecordedRequest, 'recorded_at'>): Promise<string> {
    const dir = path.join(this.dir, request.channel);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const recordedAt = new Date();
    const name = `${recordedAt.toISOString().replace(/[-:.]/g, '')}-${request.notification_id}-${request.recipient_position}-${randomBytes(3).toString('hex')}.json`;
    const file = path.join(dir, name);
    const temporary = `${file}.tmp`;
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(
        `${JSON.stringify({ ...request, recorded_at: recordedAt.toISOString() }, null, 2)}\n`,
      );
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
    return file;
  }

  /** Recorded requests of a channel, oldest first. */
  async list(channel: string): Promise<(RecordedRequest & { file: string })[]> {
    const dir = path.join(this.dir, channel);
    let names: string[];
    try {
      names = (await fs.readdir(dir)).filter((name) => name.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: (RecordedRequest & { file: string })[] = [];
    for (const name of names) {
      const file = path.join(dir, name);
      out.push({ ...(JSON.parse(await fs.readFile(file, 'utf8')) as RecordedRequest), file });
    }
    return out;
  }
}
