// Scenario 17: nothing leaves the machine. The shop loads, shows its products with their icons, and a purchase is
// granted with every request to a host other than loopback blocked — and the test fails on any such request (a
// product icon on Toss's real CDN, a font, an analytics beacon would all show up here).
import { App } from '../harness/app';
import { expect, test } from '../harness/fixtures';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);
const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return loopbackHosts.has(hostname);
};

test('the shop loads and a purchase is granted with every request off loopback blocked — and none was attempted', async ({
  context,
  page,
  harness,
  user,
  server,
}) => {
  const offMachine: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.fallback();
    offMachine.push(url);
    return route.abort('blockedbyclient');
  });
  // Before the first page load, so the app's very first requests are watched too.
  const app = new App(page, harness.webUrl, user.userKey);
  await app.open();

  // Every product with its icon, loaded from the mock on loopback.
  const icons = page.locator('img.product-icon');
  await expect(icons.first()).toBeVisible();
  for (const icon of await icons.all()) await icon.scrollIntoViewIfNeeded(); // they load lazily
  const loaded = () =>
    icons.evaluateAll((images) =>
      images.map((img) => ({
        src: (img as HTMLImageElement).src,
        width: (img as HTMLImageElement).naturalWidth,
      })),
    );
  await expect.poll(async () => (await loaded()).every((icon) => icon.width > 0)).toBe(true);
  const shown = await loaded();
  expect(shown.length).toBeGreaterThanOrEqual(4);
  for (const icon of shown) expect(isLoopback(icon.src), icon.src).toBe(true);

  await app.buy('coin_100');
  await app.expectBalance(100);
  expect(await server.balance('COIN')).toBe(100);
  expect(offMachine).toEqual([]);
});
