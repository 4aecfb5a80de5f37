/**
 * A tiny PNG writer and reader on node:zlib — enough for the catalog's product images, with no image dependencies.
 * - `encodePng` writes 8-bit indexed colour (≤ 256 colours) or RGBA, non-interlaced, choosing a filter per row.
 * - `readPngHeader` checks the signature and the IHDR chunk (size, depth, colour type) without decoding pixels.
 * - `decodePng` decodes what `encodePng` writes (8-bit RGB/RGBA/indexed, non-interlaced); tests look at pixels.
 * You probably don't need to edit this file.
 */
import { deflateSync, inflateSync } from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  interlace: number;
}

export type PngReadResult = { ok: true; header: PngHeader } | { ok: false; error: string };

export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row. */
  data: Uint8Array;
}

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * Filter every row and deflate. Truecolour rows get the filter with the smallest sum of absolute residuals;
 * indexed rows are left unfiltered (the PNG spec's advice: palette indices are not numbers to predict).
 */
function filterRows(pixels: Uint8Array, stride: number, height: number, bpp: number): Buffer {
  const lastFilter = bpp === 1 ? 0 : 4;
  const raw = Buffer.alloc((stride + 1) * height);
  const candidate = Buffer.alloc(stride);
  const best = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = (y - 1) * stride;
    let bestFilter = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let filter = 0; filter <= lastFilter; filter++) {
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const x = pixels[row + i]!;
        const a = i >= bpp ? pixels[row + i - bpp]! : 0;
        const b = y > 0 ? pixels[prev + i]! : 0;
        const c = i >= bpp && y > 0 ? pixels[prev + i - bpp]! : 0;
        const predictor =
          filter === 0
            ? 0
            : filter === 1
              ? a
              : filter === 2
                ? b
                : filter === 3
                  ? (a + b) >> 1
                  : paeth(a, b, c);
        const value = (x - predictor) & 0xff;
        candidate[i] = value;
        score += value < 128 ? value : 256 - value;
      }
      if (score < bestScore) {
        bestScore = score;
        bestFilter = filter;
        candidate.copy(best);
      }
    }
    raw[y * (stride + 1)] = bestFilter;
    best.copy(raw, y * (stride + 1) + 1);
  }
  return deflateSync(raw, { level: 9, memLevel: 9 });
}

/** The image as palette indices, or null when it has more than 256 distinct RGBA colours. */
function toIndexed(image: RgbaImage): { palette: number[]; indices: Uint8Array } | null {
  const { data } = image;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const index = new Map<number, number>();
  const palette: number[] = [];
  const indices = new Uint8Array(data.length / 4);
  for (let p = 0; p < indices.length; p++) {
    const rgba = view.getUint32(p * 4);
    let i = index.get(rgba);
    if (i === undefined) {
      if (palette.length === 256) return null;
      i = palette.length;
      index.set(rgba, i);
      palette.push(rgba);
    }
    indices[p] = i;
  }
  return { palette, indices };
}

/**
 * Encode an RGBA image as a PNG: 8-bit indexed colour when it has at most 256 colours (flat art: a few KB),
 * else 8-bit RGBA. Non-interlaced.
 */
export function encodePng(image: RgbaImage): Buffer {
  const { width, height, data } = image;
  if (data.length !== width * height * 4) throw new Error(`expected ${width * height * 4} bytes of RGBA`);
  const indexed = toIndexed(image);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = indexed ? 3 : 6; // palette or RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const chunks = [PNG_SIGNATURE, chunk('IHDR', ihdr)];
  if (indexed) {
    const plte = Buffer.alloc(indexed.palette.length * 3);
    const trns = Buffer.alloc(indexed.palette.length);
    indexed.palette.forEach((rgba, i) => {
      plte[i * 3] = rgba >>> 24;
      plte[i * 3 + 1] = (rgba >>> 16) & 0xff;
      plte[i * 3 + 2] = (rgba >>> 8) & 0xff;
      trns[i] = rgba & 0xff;
    });
    chunks.push(chunk('PLTE', plte));
    if (trns.some((alpha) => alpha !== 255)) chunks.push(chunk('tRNS', trns));
    chunks.push(chunk('IDAT', filterRows(indexed.indices, width, height, 1)));
  } else {
    chunks.push(chunk('IDAT', filterRows(data, width * 4, height, 4)));
  }
  chunks.push(chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(chunks);
}

/** Read a PNG's IHDR: the signature, then the first chunk, which must be a 13-byte IHDR with a valid CRC. */
export function readPngHeader(bytes: Uint8Array): PngReadResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return { ok: false, error: 'not a PNG file (bad signature)' };
  }
  const length = buf.readUInt32BE(8);
  const type = buf.toString('latin1', 12, 16);
  if (type !== 'IHDR' || length !== 13) return { ok: false, error: 'PNG does not start with an IHDR chunk' };
  if (buf.readUInt32BE(29) !== crc32(buf.subarray(12, 29)))
    return { ok: false, error: 'PNG IHDR checksum is wrong' };
  return {
    ok: true,
    header: {
      width: buf.readUInt32BE(16),
      height: buf.readUInt32BE(20),
      bitDepth: buf[24]!,
      colorType: buf[25]!,
      interlace: buf[28]!,
    },
  };
}

/** Decode an 8-bit, non-interlaced RGB, RGBA or indexed PNG into RGBA. Throws on anything else. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const head = readPngHeader(bytes);
  if (!head.ok) throw new Error(head.error);
  const { width, height, bitDepth, colorType, interlace } = head.header;
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : colorType === 3 ? 1 : 0;
  if (bitDepth !== 8 || channels === 0 || interlace !== 0) {
    throw new Error('only 8-bit non-interlaced RGB/RGBA/indexed PNGs can be decoded');
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Buffer[] = [];
  let plte: Buffer = Buffer.alloc(0);
  let trns: Buffer = Buffer.alloc(0);
  let offset = 8;
  while (offset + 12 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    if (buf.readUInt32BE(offset + 8 + length) !== crc32(buf.subarray(offset + 4, offset + 8 + length))) {
      throw new Error(`PNG ${type} checksum is wrong`);
    }
    if (type === 'IDAT') idat.push(body);
    if (type === 'PLTE') plte = body;
    if (type === 'tRNS') trns = body;
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  const stride = width * channels;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (stride + 1) * height) throw new Error('PNG pixel data has the wrong length');
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new Error(`PNG row ${y} has unknown filter ${filter}`);
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= channels ? pixels[y * stride + i - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
      const c = i >= channels && y > 0 ? pixels[(y - 1) * stride + i - channels]! : 0;
      const predictor =
        filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      pixels[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  if (channels === 4) return { width, height, data: pixels };
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    if (channels === 3) {
      rgba.set(pixels.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = 255;
    } else {
      const i = pixels[p]!;
      if (i * 3 + 2 >= plte.length) throw new Error(`PNG palette index ${i} is out of range`);
      rgba.set(plte.subarray(i * 3, i * 3 + 3), p * 4);
      rgba[p * 4 + 3] = i < trns.length ? trns[i]! : 255;
    }
  }
  return { width, height, data: rgba };
}
