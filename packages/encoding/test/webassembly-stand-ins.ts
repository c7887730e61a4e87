/**
 * What the `node` build's WebAssembly modules meet where they cannot run: for the fallback tests
 * of base58-node.ts and hashes-node.ts.
 */
import { vi } from 'vitest';

export const WEBASSEMBLY_STAND_INS: [string, unknown][] = [
  ['no WebAssembly at all (node --jitless)', undefined],
  [
    'a WebAssembly that refuses to compile',
    {
      Module: class {
        constructor() {
          throw new Error('compiling is disallowed here');
        }
      },
      Instance: class {},
    },
  ],
];

/** Runs `check` with fresh modules and the global `WebAssembly` replaced by `standIn`. */
export async function withWebAssembly(standIn: unknown, check: () => Promise<void>): Promise<void> {
  vi.resetModules();
  vi.stubGlobal('WebAssembly', standIn);
  try {
    await check();
  } finally {
    vi.unstubAllGlobals();
    vi.resetModules();
  }
}
