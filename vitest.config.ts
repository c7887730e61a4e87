import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

// Tests run against the TypeScript sources; the CLI tests run the built binary.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@aesc\/encoding$/, replacement: src('encoding/src/index.ts') },
      { find: /^@aesc\/tx$/, replacement: src('tx/src/index.ts') },
      { find: /^@aesc\/tx\/channel$/, replacement: src('tx/src/channel.ts') },
      { find: /^@aesc\/signer$/, replacement: src('signer/src/node.ts') },
      { find: /^@aesc\/signer\/legacy$/, replacement: src('signer/src/legacy.ts') },
      { find: /^@aesc\/schema$/, replacement: src('schema/src/index.ts') },
      { find: /^@aesc\/devnode$/, replacement: src('devnode/src/index.ts') },
      { find: /^@aesc\/client$/, replacement: src('client/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
