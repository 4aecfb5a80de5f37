/**
 * Placeholder product art for the console's 1024×1024 PNG: a solid background, a soft halo and a simple shape per
 * product type (coins for consumables, a no-ads sign or a gem for non-consumables, a star for subscriptions), drawn
 * with anti-aliased signed-distance shapes. Edges are anti-aliased in quarter steps so an image keeps under 256
 * colours and `encodePng` writes it as an indexed PNG of 10–20 KB. Customization point: `palettes` (colours per SKU)
 * and `artFor` (which picture a product gets). Replace the PNGs with real art whenever you like: seed only checks
 * that each file is a 1024×1024 PNG.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CatalogProduct } from '@ait-iap/iap-contract';
import { consoleRules } from '@ait-iap/iap-contract';
import { encodePng, type RgbaImage } from '../lib/png';

type Rgb = readonly [number, number, number];
type Sdf = (x: number, y: number) => number;

interface Layer {
  /** Signed distance in pixels: negative inside the shape. */
  sdf: Sdf;
  color: Rgb;
  alpha?: number;
}

export interface Palette {
  background: string;
  /** The main shape's colour. */
  accent: string;
}

/** Colours per SKU. A SKU not listed gets a palette derived from its name. */
export const palettes: Record<string, Palette> = {
  coin_100: { background: '#FFD76A', accent: '#FFC83D' },
  coin_550: { background: '#FFA65C', accent: '#FFC83D' },
  coin_1200_event: { background: '#F7779F', accent: '#FFC83D' },
  remove_ads: { background: '#64A8FF', accent: '#F04452' },
  premium_monthly: { background: '#9B7BFF', accent: '#FFD75E' },
};

export function hexToRgb(hex: string): Rgb {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function hslToHex(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

export function paletteFor(sku: string): Palette {
  const known = palettes[sku];
  if (known) return known;
  let hash = 0;
  for (const ch of sku) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return { background: hslToHex(hue, 0.85, 0.7), accent: '#FFC83D' };
}

// Signed-distance shapes (after Inigo Quilez). Image coordinates: x right, y down, in pixels.
const circle =
  (cx: number, cy: number, r: number): Sdf =>
  (x, y) =>
    Math.hypot(x - cx, y - cy) - r;
const ring =
  (cx: number, cy: number, r: number, width: number): Sdf =>
  (x, y) =>
    Math.abs(Math.hypot(x - cx, y - cy) - r) - width / 2;
const roundBox =
  (cx: number, cy: number, halfW: number, halfH: number, radius: number): Sdf =>
  (x, y) => {
    const qx = Math.abs(x - cx) - halfW + radius;
    const qy = Math.abs(y - cy) - halfH + radius;
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
  };
const segment =
  (ax: number, ay: number, bx: number, by: number, width: number): Sdf =>
  (x, y) => {
    const px = x - ax;
    const py = y - ay;
    const dx = bx - ax;
    const dy = by - ay;
    const h = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
    return Math.hypot(px - dx * h, py - dy * h) - width / 2;
  };
const intersect =
  (a: Sdf, b: Sdf): Sdf =>
  (x, y) =>
    Math.max(a(x, y), b(x, y));
/** A five-pointed star, one point up. `inner` is the ratio that shapes the points (0.4–0.6 looks like a star). */
const star = (cx: number, cy: number, r: number, inner: number): Sdf => {
  const k1x = 0.809016994375;
  const k1y = -0.587785252292;
  const k2x = -k1x;
  const k2y = k1y;
  const bax = inner * -k1y;
  const bay = inner * k1x - 1;
  const baLen2 = bax * bax + bay * bay;
  return (x, y) => {
    let px = Math.abs(x - cx);
    let py = cy - y;
    let d = 2 * Math.max(k1x * px + k1y * py, 0);
    px -= d * k1x;
    py -= d * k1y;
    d = 2 * Math.max(k2x * px + k2y * py, 0);
    px -= d * k2x;
    py -= d * k2y;
    px = Math.abs(px);
    py -= r;
    const h = Math.max(0, Math.min(r, (px * bax + py * bay) / baLen2));
    return Math.hypot(px - bax * h, py - bay * h) * Math.sign(py * bax - px * bay);
  };
};

function shade(color: Rgb, factor: number): Rgb {
  const mix = (c: number) => Math.round(factor < 1 ? c * factor : c + (255 - c) * (factor - 1));
  return [mix(color[0]), mix(color[1]), mix(color[2])];
}

const WHITE: Rgb = [255, 255, 255];
const INK: Rgb = [25, 31, 40];

function shadowOf(sdf: Sdf, dy: number): Layer {
  return { sdf: (x, y) => sdf(x, y - dy), color: INK, alpha: 0.15 };
}

function coin(cx: number, cy: number, r: number, gold: Rgb): Layer[] {
  return [
    shadowOf(circle(cx, cy, r), r * 0.1),
    { sdf: circle(cx, cy, r), color: shade(gold, 0.8) },
    { sdf: circle(cx, cy - r * 0.04, r * 0.9), color: gold },
    { sdf: ring(cx, cy - r * 0.04, r * 0.66, r * 0.07), color: shade(gold, 0.85) },
    { sdf: star(cx, cy - r * 0.06, r * 0.36, 0.5), color: shade(gold, 1.45) },
    { sdf: circle(cx - r * 0.42, cy - r * 0.46, r * 0.13), color: WHITE, alpha: 0.55 },
  ];
}

function coins(amount: number, gold: Rgb): Layer[] {
  if (amount < 500) return coin(512, 512, 300, gold);
  if (amount < 1000)
    return [...coin(400, 600, 230, gold), ...coin(624, 600, 230, gold), ...coin(512, 400, 230, gold)];
  return [
    ...coin(330, 650, 190, gold),
    ...coin(694, 650, 190, gold),
    ...coin(512, 650, 190, gold),
    ...coin(420, 430, 190, gold),
    ...coin(604, 430, 190, gold),
  ];
}

function noAds(red: Rgb): Layer[] {
  const card = roundBox(512, 512, 270, 200, 48);
  const disc = circle(512, 512, 340);
  return [
    shadowOf(card, 24),
    { sdf: card, color: WHITE },
    { sdf: roundBox(512, 430, 200, 56, 20), color: [210, 218, 228] },
    { sdf: roundBox(452, 560, 140, 22, 11), color: [210, 218, 228] },
    { sdf: roundBox(452, 620, 110, 22, 11), color: [210, 218, 228] },
    shadowOf(ring(512, 512, 340, 64), 16),
    { sdf: ring(512, 512, 340, 64), color: red },
    { sdf: intersect(segment(272, 272, 752, 752, 64), disc), color: red },
  ];
}

function gem(accent: Rgb): Layer[] {
  const diamond: Sdf = (x, y) => (Math.abs(x - 512) + Math.abs(y - 512) - 300) / Math.SQRT2;
  return [
    shadowOf(diamond, 24),
    { sdf: diamond, color: accent },
    { sdf: intersect(diamond, (x) => x - 512), color: shade(accent, 0.85) },
    { sdf: circle(430, 420, 34), color: WHITE, alpha: 0.6 },
  ];
}

function premiumStar(accent: Rgb): Layer[] {
  const badge = circle(512, 512, 360);
  const shape = star(512, 530, 270, 0.5);
  return [
    { sdf: badge, color: WHITE, alpha: 0.22 },
    { sdf: ring(512, 512, 360, 20), color: WHITE, alpha: 0.5 },
    shadowOf(shape, 18),
    { sdf: shape, color: accent },
    { sdf: intersect(shape, (x) => x - 512), color: shade(accent, 0.88) },
  ];
}

/** Which picture a product gets. */
export function artFor(product: CatalogProduct): Layer[] {
  const accent = hexToRgb(paletteFor(product.sku).accent);
  switch (product.type) {
    case 'CONSUMABLE':
      return coins(product.grant.amount, accent);
    case 'NON_CONSUMABLE':
      return product.grant.entitlement.includes('ads') ? noAds(accent) : gem(accent);
    case 'SUBSCRIPTION':
      return premiumStar(accent);
  }
}

/** Render a product's image at the console's size (1024×1024, or `size` for quick tests). */
export function renderProductImage(
  product: CatalogProduct,
  size: number = consoleRules.imageSizePx,
): RgbaImage {
  const background = hexToRgb(paletteFor(product.sku).background);
  const layers: Layer[] = [{ sdf: circle(512, 512, 440), color: WHITE, alpha: 0.2 }, ...artFor(product)];
  const scale = 1024 / size;
  const data = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) * scale;
      const y = (py + 0.5) * scale;
      let [r, g, b] = background;
      for (const layer of layers) {
        // One output pixel of anti-aliasing, in quarter steps: smooth enough at 1024 px, and few enough colours
        // for an indexed PNG.
        const coverage = Math.round(4 * Math.max(0, Math.min(1, 0.5 - layer.sdf(x, y) / scale))) / 4;
        if (coverage === 0) continue;
        const a = coverage * (layer.alpha ?? 1);
        r += (layer.color[0] - r) * a;
        g += (layer.color[1] - g) * a;
        b += (layer.color[2] - b) * a;
      }
      const i = (py * size + px) * 4;
      data[i] = Math.round(r);
      data[i + 1] = Math.round(g);
      data[i + 2] = Math.round(b);
      data[i + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

export interface WrittenImage {
  sku: string;
  image: string;
  /** Bytes written, or null when an existing file was kept. */
  bytes: number | null;
}

/**
 * Write each product's image (paths relative to `root`) unless the file exists; `force` rewrites them all.
 * `size` is for quick tests only: the console takes 1024×1024.
 */
export async function writeProductImages(
  products: readonly CatalogProduct[],
  options: { root: string; force?: boolean; size?: number },
): Promise<WrittenImage[]> {
  const written: WrittenImage[] = [];
  for (const product of products) {
    const file = path.resolve(options.root, product.image);
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists && !options.force) {
      written.push({ sku: product.sku, image: product.image, bytes: null });
      continue;
    }
    const png = encodePng(renderProductImage(product, options.size));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, png);
    written.push({ sku: product.sku, image: product.image, bytes: png.length });
  }
  return written;
}
