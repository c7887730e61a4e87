/**
 * The packages as a registry would hand them to an app: what `npm pack` puts in each tarball,
 * whether everything their built code imports is a declared dependency, and whether the
 * packages meant for browsers bundle for one. Runs against the builds (dist/), as an app would.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = readdirSync(`${ROOT}packages`).sort();
/** The part of esbuild's `build` used here (esbuild is tsup's, not a dependency of the root). */
type Build = (options: Record<string, unknown>) => Promise<{ errors: unknown[]; warnings: { text: string }[]; outputFiles?: { text: string }[] }>;
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
  engines?: { node?: string };
  license?: string;
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

  it.each(PACKAGES)('%s ships the ISC license its package.json names, with its copyright notice', (directory) => {
    expect(manifest(directory).license).toBe('ISC');
    expect(filesOf(manifest(directory).name)).toContain('LICENSE');
    const license = readFileSync(`${ROOT}packages/${directory}/LICENSE`, 'utf8');
    expect(license).toBe(readFileSync(`${ROOT}LICENSE`, 'utf8'));
    expect(license).toMatch(/^ISC License\n\nCopyright \(c\) \d{4}, the aesc authors\n/);
  });

  // The Node versions the workspace is built and tested on. An app's npm checks each installed
  // package's own field (EBADENGINE): @aesc/signer/legacy's CommonJS build, for one, require()s
  // the ESM-only @noble/curves, which older Node refuses (ERR_REQUIRE_ESM).
  it.each(PACKAGES)('%s declares the Node versions the workspace supports (engines.node)', (directory) => {
    const root = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { engines: { node: string } };
    expect(root.engines.node).toMatch(/^>=\d+\.\d+\.\d+$/);
    expect(manifest(directory).engines?.node).toBe(root.engines.node);
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

  // Built as two entries (`--splitting`): each entry with its own copy of TxError would throw one
  // that `instanceof TxError` from the other refuses.
  it('@aesc/tx/channel throws the TxError class of @aesc/tx, built as ESM and as CommonJS', async () => {
    // CommonJS through the package's `exports`; ESM by the files its `import` condition names.
    const load = createRequire(`${ROOT}package.json`);
    const esm = async (file: string) => (await import(pathToFileURL(`${ROOT}packages/tx/dist/${file}`).href)) as Record<string, unknown>;
    const builds: [Record<string, unknown>, Record<string, unknown>][] = [
      [load('@aesc/tx') as Record<string, unknown>, load('@aesc/tx/channel') as Record<string, unknown>],
      [await esm('index.js'), await esm('channel.js')],
    ];
    for (const [root, channel] of builds) {
      const closeMutualAmounts = channel.closeMutualAmounts as (initiator: bigint, responder: bigint, fee: bigint) => unknown;
      let thrown: unknown;
      try {
        closeMutualAmounts(1n, 1n, 5n);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(root.TxError as new () => Error);
      expect(thrown).toMatchObject({ code: 'INVALID_FIELD' });
    }
  });

  /** `entry` bundled for a browser as an app would: the packages' `exports` and `browser` fields. */
  const bundleForBrowser = (entry: string) =>
    build({
      stdin: { contents: entry, resolveDir: ROOT, loader: 'js', sourcefile: 'browser-entry.mjs' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      // As an installed app: the packages' `exports` (dist/), not this workspace's tsconfig paths.
      tsconfigRaw: {},
    });

  // The packages whose READMEs have them run in browsers (the client on the platform WebSocket).
  it.each(['encoding', 'tx', 'signer', 'schema', 'client'])('@aesc/%s bundles for the browser, without a warning', async (directory) => {
    const result = await bundleForBrowser(`export * from '@aesc/${directory}';`);
    expect(result.errors).toEqual([]);
    // Every app that bundles the package would see a warning (a name imported from a module the
    // `browser` field leaves out "will always be undefined"), FileStore used or not.
    expect(result.warnings.map((warning) => warning.text)).toEqual([]);
    expect(result.outputFiles?.[0]?.text).not.toMatch(/\bfrom\s*["'](node:)?(crypto|fs|fs\/promises|path|http)["']/);
  });

  it('@aesc/client bundled for the browser refuses a FileStore with STORE_IO (it has no file system there) and keeps a MemoryStore', async () => {
    const result = await bundleForBrowser(`export { FileStore, MemoryStore } from '@aesc/client';`);
    const directory = mkdtempSync(join(tmpdir(), 'aesc-browser-bundle-'));
    try {
      const bundle = join(directory, 'bundle.mjs');
      writeFileSync(bundle, result.outputFiles?.[0]?.text ?? '');
      // In a process of its own: the bundle as a page would run it, not through the test runner's loader.
      const script = `const { FileStore, MemoryStore } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
        let refusal;
        try { new FileStore('./channels'); } catch (error) { refusal = { name: error.name, code: error.code, message: error.message }; }
        console.log(JSON.stringify({ refusal, memory: await new MemoryStore().list() }));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8' });
      expect(JSON.parse(stdout)).toEqual({
        refusal: { name: 'ClientError', code: 'STORE_IO', message: expect.stringMatching(/^FileStore needs node:fs\/promises, node:path and node:crypto, .*MemoryStore/) },
        memory: [],
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  // An app outside the workspace, its node_modules holding what `npm pack` ships, compiles
  // test/support/consumer.ts as each module setting resolves the packages: ESM and CJS under
  // `nodenext` and `node16` (`exports` conditions), `bundler`, and `node10` (`main`/`types`,
  // `typesVersions`), under the strict options an app may set (`noUncheckedIndexedAccess` too).
  // `skipLibCheck: false` checks our declarations too; TypeScript's own lib files are skipped
  // (`skipDefaultLibCheck`), as they take most of the time and are not ours.
  describe('compiled by a TypeScript app', () => {
    let app: string;
    beforeAll(() => {
      app = mkdtempSync(join(tmpdir(), 'aesc-app-'));
      for (const directory of PACKAGES) {
        const { name } = manifest(directory);
        for (const path of filesOf(name)) {
          const target = join(app, 'node_modules', name, path);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(`${ROOT}packages/${directory}/${path}`, target);
        }
      }
      const consumer = readFileSync(`${ROOT}test/support/consumer.ts`, 'utf8');
      for (const extension of ['ts', 'mts', 'cts']) writeFileSync(join(app, `consumer.${extension}`), consumer);
    });
    afterAll(() => rmSync(app, { recursive: true, force: true }));

    it.concurrent.each([
      ['nodenext', 'nodenext', ['consumer.mts', 'consumer.cts'], true],
      ['node16', 'node16', ['consumer.mts', 'consumer.cts'], true],
      ['bundler', 'preserve', ['consumer.ts'], true],
      ['node10', 'commonjs', ['consumer.ts'], true],
      ['node10', 'commonjs', ['consumer.ts'], false],
    ] as const)('moduleResolution %s (module %s, %j), exactOptionalPropertyTypes %s', async (resolution, module, files, exactOptionalPropertyTypes) => {
      const config = join(app, `tsconfig.${resolution}-${exactOptionalPropertyTypes}.json`);
      const compilerOptions = {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module,
        moduleResolution: resolution,
        strict: true,
        exactOptionalPropertyTypes,
        noUncheckedIndexedAccess: true,
        skipLibCheck: false,
        skipDefaultLibCheck: true,
        noEmit: true,
        types: [],
      };
      writeFileSync(config, JSON.stringify({ compilerOptions, files }));
      const report = await promisify(execFile)(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', config], { cwd: app, encoding: 'utf8' }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout || String(error),
      );
      expect(report).toBe('');
    });

    it('names no type in a public declaration that the packages do not export', () => {
      const entries = PACKAGES.flatMap((directory) => {
        const { name, exports } = manifest(directory);
        return exportTargets(exports)
          .filter((target) => target.endsWith('.d.ts'))
          .map((target) => join(app, 'node_modules', name, target));
      });
      // Resolved as a bundler does, so that one package's imports of another reach the entries above.
      const options = { module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
      const program = ts.createProgram(entries, options);
      const checker = program.getTypeChecker();
      const resolve = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
      const ours = (node: ts.Node) => node.getSourceFile().fileName.startsWith(join(app, 'node_modules', '@aesc'));
      const exported = new Set<ts.Symbol>();
      for (const entry of entries) {
        const file = program.getSourceFile(entry);
        const module = file === undefined ? undefined : checker.getSymbolAtLocation(file);
        expect(module, entry).toBeDefined();
        for (const symbol of checker.getExportsOfModule(module as ts.Symbol)) exported.add(resolve(symbol));
      }
      // A type a signature names must be one an app can name too (to annotate a variable, a
      // parameter of its own); what a declaration extends or implements need not be.
      const unexported = new Set<string>();
      const visit = (node: ts.Node, owner: string): void => {
        if (ts.isHeritageClause(node) || ts.isTypeQueryNode(node)) return;
        if (ts.isTypeReferenceNode(node)) {
          const found = checker.getSymbolAtLocation(node.typeName);
          const symbol = found === undefined ? undefined : resolve(found);
          const declaration = symbol?.declarations?.[0];
          if (symbol !== undefined && declaration !== undefined && !(symbol.flags & ts.SymbolFlags.TypeParameter) && ours(declaration) && !exported.has(symbol)) {
            unexported.add(`${owner} names ${symbol.name}`);
          }
        }
        ts.forEachChild(node, (child) => visit(child, owner));
      };
      for (const symbol of exported) for (const declaration of symbol.declarations ?? []) if (ours(declaration)) visit(declaration, symbol.name);
      expect(exported.size).toBeGreaterThan(100);
      expect([...unexported]).toEqual([]);
    });
  });
});
