import { basename, join } from 'node:path';
import { defineConfig } from 'tsup';

/*
 * The `node` build (dist/node.js, dist/node.cjs): the same sources as dist/index.*, with modules
 * swapped where Node has something faster (each falls back on the module it replaces where
 * WebAssembly is missing):
 * - for base58check.ts: the checksum on node:crypto (src/checksum-node.ts for src/checksum.ts) and
 *   base58 in WebAssembly (src/base58-node.ts for src/base58.ts);
 * - for index.ts: BLAKE2b-256 in WebAssembly (src/hashes-node.ts for src/hashes.ts).
 * package.json's `exports` give it to Node under the `node` condition; its types are index.d.ts.
 */
const SWAPS: Record<string, { importer: string; module: string }> = {
  './checksum.js': { importer: 'base58check.ts', module: 'checksum-node.ts' },
  './base58.js': { importer: 'base58check.ts', module: 'base58-node.ts' },
  './hashes.js': { importer: 'index.ts', module: 'hashes-node.ts' },
};

export default defineConfig({
  entry: { node: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: false,
  clean: false,
  esbuildPlugins: [
    {
      name: 'node-modules',
      setup(build) {
        build.onResolve({ filter: /^\.\/(checksum|base58|hashes)\.js$/ }, (args) => {
          const swap = SWAPS[args.path];
          // the swapped-in modules import the ones they replace, for their fallbacks: those stay
          if (swap === undefined || basename(args.importer) !== swap.importer) return undefined;
          return { path: join(args.resolveDir, swap.module) };
        });
      },
    },
  ],
});
