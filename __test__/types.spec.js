// The hand-written public types compile against real usage (and against s3db.js's own types), as a
// strict user project compiles them: `--strict`, `nodenext` resolution and *without*
// `skipLibCheck`, which would skip our own index.d.ts and binding.d.ts too.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/**
 * Diagnostics in s3db.js's declarations that name modules this registry cannot install: its
 * optional peer `raffel` (API plugin) and `recker`, which package.json replaces by a stub. They
 * are s3db.js's, not ours, and a user with those packages installed does not see them. tsc names
 * them by their real path, outside the checkout when node_modules is a link to another one.
 */
const THIRD_PARTY_MISSING_MODULE = /^(?:\.\.\/[^/]+\/)*node_modules\/s3db\.js\/.*error TS(2307|7016): .*'(raffel|raffel\/http|recker)'/;

it('index.d.ts type-checks a typical program under --strict, nodenext, without skipLibCheck', () => {
  const args = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const run = spawnSync(process.execPath, [tsc, ...args, '--target', 'es2022', join(root, '__test__/types/usage.ts')], {
    cwd: root,
    encoding: 'utf8',
  });
  const diagnostics = run.stdout
    .split('\n')
    .filter((line) => /error TS\d+/.test(line))
    .filter((line) => !THIRD_PARTY_MISSING_MODULE.test(line));
  expect(diagnostics).toEqual([]);
  expect(run.stderr).toBe('');
}, 60_000);
