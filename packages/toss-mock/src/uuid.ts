/** UUID v7 (RFC 9562): 48-bit Unix milliseconds from the mock clock, then random bits. Toss order ids look like this. */
import { randomBytes } from 'node:crypto';

export function uuidv7(at: Date): string {
  const bytes = randomBytes(16);
  let ms = BigInt(Math.max(0, at.getTime()));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
