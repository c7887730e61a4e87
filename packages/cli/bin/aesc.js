#!/usr/bin/env node
// The file pnpm and npm link as `aesc`. It is committed rather than built, because a package
// manager links a bin only if its file exists at install time, which on a fresh clone is
// before the first build; it loads the build.
import('../dist/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('main.js')) {
    process.stderr.write('aesc: not built yet; run `npx pnpm@10.34.8 build` at the repository root\n');
    process.exitCode = 70;
    return;
  }
  throw error;
});
