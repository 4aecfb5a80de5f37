/**
 * Product icons come from the machine itself: the catalog's own images, served by the mock's control API. A client
 * (ours, or Toss's official example) shows real images and never asks a real Toss domain for them.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TossMock } from '../src/index';
import { repoRoot } from '../src/server';
import { startTestMock } from './helpers';

let mock: TossMock;
beforeAll(async () => {
  mock = await startTestMock();
});
afterAll(async () => {
  await mock.close();
});

async function listed(environment: 'toss' | 'sandbox') {
  const res = await fetch(`${mock.controlUrl}/__mock/host/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ environment }),
  });
  return ((await res.json()) as { products: { sku: string; iconUrl: string }[] }).products;
}

describe('product icons', () => {
  it("every listed icon is on the mock's loopback control API, and it is the catalog's own PNG", async () => {
    const products = await listed('toss');
    expect(products.length).toBeGreaterThan(0);
    for (const product of products) {
      const url = new URL(product.iconUrl);
      expect(url.origin).toBe(new URL(mock.controlUrl).origin);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const expected = await readFile(`${repoRoot}/catalog/images/${product.sku}.png`);
      expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
    }
  });

  it("the sandbox app's test products show the image of the catalog product they stand for", async () => {
    const products = await listed('sandbox');
    const sandboxMap = mock.state.catalog.sandboxSkuMap;
    for (const product of products) {
      const res = await fetch(product.iconUrl);
      expect(res.status).toBe(200);
      const stands = sandboxMap[product.sku];
      const expected = await readFile(`${repoRoot}/catalog/images/${stands}.png`);
      expect(Buffer.from(await res.arrayBuffer()).equals(expected)).toBe(true);
    }
  });

  it('an unknown SKU or a path out of the catalog is 404, never a file', async () => {
    for (const path of ['nope.png', 'coin_100.jpg', '..%2Fpackage.json', '..%2F..%2Fpackage.json.png']) {
      const res = await fetch(`${mock.controlUrl}/__mock/icons/${path}`);
      expect(res.status).toBe(404);
    }
  });
});
