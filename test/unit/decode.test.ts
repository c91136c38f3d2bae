import { FACES_DIR } from '../helpers/paths.js';
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, readDimensions } from '../../src/adapters/engine/decode.js';
import { pngBomb } from '../helpers/images.js';
import { expectCode } from '../helpers/errors.js';

const facesDir = FACES_DIR;
const readFace = (file: string) => readFileSync(path.join(facesDir, file));

interface Manifest {
  images: { file: string }[];
}
const manifest = JSON.parse(readFileSync(path.join(facesDir, 'manifest.json'), 'utf8')) as Manifest;

const OPTS = { maxPixels: 40_000_000 };

describe('decodeImage: real photos', () => {
  it.each(manifest.images.map((i) => i.file))('decodes %s to RGB', async (file) => {
    const img = await decodeImage(readFace(file), OPTS);
    expect(img.width).toBeGreaterThan(0);
    expect(img.height).toBeGreaterThan(0);
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(img.width * img.height * 3);
  });

  it('drops the alpha channel of people/obama/5-rgba.png, keeping the colours', async () => {
    const png = readFace('people/obama/5-rgba.png');
    const meta = await sharp(png).metadata();
    expect(meta.channels).toBe(4); // the fixture really has alpha
    const img = await decodeImage(png, OPTS);
    expect(img.data.length).toBe(img.width * img.height * 3);
    // This fixture is fully opaque, so the RGB values must be untouched by flattening.
    const rgb = await sharp(png).removeAlpha().raw().toBuffer();
    expect(Buffer.from(img.data).equals(rgb)).toBe(true);
  });

  it('readDimensions reads the header of a real photo', async () => {
    const dims = await readDimensions(readFace('people/obama/1.jpg'));
    expect(dims.format).toBe('jpeg');
    const img = await decodeImage(readFace('people/obama/1.jpg'), OPTS);
    expect([dims.width, dims.height].sort()).toEqual([img.width, img.height].sort());
  });
});

describe('decodeImage: normalisation', () => {
  it('flattens transparent pixels onto white', async () => {
    const transparent = await sharp({
      create: { width: 4, height: 4, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const img = await decodeImage(transparent, OPTS);
    expect(img.data.length).toBe(4 * 4 * 3);
    expect([...img.data].every((v) => v === 255)).toBe(true);
  });

  it('applies EXIF orientation (6 = rotate 90°)', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#336699' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(jpeg, OPTS);
    expect([img.width, img.height]).toEqual([20, 40]);
  });

  it('expands greyscale to 3 channels', async () => {
    const grey = await sharp({ create: { width: 10, height: 6, channels: 3, background: '#404040' } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const img = await decodeImage(grey, OPTS);
    expect(img.data.length).toBe(10 * 6 * 3);
  });

  it.each(['gif', 'webp'] as const)('decodes %s', async (format) => {
    const bytes = await sharp({ create: { width: 12, height: 9, channels: 3, background: '#ff0000' } })
      .toFormat(format)
      .toBuffer();
    const img = await decodeImage(bytes, OPTS);
    expect([img.width, img.height]).toEqual([12, 9]);
    expect(img.data.length).toBe(12 * 9 * 3);
  });
});

describe('decodeImage: rejects bad input', () => {
  it('random bytes -> UNSUPPORTED_IMAGE_FORMAT', async () => {
    await expectCode(decodeImage(randomBytes(4096), OPTS), 'UNSUPPORTED_IMAGE_FORMAT');
  });

  it('an empty buffer -> UNSUPPORTED_IMAGE_FORMAT', async () => {
    await expectCode(decodeImage(Buffer.alloc(0), OPTS), 'UNSUPPORTED_IMAGE_FORMAT');
  });

  it.each([
    [
      'tiff',
      () =>
        sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
          .tiff()
          .toBuffer(),
    ],
    ['svg', async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
  ])('formats sharp reads but the API does not accept (%s) -> UNSUPPORTED_IMAGE_FORMAT', async (format, make) => {
    const err = await expectCode(decodeImage(await make(), OPTS), 'UNSUPPORTED_IMAGE_FORMAT');
    expect(err.details).toMatchObject({ format });
  });

  it('BMP -> UNSUPPORTED_IMAGE_FORMAT (no BMP loader in the libvips bundled with sharp)', async () => {
    // A valid 2x1 24-bit BMP.
    const bmp = Buffer.alloc(62);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(62, 2); // file size
    bmp.writeUInt32LE(54, 10); // pixel data offset
    bmp.writeUInt32LE(40, 14); // BITMAPINFOHEADER
    bmp.writeInt32LE(2, 18); // width
    bmp.writeInt32LE(1, 22); // height
    bmp.writeUInt16LE(1, 26); // planes
    bmp.writeUInt16LE(24, 28); // bits per pixel
    bmp.writeUInt32LE(8, 34); // image size (one row padded to 8 bytes)
    await expectCode(decodeImage(bmp, OPTS), 'UNSUPPORTED_IMAGE_FORMAT');
  });

  it('a real JPEG cut in half -> CORRUPT_IMAGE', async () => {
    const jpeg = readFace('people/obama/1.jpg');
    const err = await expectCode(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)), OPTS), 'CORRUPT_IMAGE');
    expect(err.message).not.toMatch(/vips|jpeg/i); // no library internals in client messages
  });

  it('a real PNG cut in half -> CORRUPT_IMAGE', async () => {
    const png = readFace('people/obama/5-rgba.png');
    await expectCode(decodeImage(png.subarray(0, Math.floor(png.length / 2)), OPTS), 'CORRUPT_IMAGE');
  });

  it('a PNG declaring 30000x30000 -> IMAGE_DIMENSIONS_TOO_LARGE without decoding it', async () => {
    const bomb = await pngBomb(30_000, 30_000);
    expect(bomb.length).toBeLessThan(1024); // tiny file, 900 megapixel claim
    // The header is valid: with a high enough limit its dimensions are read back.
    expect(await readDimensions(bomb, { maxPixels: 1_000_000_000 })).toEqual({
      width: 30_000,
      height: 30_000,
      format: 'png',
    });
    const err = await expectCode(decodeImage(bomb, OPTS), 'IMAGE_DIMENSIONS_TOO_LARGE');
    expect(err.message).toContain('40000000');
    await expectCode(readDimensions(bomb, OPTS), 'IMAGE_DIMENSIONS_TOO_LARGE');
  });

  it('enforces maxPixels on ordinary images too', async () => {
    const img = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expectCode(decodeImage(img, { maxPixels: 9_999 }), 'IMAGE_DIMENSIONS_TOO_LARGE');
    expect((await decodeImage(img, { maxPixels: 10_000 })).width).toBe(100);
  });
});
