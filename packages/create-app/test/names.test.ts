import { describe, expect, it } from 'vitest';
import {
  defaultNames,
  normalizeScope,
  validateAppName,
  validatePackageName,
  validateScope,
} from '../src/names.mjs';

describe('project names (npm rules)', () => {
  it.each(['my-app', 'shop2', 'a.b_c-d', '@acme/shop'])('accepts %s', (name) => {
    expect(validatePackageName(name)).toEqual([]);
  });

  it.each([
    ['', /empty/],
    ['My-App', /lowercase/],
    ['.hidden', /start with \. or _/],
    ['_private', /start with \. or _/],
    ['has space', /URL-safe/],
    ['bad!name', /~'!\(\)\*/],
    ['node_modules', /reserved/],
    ['http', /core module/],
    ['@acme', /@scope\/name/],
    ['a'.repeat(215), /214/],
  ])('rejects %j with a reason', (name, reason) => {
    const problems = validatePackageName(name);
    expect(problems.join('; ')).toMatch(reason);
  });
});

describe('package scope', () => {
  it('accepts @acme and adds a missing @', () => {
    expect(validateScope('@acme')).toEqual([]);
    expect(normalizeScope(' acme ')).toBe('@acme');
  });

  it.each(['@Acme', '@', '@-x/y', 'acme'])('rejects %j', (scope) => {
    expect(validateScope(scope)).not.toEqual([]);
  });
});

describe('Apps in Toss appName', () => {
  it.each(['my-shop', 'shop24', 'ab'])('accepts %s', (appName) => {
    expect(validateAppName(appName)).toEqual([]);
  });

  it.each(['My_Shop', '1shop', 'shop-', 'a', 'my--shop', `a${'b'.repeat(63)}`])('rejects %j', (appName) => {
    expect(validateAppName(appName)[0]).toMatch(/appName must be/);
  });
});

describe('defaults from the directory name', () => {
  it('derives every name from the folder', () => {
    expect(defaultNames('/tmp/x/My Shop!')).toEqual({
      name: 'my-shop',
      scope: '@my-shop',
      appName: 'my-shop',
    });
  });

  it('gives a folder that starts with a digit a valid name', () => {
    const names = defaultNames('2026 event');
    expect(names.name).toBe('app-2026-event');
    expect(validatePackageName(names.name)).toEqual([]);
    expect(validateAppName(names.appName)).toEqual([]);
  });
});
