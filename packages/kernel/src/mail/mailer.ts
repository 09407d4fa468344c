import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';

export interface MailerOptions {
  /** `TRUSTPLANE_DATA_DIR`; the sink writes under `<dataDir>/mail`. */
  dataDir: string;
  /** `SMTP_URL`: when set, mail goes to that server and the sink stays empty. */
  smtpUrl?: string | undefined;
  /** Default `From`, e.g. `Trustplane <no-reply@localhost>`. */
  from: string;
}

/** An address, or an address with a display name (quoted and encoded by the mailer). */
export type MailAddress = string | { name: string; address: string };

export interface OutgoingMail {
  to: MailAddress | MailAddress[];
  subject: string;
  text: string;
  html?: string;
  /** Extra headers such as `X-Entity-Ref-ID`; address, MIME and identity headers cannot be set here. */
  headers?: Record<string, string>;
  /** Overrides the mailer's default `From`. */
  from?: string;
  /**
   * `Message-ID` (`<local@domain>`); a caller retrying the same mail passes the same one, so
   * receivers can tell a resend from a new message. Generated when absent.
   */
  messageId?: string;
}

export interface SentMail {
  messageId: string;
  /** The server's final reply (`250 …`) with SMTP; the sink file's path otherwise. */
  response: string;
}

/** A message of the embedded sink, as `trustplane mail list` prints it. */
export interface MailMessage {
  id: string;
  messageId: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** The rendered RFC 822 message. */
  file: string;
}

export interface Mailer {
  readonly kind: 'sink' | 'smtp';
  /** Where the embedded sink keeps messages (`<dataDir>/mail`). */
  readonly sinkDir: string;
  /**
   * Resolves once the mail is accepted: the SMTP server answered 250 to DATA, or the `.eml` and its
   * sidecar are written and fsynced. An SMTP rejection carries the server's `responseCode`.
   */
  send(mail: OutgoingMail): Promise<SentMail>;
  /**
   * The messages of the embedded sink, oldest first. With `smtpUrl` nothing is written to the sink,
   * so this lists only what was sent while no SMTP server was configured.
   */
  list(): Promise<MailMessage[]>;
  close(): Promise<void>;
}

export class MailError extends Error {
  override readonly name = 'MailError';
}

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// Headers the mailer itself owns: letting callers set them would let them forge or re-route mail.
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'return-path',
]);

function singleLine(value: string): string {
  return value.replace(/[\r\n]+\s*/g, ' ');
}

function checkedHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new MailError(`header ${JSON.stringify(name)} cannot be set`);
    }
    out[name] = singleLine(String(value));
  }
  return out;
}

function recipients(to: MailAddress | MailAddress[]): { name: string; address: string }[] {
  const list = (Array.isArray(to) ? to : [to])
    .map((entry) =>
      typeof entry === 'string'
        ? { name: '', address: singleLine(entry).trim() }
        : { name: singleLine(entry.name).trim(), address: singleLine(entry.address).trim() },
    )
    .filter((entry) => entry.address !== '');
  if (list.length === 0) throw new MailError('a mail needs at least one recipient');
  return list;
}

const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // fsynced before the rename: a mail reported as sent survives a crash of the machine.
    const handle = await fs.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

/**
 * Outbound mail: rendered `.eml` files under `<dataDir>/mail` by default (each with a `.json`
 * sidecar that `list()` reads), or an SMTP server when `smtpUrl` is set.
 */
export function createMailer(options: MailerOptions): Mailer {
  const sinkDir = path.join(options.dataDir, 'mail');
  const smtp = options.smtpUrl ? nodemailer.createTransport(options.smtpUrl) : undefined;
  const renderer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let lastCreatedAt = 0;
  // Created once, not before every mail; created again if it disappears (removed by hand).
  let sinkCreated: Promise<unknown> | undefined;
  const createSink = () => {
    sinkCreated ??= fs.mkdir(sinkDir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      sinkCreated = undefined;
      throw error;
    });
    return sinkCreated;
  };
  async function writeInSink(file: string, data: string | Buffer): Promise<void> {
    await createSink();
    try {
      await writeAtomically(file, data);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      sinkCreated = undefined;
      await createSink();
      await writeAtomically(file, data);
    }
  }

  function compose(mail: OutgoingMail) {
    if (mail.messageId !== undefined && !MESSAGE_ID.test(mail.messageId))
      throw new MailError('messageId must look like <local@domain>');
    const to = recipients(mail.to);
    return {
      from: mail.from ?? options.from,
      to: to.map((entry) => (entry.name ? entry : entry.address)),
      // The sink records bare addresses, as `mail list` prints them.
      addresses: to.map((entry) => entry.address).join(', '),
      subject: singleLine(mail.subject),
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
      ...(mail.messageId === undefined ? {} : { messageId: mail.messageId }),
      headers: checkedHeaders(mail.headers),
    };
  }

  async function writeToSink(composed: ReturnType<typeof compose>): Promise<SentMail> {
    const { addresses, ...message } = composed;
    const info = await renderer.sendMail(message);
    // Strictly increasing within the mailer, so list() keeps send order even within one millisecond.
    const createdAt = new Date(Math.max(Date.now(), lastCreatedAt + 1));
    lastCreatedAt = createdAt.getTime();
    const id = randomBytes(6).toString('hex');
    const base = path.join(sinkDir, `${fileStamp(createdAt)}-${id}`);
    // With `buffer: true` the stream transport always yields a Buffer.
    await writeInSink(`${base}.eml`, info.message as Buffer);
    const record: MailMessage = {
      id,
      messageId: info.messageId,
      from: message.from,
      to: addresses,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
      createdAt: createdAt.toISOString(),
      file: `${base}.eml`,
    };
    // The sidecar comes last: list() never sees a message whose .eml is not complete.
    await writeInSink(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
    return { messageId: info.messageId, response: `${base}.eml` };
  }

  return {
    kind: smtp ? 'smtp' : 'sink',
    sinkDir,
    async send(mail) {
      const composed = compose(mail);
      if (!smtp) return writeToSink(composed);
      const { addresses: _addresses, ...message } = composed;
      const info = await smtp.sendMail(message);
      return { messageId: info.messageId, response: String(info.response ?? '') };
    },
    async list() {
      let names: string[];
      try {
        names = await fs.readdir(sinkDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const messages: MailMessage[] = [];
      for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
        try {
          const record = JSON.parse(await fs.readFile(path.join(sinkDir, name), 'utf8')) as MailMessage;
          messages.push({ ...record, file: path.join(sinkDir, name.replace(/\.json$/, '.eml')) });
        } catch {
          // A sidecar deleted or edited by hand between readdir and read: skip it.
        }
      }
      return messages.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.file.localeCompare(b.file));
    },
    async close() {
      smtp?.close();
      renderer.close();
    },
  };
}
