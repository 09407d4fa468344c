import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { type FaceBox, loadFaceEngine } from '../src/faces/face-engine.js';
import { errorLevelAnalysis } from '../src/forensics/ela.js';
import { portraitElaContrast } from '../src/forensics/portrait-ela.js';
import { portraitCompressionGhost, storedBox } from '../src/forensics/portrait-ghost.js';
import { readDocument, resaved, swapPortrait } from '../src/testkit/documents.js';

async function holderFace(image: Buffer): Promise<FaceBox> {
  const [face] = await (await loadFaceEngine()).detect(image);
  assert.ok(face, 'a portrait on the document');
  return face.box;
}

const ghostOf = async (image: Buffer) => portraitCompressionGhost(image, await holderFace(image));

describe('portrait compression ghost', () => {
  it('a genuine card shares one compression history with its portrait, however often it was re-saved', async () => {
    const recto = await readDocument('td1-deu-schmidt-recto.jpg');
    for (const [variant, image] of [
      ['as generated (q92)', recto],
      ['re-saved q75 then q92', await resaved(recto, 75, 92)],
      ['PNG', await sharp(recto).png().toBuffer()],
    ] as const) {
      const ghost = await ghostOf(image);
      assert.ok(ghost.ratio !== null && ghost.ratio < 2, `${variant}: ${JSON.stringify(ghost)}`);
      assert.equal(ghost.score, 0, variant);
    }
  });

  it('a portrait pasted after the card was saved lacks the card’s ghost, found at the card’s quality', async () => {
    const recto = await readDocument('td3-fra-martin-recto.jpg');
    const swap = { recto, layout: 'TD3', donor: 'biden_2010_blue_room.jpg' } as const;
    const recompressed = await ghostOf(await swapPortrait({ ...swap, cardQuality: 75, finalQuality: 92 }));
    assert.ok((recompressed.ratio ?? 0) > 3, JSON.stringify(recompressed));
    assert.ok(Math.abs((recompressed.quality ?? 0) - 75) <= 1, JSON.stringify(recompressed));
    assert.equal(recompressed.score, 1);
    // Saved losslessly after the paste: the card keeps the ghost of its own q92.
    const lossless = await ghostOf(await swapPortrait({ ...swap, finalQuality: 'png' }));
    assert.ok((lossless.ratio ?? 0) > 3, JSON.stringify(lossless));
    assert.ok(Math.abs((lossless.quality ?? 0) - 92) <= 1, JSON.stringify(lossless));
  });

  it('is blind to a paste saved at the card’s own quality (the documented limit)', async () => {
    const recto = await readDocument('td3-fra-martin-recto.jpg');
    const ghost = await ghostOf(
      await swapPortrait({ recto, layout: 'TD3', donor: 'biden_2010_blue_room.jpg', finalQuality: 92 }),
    );
    assert.ok(ghost.ratio !== null && ghost.ratio < 2, JSON.stringify(ghost));
  });

  it('is inconclusive on an image without texture', async () => {
    const flat = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#b0c4de' } })
      .jpeg({ quality: 80 })
      .toBuffer();
    const ghost = await portraitCompressionGhost(flat, { x: 100, y: 100, width: 200, height: 260 });
    assert.deepEqual([ghost.ratio, ghost.quality, ghost.score], [null, null, 0]);
  });

  it('maps a box of the EXIF-rotated image onto the stored pixels, for all eight orientations', async () => {
    // Display image: black with one white box; stored = the inverse of each orientation's transform.
    const display = { width: 300, height: 200 };
    const box = { x: 40, y: 60, width: 100, height: 50 };
    const white = await sharp({
      create: { width: box.width, height: box.height, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer();
    const upright = await sharp({ create: { ...display, channels: 3, background: '#000' } })
      .composite([{ input: white, left: box.x, top: box.y }])
      .png()
      .toBuffer();
    const step = async (image: Buffer, apply: (pipeline: Sharp) => Sharp) =>
      apply(sharp(image)).png().toBuffer();
    const inverse: Record<number, (image: Buffer) => Promise<Buffer>> = {
      1: async (image) => image,
      2: (image) => step(image, (pipeline) => pipeline.flop()),
      3: (image) => step(image, (pipeline) => pipeline.rotate(180)),
      4: (image) => step(image, (pipeline) => pipeline.flip()),
      5: async (image) =>
        step(await step(image, (pipeline) => pipeline.rotate(90)), (pipeline) => pipeline.flop()),
      6: (image) => step(image, (pipeline) => pipeline.rotate(270)),
      7: async (image) =>
        step(await step(image, (pipeline) => pipeline.rotate(90)), (pipeline) => pipeline.flip()),
      8: (image) => step(image, (pipeline) => pipeline.rotate(90)),
    };
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      const stored = await sharp(await (inverse[orientation] as (image: Buffer) => Promise<Buffer>)(upright))
        .withMetadata({ orientation })
        .png()
        .toBuffer();
      // libvips agrees that this file displays as `upright`.
      const shown = await sharp(stored).rotate().greyscale().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual(
        [shown.info.width, shown.info.height],
        [display.width, display.height],
        `${orientation}`,
      );
      assert.equal(shown.data[(box.y + 1) * display.width + box.x + 1], 255, `${orientation}`);
      const { data, info } = await sharp(stored).greyscale().raw().toBuffer({ resolveWithObject: true });
      const mapped = storedBox(box, orientation, info.width, info.height);
      let inside = 0;
      let total = 0;
      for (let y = 0; y < info.height; y += 1)
        for (let x = 0; x < info.width; x += 1) {
          const isWhite = (data[y * info.width + x] as number) > 127;
          const isInside =
            x >= mapped.x && x < mapped.x + mapped.width && y >= mapped.y && y < mapped.y + mapped.height;
          if (isWhite) total += 1;
          if (isWhite && isInside) inside += 1;
          if (isInside)
            assert.ok(isWhite, `orientation ${orientation}: (${x}, ${y}) inside the mapped box is black`);
        }
      assert.equal(inside, total, `orientation ${orientation}: every white pixel is inside the mapped box`);
    }
  });
});

describe('portrait-localised ELA (q90)', () => {
  it('flags a face pasted onto a card saved at low quality, not the genuine card', async () => {
    const recto = await readDocument('td3-nld-visser-recto.jpg');
    const genuine = portraitElaContrast(await errorLevelAnalysis(recto), await holderFace(recto));
    assert.equal(genuine.score, 0, JSON.stringify(genuine));
    const forged = await swapPortrait({
      recto,
      layout: 'TD3',
      donor: 'biden_2010_blue_room.jpg',
      cardQuality: 55,
      finalQuality: 92,
    });
    const contrast = portraitElaContrast(await errorLevelAnalysis(forged), await holderFace(forged));
    assert.ok(contrast.score >= 0.5, JSON.stringify(contrast));
    assert.ok(contrast.inside > contrast.outside, JSON.stringify(contrast));
  });
});
