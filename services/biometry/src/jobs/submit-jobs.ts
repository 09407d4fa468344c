import { randomUUID } from 'node:crypto';
import type { Database, JobQueue, ObjectStore } from '@trustplane/kernel';
import { ImageError, inspectImage } from '@trustplane/vision';
import type { BiometryConfig } from '../config.js';
import type { JobRepository, NewJob } from '../db/job-repository.js';
import type { BiometryDatabase } from '../db/tables.js';
import type { DeclaredIdentity } from '../pipeline/cross-validate.js';
import type { ProcessJob } from './process-job.js';

export interface SubmitJobInput {
  citizen_code: string;
  document_type: 'CNI' | 'PASSPORT' | 'TITRE_DE_SEJOUR' | 'NATIONAL_ID';
  country_code: string;
  selfie_b64: string;
  cni_recto_b64: string;
  cni_verso_b64?: string | null | undefined;
  declared_identity: DeclaredIdentity;
  priority?: 'normal' | 'high' | undefined;
  callback_url?: string | null | undefined;
}

export interface ValidationDetail {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** Thrown with FastAPI-shaped details when submitted images are not acceptable. */
export class ImageValidationError extends Error {
  constructor(readonly details: ValidationDetail[]) {
    super('invalid images');
  }
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes standard or URL-safe base64 (an optional `data:image/...;base64,` prefix is accepted). */
function decodeBase64(value: string): Buffer | undefined {
  const body = value
    .replace(/^data:image\/[a-z+.-]+;base64,/i, '')
    .replace(/\s+/g, '')
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  if (!BASE64.test(body) || body.length % 4 === 1) return undefined;
  return Buffer.from(body, 'base64');
}

const PRIORITY = { high: 10, normal: 0 } as const;

export interface SubmittedJob {
  jobId: string;
  queuePosition: number;
  estimatedWaitSeconds: number;
}

export function createJobSubmitter(deps: {
  database: Database<BiometryDatabase>;
  jobs: JobQueue;
  objects: ObjectStore;
  repository: JobRepository;
  config: BiometryConfig;
  processJob: ProcessJob;
}) {
  const { database, jobs, objects, repository, config, processJob } = deps;

  async function decodeImages(
    input: SubmitJobInput,
    loc: (string | number)[],
  ): Promise<{ details: ValidationDetail[]; images: Record<string, Buffer> }> {
    const details: ValidationDetail[] = [];
    const images: Record<string, Buffer> = {};
    const fields: [string, string | null | undefined][] = [
      ['selfie_b64', input.selfie_b64],
      ['cni_recto_b64', input.cni_recto_b64],
      ['cni_verso_b64', input.cni_verso_b64],
    ];
    for (const [field, value] of fields) {
      if (value === null || value === undefined) continue;
      const bytes = decodeBase64(value);
      if (!bytes) {
        details.push({ loc: [...loc, field], msg: 'Value is not valid base64', type: 'base64_invalid' });
        continue;
      }
      try {
        await inspectImage(bytes, config.maxImageBytes);
        images[field] = bytes;
      } catch (error) {
        if (!(error instanceof ImageError)) throw error;
        const type =
          error.code === 'too_large'
            ? 'image_too_large'
            : error.code === 'unsupported_format'
              ? 'image_format'
              : 'image_invalid';
        details.push({ loc: [...loc, field], msg: error.message, type });
      }
    }
    return { details, images };
  }

  async function estimateWait(position: number): Promise<number> {
    const recent = await repository.recentThroughput(600);
    if (recent.perSecond > 0) return Math.ceil(position / recent.perSecond);
    const perJobSeconds = (recent.meanMs ?? 3000) / 1000;
    return Math.ceil((position * perJobSeconds) / Math.max(1, config.workerConcurrency));
  }

  /** Validates every job's images first (all-or-nothing), stores them, then records and enqueues the jobs in one transaction. */
  async function submit(
    clientId: string,
    inputs: SubmitJobInput[],
    batchId: string | null,
    locPrefix: (index: number) => (string | number)[],
  ): Promise<SubmittedJob[]> {
    const decoded = [];
    const details: ValidationDetail[] = [];
    for (const [index, input] of inputs.entries()) {
      const result = await decodeImages(input, locPrefix(index));
      details.push(...result.details);
      decoded.push(result.images);
    }
    if (details.length) throw new ImageValidationError(details);
    const rows: NewJob[] = [];
    const stored: string[] = [];
    try {
      for (const [index, input] of inputs.entries()) {
        const id = `job_${randomUUID().replace(/-/g, '')}`;
        const imageKeys: Record<string, string> = {};
        for (const [field, bytes] of Object.entries(decoded[index] as Record<string, Buffer>)) {
          const key = `jobs/${id}/${field.replace(/_b64$/, '')}`;
          await objects.put(key, bytes, { contentType: 'application/octet-stream' });
          stored.push(key);
          imageKeys[field.replace(/_b64$/, '')] = key;
        }
        rows.push({
          id,
          clientId,
          batchId,
          citizenCode: input.citizen_code,
          documentType: input.document_type,
          countryCode: input.country_code,
          declaredIdentity: { ...input.declared_identity },
          priority: input.priority ?? 'normal',
          callbackUrl: input.callback_url ?? null,
          imageKeys,
        });
      }
      const positions = await database.transaction(async (trx) => {
        const ahead = {
          high: await repository.positionFor(trx, 'high', []),
          normal: await repository.positionFor(trx, 'normal', []),
        };
        await repository.insertMany(trx, rows);
        const result: number[] = [];
        for (const row of rows) {
          await jobs.send(
            processJob,
            { jobId: row.id },
            { transaction: trx, priority: PRIORITY[row.priority] },
          );
          result.push(ahead[row.priority]);
          ahead[row.priority] += 1;
          if (row.priority === 'high') ahead.normal += 1;
        }
        return result;
      });
      const submitted: SubmittedJob[] = [];
      for (const [index, row] of rows.entries()) {
        const position = positions[index] as number;
        submitted.push({
          jobId: row.id,
          queuePosition: position,
          estimatedWaitSeconds: await estimateWait(position + 1),
        });
      }
      return submitted;
    } catch (error) {
      await Promise.all(stored.map((key) => objects.delete(key).catch(() => undefined)));
      throw error;
    }
  }

  return { submit, queueDepth: () => repository.queueDepth() };
}

export type JobSubmitter = ReturnType<typeof createJobSubmitter>;
