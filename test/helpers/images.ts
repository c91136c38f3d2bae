/** Hostile and synthetic images for tests. */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as used by PNG chunks (computed by hand: zlib.crc32 needs Node >= 20.15). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A "decompression bomb": a real small PNG (random pixels, a few KB, so it passes the 1 KB
 * minimum) whose IHDR claims width x height.
 */
export async function pngBomb(width: number, height: number, side = 8): Promise<Buffer> {
  const noise = randomBytes(side * side * 3);
  const png = Buffer.from(
    await sharp(noise, { raw: { width: side, height: side, channels: 3 } })
      .png()
      .toBuffer(),
  );
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4) ...; CRC covers type+data.
  if (png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('unexpected PNG layout');
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}
