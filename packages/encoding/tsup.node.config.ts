import { join } from 'node:path';
import { defineConfig } from 'tsup';

/*
 * The `node` build (dist/node.js, dist/node.cjs): the same sources as dist/index.*, with the
 * base58check checksum on node:crypto (src/checksum-node.ts) in place of src/checksum.ts.
 * package.json's `exports` give it to Node under the `node` condition; its types are index.d.ts.
 */
export default defineConfig({
  entry: { node: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: false,
  clean: false,
  esbuildPlugins: [
    {
      name: 'checksum-on-node-crypto',
      setup(build) {
        build.onResolve({ filter: /^\.\/checksum\.js$/ }, (args) => ({ path: join(args.resolveDir, 'checksum-node.ts') }));
      },
    },
  ],
});
