// Realistic biometry jobs for the benchmarks: the generated documents' clean entries (a selfie,
// the recto and the verso), as images and as `POST /jobs/submit` bodies.
import fs from 'node:fs/promises';
import { FACES_DIR, type ManifestEntry, readDocument, readManifest } from '@trustplane/vision/testkit';

export interface JobImages {
  entry: ManifestEntry;
  selfie: Buffer;
  recto: Buffer;
  /** A passport has no verso: its recto again, as a client sends "2 sides". */
  verso: Buffer;
}

/** The generated documents that are neither degraded nor forged. */
export async function cleanDocuments(): Promise<ManifestEntry[]> {
  return (await readManifest()).filter((entry) => entry.variant === 'clean');
}

/** The entry's images; the selfie is a face fixture (by default the document's own portrait). */
export async function jobImages(entry: ManifestEntry, selfie = entry.portrait): Promise<JobImages> {
  return {
    entry,
    selfie: await fs.readFile(new URL(selfie, FACES_DIR)),
    recto: await readDocument(entry.recto),
    verso: await readDocument(entry.verso ?? entry.recto),
  };
}

/** The seed's `POST /jobs/submit` body for these images. */
export function jobBody(images: JobImages, citizenCode: string) {
  return {
    citizen_code: citizenCode,
    document_type: images.entry.documentType,
    country_code: 'FR',
    selfie_b64: images.selfie.toString('base64'),
    cni_recto_b64: images.recto.toString('base64'),
    cni_verso_b64: images.verso.toString('base64'),
    declared_identity: images.entry.declared,
  };
}
