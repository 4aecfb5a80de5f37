import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, type RgbaImage, readPngHeader } from './png';

function image(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * 4);
  }
  return { width, height, data } satisfies RgbaImage;
}

describe('png', () => {
  it('writes a flat image as an indexed PNG that decodes to the same pixels', () => {
    const flat = image(40, 30, (x, y) =>
      x < 20 ? [255, 200, 0, 255] : y < 10 ? [0, 0, 0, 128] : [1, 2, 3, 255],
    );
    const png = encodePng(flat);
    const head = readPngHeader(png);
    expect(head).toEqual({
      ok: true,
      header: { width: 40, height: 30, bitDepth: 8, colorType: 3, interlace: 0 },
    });
    expect(decodePng(png)).toEqual(flat);
  });

  it('falls back to RGBA for an image with more than 256 colours and still round-trips', () => {
    const gradient = image(300, 3, (x, y) => [x & 0xff, (x >> 8) * 100 + y, 255 - (x & 0xff), 255]);
    const png = encodePng(gradient);
    const head = readPngHeader(png);
    expect(head.ok && head.header.colorType).toBe(6);
    expect(decodePng(png)).toEqual(gradient);
  });

  it('rejects bytes that are not a PNG', () => {
    expect(readPngHeader(Buffer.from('GIF89a this is not a png at all, really'))).toEqual({
      ok: false,
      error: 'not a PNG file (bad signature)',
    });
  });

  it('rejects a PNG whose header was tampered with (checksum mismatch)', () => {
    const png = encodePng(image(4, 4, () => [9, 9, 9, 255]));
    png.writeUInt32BE(1024, 16); // claim a width of 1024 without fixing the CRC
    expect(readPngHeader(png)).toEqual({ ok: false, error: 'PNG IHDR checksum is wrong' });
  });
});
