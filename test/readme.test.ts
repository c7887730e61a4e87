import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('README', () => {
  it('runs its ten-line example against the built packages', () => {
    const readme = readFileSync(`${ROOT}README.md`, 'utf8');
    const example = /## Ten lines\s+```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    // Written beside the root package.json so that `@aesc/*` resolve as for any user.
    const file = `${ROOT}.readme-example.mjs`;
    writeFileSync(file, example ?? '');
    try {
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim().split('\n');
      expect(output[0]).toMatch(/^ch\$\w+ th\$\w+ true$/);
      expect(output[1]).toMatch(/^tx\$\w+$/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
