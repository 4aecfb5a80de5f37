import { describe, expect, it } from 'vitest';
import { lockfileWithoutSelf, projectReadme, renameText, transformFile } from '../src/transform.mjs';

const names = { name: 'acme-shop', scope: '@acme', appName: 'acme-mini' };

describe('renaming the template names', () => {
  it('renames the scope, the root name and the appName', () => {
    expect(renameText(`import { Catalog } from '@ait-iap/iap-contract';`, names)).toBe(
      `import { Catalog } from '@acme/iap-contract';`,
    );
    expect(renameText('"name": "ait-iap-starter",', names)).toBe('"name": "acme-shop",');
    expect(renameText("  appName: 'ait-iap-shop',", names)).toBe("  appName: 'acme-mini',");
    expect(renameText('turbo run test --filter=!@ait-iap/e2e', names)).toBe(
      'turbo run test --filter=!@acme/e2e',
    );
    expect(renameText('Package scope `@ait-iap`.', names)).toBe('Package scope `@acme`.');
  });

  it('renames other uses of the short name (temp-dir prefixes, certificate labels)', () => {
    expect(renameText("mkdtempSync(path.join(tmpdir(), 'ait-iap-e2e-'))", names)).toBe(
      "mkdtempSync(path.join(tmpdir(), 'acme-shop-e2e-'))",
    );
    expect(renameText("value: 'ait-iap toss-mock (dev only)'", names)).toBe(
      "value: 'acme-shop toss-mock (dev only)'",
    );
  });

  it('leaves unrelated text alone', () => {
    const text = 'the Apps in Toss SDK: @apps-in-toss/web-framework, appName, "waiting-iap"';
    expect(renameText(text, names)).toBe(text);
  });
});

describe('removing the scaffolder from the new project', () => {
  it("drops the scaffolder's importer from pnpm-lock.yaml and nothing else", () => {
    const lock = [
      'importers:',
      '',
      '  packages/create-app:',
      '    devDependencies:',
      "      '@types/node':",
      "        specifier: 'catalog:'",
      '        version: 20.19.43',
      '',
      '  packages/iap-contract:',
      '    dependencies:',
      '      zod:',
      '',
      'packages:',
      '',
    ].join('\n');
    expect(lockfileWithoutSelf(lock)).toBe(
      [
        'importers:',
        '',
        '  packages/iap-contract:',
        '    dependencies:',
        '      zod:',
        '',
        'packages:',
        '',
      ].join('\n'),
    );
  });

  it('drops root scripts that run the scaffolder and renames the root package', () => {
    const manifest = {
      name: 'ait-iap-starter',
      scripts: {
        test: 'node scripts/test.mjs',
        'create:try': 'node packages/create-app/bin/create-ait-iap.mjs x',
      },
    };
    const out = JSON.parse(
      transformFile('package.json', Buffer.from(JSON.stringify(manifest)), names).toString(),
    );
    expect(out).toEqual({ name: 'acme-shop', scripts: { test: 'node scripts/test.mjs' } });
  });

  it('drops turbo tasks for the scaffolder', () => {
    const turbo = { tasks: { test: { cache: false }, 'create-ait-iap#test': { dependsOn: ['^build'] } } };
    const out = JSON.parse(transformFile('turbo.json', Buffer.from(JSON.stringify(turbo)), names).toString());
    expect(out).toEqual({ tasks: { test: { cache: false } } });
  });

  it('drops doc and workflow lines that mention the scaffolder', () => {
    const doc =
      '- `apps/web` — the mini-app\n- `packages/create-app` — `pnpm create ait-iap my-app`\n- `catalog/`\n';
    expect(transformFile('docs/guide.md', Buffer.from(doc), names).toString()).toBe(
      '- `apps/web` — the mini-app\n- `catalog/`\n',
    );
  });

  it('passes binary files through untouched', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, ...Buffer.from('ait-iap')]);
    expect(transformFile('catalog/images/x.png', png, names)).toEqual(png);
  });
});

describe("the new project's README", () => {
  const starter = [
    '# Apps in Toss IAP starter',
    '',
    'Intro about `@ait-iap` and `packages/create-app` — `pnpm create ait-iap my-app`.',
    '',
    '## Quick start — two commands',
    '',
    'node scripts/up.mjs',
    '',
    '## How a purchase flows',
    '',
    'Through `@ait-iap/server`.',
    '',
    '## Start a new project with create-ait-iap',
    '',
    'Run the scaffolder.',
    '',
    '## Architecture',
    '',
    'packages/create-app   the scaffolder',
    'packages/toss-mock    the mock',
    '',
  ].join('\n');
  const readme = projectReadme(starter, names);

  it('opens with the project name and the two quick-start commands', () => {
    expect(readme.startsWith('# acme-shop\n')).toBe(true);
    expect(readme).toContain('node scripts/up.mjs   # 1.');
    expect(readme).toContain('pnpm test             # 2.');
    expect(readme).toContain('| package scope | `@acme` |');
    expect(readme).toContain('| Apps in Toss appName | `acme-mini` |');
  });

  it("keeps the starter's guide, renamed, without the scaffolder", () => {
    expect(readme).toContain('## How a purchase flows\n\nThrough `@acme/server`.');
    expect(readme).toContain('## Architecture\n\npackages/toss-mock    the mock');
    expect(readme).not.toMatch(/create-app|Start a new project|Intro about/);
  });

  it('mentions the starter only in its credit line', () => {
    const lines = readme.split('\n').filter((line) => line.includes('ait-iap'));
    expect(lines).toEqual(['Scaffolded with create-ait-iap, from the Apps in Toss IAP starter.']);
  });
});
