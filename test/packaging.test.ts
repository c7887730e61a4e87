/**
 * The packages as a registry would hand them to an app: what `npm pack` puts in each tarball,
 * whether everything their built code imports is a declared dependency, and whether the
 * packages meant for browsers bundle for one. Runs against the builds (dist/), as an app would.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = readdirSync(`${ROOT}packages`).sort();
/** The part of esbuild's `build` used here (esbuild is tsup's, not a dependency of the root). */
type Build = (options: Record<string, unknown>) => Promise<{ errors: unknown[]; outputFiles?: { text: string }[] }>;
// An app's bundler resolves the packages' `exports` and `browser` fields as esbuild does.
const { build } = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as { build: Build };

interface Manifest {
  name: string;
  exports: Record<string, unknown>;
  /** For tools that read no `exports` (TypeScript's `node10` resolution, old bundlers). */
  main: string;
  types: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
}

const manifest = (name: string): Manifest => JSON.parse(readFileSync(`${ROOT}packages/${name}/package.json`, 'utf8')) as Manifest;

/** Every file path a target of an `exports` map names (conditions flattened; no wildcards here). */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('*') ? [] : [value.replace(/^\.\//, '')];
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(exportTargets);
  return [];
}

/** The name of the package a bare specifier imports: `@noble/curves/secp256k1.js` → `@noble/curves`. */
const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** Static imports and re-exports (tsup starts them on a line), `import()` and `require()` of a literal. */
const IMPORT = /(?:^\s*(?:import|export)\b[^'";]*?\bfrom\s*|^\s*import\s*|\bimport\(\s*|\brequire\(\s*)["']([^"']+)["']/gm;

describe('published packages', () => {
  // One npm process for all: the file lists `npm pack` (and the registry) would ship.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', ...PACKAGES.map((name) => `./packages/${name}`)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  ) as { name: string; files: { path: string }[] }[];
  const filesOf = (name: string) => packed.find((entry) => entry.name === name)?.files.map((file) => file.path) ?? [];

  it.each(PACKAGES)('%s ships every file its exports, main, types and bin name, and no tests', (directory) => {
    const { name, exports, main, types, bin } = manifest(directory);
    const files = filesOf(name);
    expect(files).toContain('package.json');
    for (const target of [...exportTargets([exports, main, types]), ...Object.values(bin ?? {}).map((path) => path.replace(/^\.\//, ''))]) {
      expect(files, `${name}: ${target}`).toContain(target);
    }
    expect(files.filter((path) => /(^|\/)(test|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$|(^|\/)node_modules\/|\.tsbuildinfo$/.test(path))).toEqual([]);
  });

  it.each(PACKAGES)('%s types each export condition with the declarations built beside its code', (directory) => {
    const { name, exports } = manifest(directory);
    const pairs: [string, string][] = [];
    const walk = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      const { types, default: code } = value as { types?: unknown; default?: unknown };
      if (typeof types === 'string' && typeof code === 'string') pairs.push([types, code]);
      Object.values(value).forEach(walk);
    };
    walk(exports);
    expect(pairs.length, name).toBeGreaterThan(0);
    // x.js is typed by x.d.ts and x.cjs by x.d.cts where those are built (another entry's types
    // may say other things than its code); an entry built without them shares one of its format.
    const files = filesOf(name);
    for (const [types, code] of pairs) {
      const beside = code.replace(/\.(c?)js$/, '.d.$1ts');
      if (files.includes(beside.replace(/^\.\//, ''))) expect(types, `${name}: types of ${code}`).toBe(beside);
      else expect(types.endsWith(code.endsWith('.cjs') ? '.d.cts' : '.d.ts'), `${name}: types of ${code}: ${types}`).toBe(true);
    }
  });

  it.each(PACKAGES)('%s declares every package its build imports as a dependency', (directory) => {
    const { name, dependencies = {} } = manifest(directory);
    const dist = `${ROOT}packages/${directory}/dist/`;
    const imported = new Set<string>();
    for (const file of readdirSync(dist).filter((file) => /\.(c|m)?js$/.test(file))) {
      for (const [, specifier] of readFileSync(dist + file, 'utf8').matchAll(IMPORT)) {
        if (specifier === undefined || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        imported.add(packageName(specifier));
      }
    }
    imported.delete(name);
    expect(imported.size).toBeGreaterThanOrEqual(directory === 'encoding' ? 0 : 1);
    expect([...imported].filter((dependency) => !(dependency in dependencies))).toEqual([]);
  });

  // The packages whose READMEs have them run in browsers (the client on the platform WebSocket).
  it.each(['encoding', 'tx', 'signer', 'schema', 'client'])('@aesc/%s bundles for the browser', async (directory) => {
    const result = await build({
      stdin: { contents: `export * from '@aesc/${directory}';`, resolveDir: ROOT, loader: 'js', sourcefile: 'browser-entry.mjs' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      // As an installed app: the packages' `exports` (dist/), not this workspace's tsconfig paths.
      tsconfigRaw: {},
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles?.[0]?.text).not.toMatch(/\bfrom\s*["'](node:)?(crypto|fs|fs\/promises|path|http)["']/);
  });
});
