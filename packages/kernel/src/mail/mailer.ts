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

export interface OutgoingMail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  /** Extra headers such as `X-Entity-Ref-ID`; address, MIME and identity headers cannot be set here. */
  headers?: Record<string, string>;
  /** Overrides the mailer's default `From`. */
  from?: string;
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
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
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

function recipients(to: string | string[]): string {
  const list = (Array.isArray(to) ? to : [to]).map((address) => singleLine(address).trim()).filter(Boolean);
  if (list.length === 0) throw new MailError('a mail needs at least one recipient');
  return list.join(', ');
}

async function writeAtomically(file: string, data: string | Buffer): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temporary, data, { mode: 0o600 });
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

  function compose(mail: OutgoingMail) {
    return {
      from: mail.from ?? options.from,
      to: recipients(mail.to),
      subject: singleLine(mail.subject),
      text: mail.text,
      ...(mail.html === undefined ? {} : { html: mail.html }),
      headers: checkedHeaders(mail.headers),
    };
  }

  async function writeToSink(message: ReturnType<typeof compose>): Promise<{ messageId: string }> {
    const info = await renderer.sendMail(message);
    // Strictly increasing within the mailer, so list() keeps send order even within one millisecond.
    const createdAt = new Date(Math.max(Date.now(), lastCreatedAt + 1));
    lastCreatedAt = createdAt.getTime();
    const id = randomBytes(6).toString('hex');
    const base = path.join(sinkDir, `${fileStamp(createdAt)}-${id}`);
    await fs.mkdir(sinkDir, { recursive: true, mode: 0o700 });
    // With `buffer: true` the stream transport always yields a Buffer.
    await writeAtomically(`${base}.eml`, info.message as Buffer);
    const record: MailMessage = {
      id,
      messageId: info.messageId,
      from: message.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
      createdAt: createdAt.toISOString(),
      file: `${base}.eml`,
    };
    // The sidecar comes last: list() never sees a message whose .eml is not complete.
    await writeAtomically(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
    return { messageId: info.messageId };
  }

  return {
    kind: smtp ? 'smtp' : 'sink',
    sinkDir,
    async send(mail) {
      const message = compose(mail);
      if (!smtp) return writeToSink(message);
      const info = await smtp.sendMail(message);
      return { messageId: info.messageId };
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
