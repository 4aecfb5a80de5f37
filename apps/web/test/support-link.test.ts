// The support link the held notice and error notices open: the team's page (VITE_SUPPORT_URL) carrying the order's
// short reference, so support can find the order in the console.
import { describe, expect, test } from 'vitest';
import { readSupportUrl, supportLink } from '../src/config';
import { copy } from '../src/copy';

describe('support link', () => {
  test('carries the reference as ?ref= on the team page, keeping its own query', () => {
    expect(supportLink('https://help.example.com/contact', 'A1B2-C3D4')).toBe(
      'https://help.example.com/contact?ref=A1B2-C3D4',
    );
    expect(supportLink('https://help.example.com/contact?lang=ko', 'A1B2-C3D4')).toBe(
      'https://help.example.com/contact?lang=ko&ref=A1B2-C3D4',
    );
  });

  test('fills a {ref} placeholder instead, and drops it when there is no order', () => {
    expect(supportLink('https://forms.example.com/f?order={ref}', 'A1B2-C3D4')).toBe(
      'https://forms.example.com/f?order=A1B2-C3D4',
    );
    expect(supportLink('https://forms.example.com/f?order={ref}', null)).toBe(
      'https://forms.example.com/f?order=',
    );
    expect(supportLink('https://help.example.com/contact', null)).toBe('https://help.example.com/contact');
  });

  test('VITE_SUPPORT_URL is the team page; unset falls back to copy.ts; a bad value is refused at start', () => {
    expect(readSupportUrl({ VITE_SUPPORT_URL: 'https://help.example.com/?ref={ref}' } as ImportMetaEnv)).toBe(
      'https://help.example.com/?ref={ref}',
    );
    expect(readSupportUrl({} as ImportMetaEnv)).toBe(copy.supportUrl);
    expect(() => readSupportUrl({ VITE_SUPPORT_URL: 'help desk' } as ImportMetaEnv)).toThrow(
      /VITE_SUPPORT_URL/,
    );
  });
});
