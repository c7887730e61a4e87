import { join } from 'node:path';
import { defineConfig } from 'tsup';

/*
 * The `node` build (dist/node.js, dist/node.cjs): the same sources as dist/index.*, with two
 * modules swapped for base58check.ts: the checksum on node:crypto (src/checksum-node.ts) for
 * src/checksum.ts, and base58 in WebAssembly (src/base58-node.ts, which falls back on
 * src/base58.ts itself) for src/base58.ts. package.json's `exports` give it to Node under the
 * `node` condition; its types are index.d.ts.
 */
const SWAPS: Record<string, string> = {
  './checksum.js': 'checksum-node.ts',
  './base58.js': 'base58-node.ts',
};

export default defineConfig({
  entry: { node: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: false,
  clean: false,
  esbuildPlugins: [
    {
      name: 'node-modules-for-base58check',
      setup(build) {
        build.onResolve({ filter: /^\.\/(checksum|base58)\.js$/ }, (args) => {
          const swap = SWAPS[args.path];
          // base58-node.ts imports base58.ts for its fallback: that import stays as it is
          if (swap === undefined || !args.importer.endsWith('base58check.ts')) return undefined;
          return { path: join(args.resolveDir, swap) };
        });
      },
    },
  ],
});
