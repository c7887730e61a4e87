/*
 * Row 4: what @aesc/encoding + @aesc/tx cost a browser app. esbuild bundles an entry with
 * every dependency it reaches (today none outside the two packages: their hashes, base58 and
 * RLP are their own), minified, for the browser, and the output is gzipped with node:zlib at
 * level 9; the SDK's standalone browser bundle gets the same gzip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { sizeRow } from './report.mjs';

const benchDirectory = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The entry a wallet would write to inspect, build and hash transactions. */
const SMALL_ENTRY = `export { decodeTx, encodeTx, txHash, channelId, toJSON, fromJSON } from '@aesc/tx';`;

const exportNames = (module) => Object.keys(module).filter((name) => name !== 'default').sort();

/**
 * Every export of both packages' main entries (named, since the packages have no `export *`
 * either), and with `withChannel` those of the subpath `@aesc/tx/channel` too.
 */
async function fullEntry(withChannel = false) {
  const txNames = exportNames(await import('@aesc/tx'));
  const encodingNames = exportNames(await import('@aesc/encoding')).filter((name) => !txNames.includes(name));
  return [
    `export { ${encodingNames.join(', ')} } from '@aesc/encoding';`,
    `export { ${txNames.join(', ')} } from '@aesc/tx';`,
    ...(withChannel ? [`export { ${exportNames(await import('@aesc/tx/channel')).join(', ')} } from '@aesc/tx/channel';`] : []),
  ].join('\n');
}

const GZIP_LEVEL = 9;

export async function bundleSize(contents) {
  const result = await build({
    stdin: { contents, resolveDir: benchDirectory, loader: 'js', sourcefile: 'bundle-entry.mjs' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // As an app that installed the packages would: no tsconfig `paths` of this workspace
    // (they point @aesc/* at the TypeScript sources), only the packages' `exports` (dist/).
    tsconfigRaw: {},
  });
  const output = result.outputFiles[0].contents;
  const byPackage = {};
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
    }
  }
  return { minified: output.length, gzip: gzipSync(output, { level: GZIP_LEVEL }).length, byPackage };
}

function packageOf(path) {
  const normalized = relative(benchDirectory, join(benchDirectory, path)).replaceAll('\\', '/');
  const workspace = normalized.match(/packages\/([^/]+)\//);
  if (workspace !== null && !normalized.includes('node_modules')) return `@aesc/${workspace[1]}`;
  const dependency = normalized.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/);
  return dependency === null ? normalized : dependency[1];
}

/** The SDK's package root (its `exports` map hides package.json, so walk up from its main file). */
function sdkRoot() {
  let directory = dirname(require.resolve('@aeternity/aepp-sdk'));
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error('cannot find the package root of @aeternity/aepp-sdk');
    directory = parent;
  }
  return directory;
}

function sdkBrowserBundle() {
  // `Aeternity` global script with every dependency inside: the SDK's standalone browser bundle.
  const path = join(sdkRoot(), 'dist', 'aepp-sdk.browser-script.cjs');
  const contents = readFileSync(path);
  return { path, gzip: gzipSync(contents, { level: GZIP_LEVEL }).length, raw: contents.length };
}

function describeComposition(byPackage) {
  return Object.entries(byPackage)
    .sort(([, left], [, right]) => right - left)
    .map(([name, bytes]) => `${name} ${(bytes / 1000).toFixed(1)}`)
    .join(', ');
}

export async function run() {
  const sdk = sdkBrowserBundle();
  const small = await bundleSize(SMALL_ENTRY);
  const full = await bundleSize(await fullEntry());
  const withChannel = await bundleSize(await fullEntry(true));
  const sdkNote = `SDK: ${sdk.path.replace(/^.*node_modules\//, '')} (${(sdk.raw / 1000).toFixed(0)} kB raw), same gzip -${GZIP_LEVEL}`;
  return [
    sizeRow({
      id: 'bundle-small',
      name: 'bundle encoding+tx (6 exports), gzip',
      oursBytes: small.gzip,
      otherBytes: sdk.gzip,
      otherLabel: 'SDK',
      atMostBytes: 10_000,
      notes: [
        `entry: decodeTx, encodeTx, txHash, channelId, toJSON, fromJSON; esbuild minify, platform browser, deps included; ${(small.minified / 1000).toFixed(1)} kB minified (kB per input before gzip: ${describeComposition(small.byPackage)})`,
        sdkNote,
      ],
    }),
    sizeRow({
      id: 'bundle-full',
      name: 'bundle encoding+tx (every export), gzip',
      oursBytes: full.gzip,
      otherBytes: sdk.gzip,
      otherLabel: 'SDK',
      atMostBytes: 10_000,
      notes: [`${(full.minified / 1000).toFixed(1)} kB minified (${describeComposition(full.byPackage)})`],
    }),
    sizeRow({
      id: 'bundle-full-channel',
      name: 'bundle encoding+tx (every export) + @aesc/tx/channel, gzip',
      oursBytes: withChannel.gzip,
      otherBytes: sdk.gzip,
      otherLabel: 'SDK',
      notes: [`the off-chain rules of the subpath (applyTransfers, closeMutualAmounts) added: +${withChannel.gzip - full.gzip} bytes; ${(withChannel.minified / 1000).toFixed(1)} kB minified`],
    }),
  ];
}
