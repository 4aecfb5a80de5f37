import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CatalogProduct } from '@ait-iap/iap-contract';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePng, readPngHeader } from '../lib/png';
import { hexToRgb, paletteFor, renderProductImage, writeProductImages } from './images';
import { checkImage } from './validate';

const coin: CatalogProduct = {
  sku: 'coin_test',
  type: 'CONSUMABLE',
  name: '코인',
  description: '코인',
  supplyPrice: 1000,
  image: 'catalog/images/coin_test.png',
  minAppVersion: '1.0.0',
  visible: true,
  grant: { kind: 'currency', currency: 'COIN', amount: 100 },
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function pixel(image: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return [...image.data.subarray(i, i + 3)];
}

describe('product images', () => {
  it('paints the background colour in the corner and a shape over the centre', () => {
    const image = renderProductImage(coin, 64);
    expect(pixel(image, 0, 0)).toEqual([...hexToRgb(paletteFor('coin_test').background)]);
    expect(pixel(image, 32, 32)).not.toEqual(pixel(image, 0, 0));
  });

  it('writes a 1024×1024 PNG of a few KB for a missing image, which seed then accepts', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'seed-images-'));
    const [written] = await writeProductImages([coin], { root: dir });
    const file = path.join(dir, coin.image);
    expect(written?.bytes).toBeGreaterThan(0);
    expect(written?.bytes).toBeLessThan(40 * 1024);
    const bytes = await readFile(file);
    expect(readPngHeader(bytes)).toMatchObject({ ok: true, header: { width: 1024, height: 1024 } });
    expect(decodePng(bytes).data.length).toBe(1024 * 1024 * 4);
    expect(await checkImage(file)).toBeNull();
  }, 60_000); // renders and encodes a full 1024×1024 image: ~1 s, more on a busy CI machine

  it("keeps an existing image (a fork's real art) unless forced", async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'seed-images-'));
    await writeProductImages([coin], { root: dir, size: 32 });
    const file = path.join(dir, coin.image);
    const before = (await stat(file)).mtimeMs;
    const [kept] = await writeProductImages([coin], { root: dir, size: 32 });
    expect(kept?.bytes).toBeNull();
    expect((await stat(file)).mtimeMs).toBe(before);
    const [forced] = await writeProductImages([coin], { root: dir, force: true, size: 32 });
    expect(forced?.bytes).toBeGreaterThan(0);
  });
});
