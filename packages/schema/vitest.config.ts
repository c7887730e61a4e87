import { defineConfig } from 'vitest/config';
import root from '../../vitest.config.js';

// The root config's globs are relative to the repository root, so `npx vitest run` from this
// directory used to match test/ only and skip src/*.test.ts. This runs all of the package's
// tests, with the root's aliases (tests run against the TypeScript sources).
export default defineConfig({ ...root, test: { ...root.test, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } });
