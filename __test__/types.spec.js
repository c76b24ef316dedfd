// The hand-written public types compile against real usage (and against s3db.js's own types).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

it('index.d.ts type-checks a typical program under --strict', () => {
  const run = () =>
    execFileSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', join(root, '__test__/types/usage.ts')],
      { cwd: root, encoding: 'utf8', stdio: 'pipe' },
    );
  expect(run).not.toThrow();
}, 60_000);
