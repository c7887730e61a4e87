/*
 * The WebAssembly modules of the `node` build (base58-node.ts, hashes-node.ts), each made on
 * first use. Where WebAssembly is missing (`node --jitless`) or refuses to compile, a module is
 * `null` and its caller does the same work in JavaScript.
 */

/**
 * A function giving `wrap` of the base64 module's exports, made on first call and kept, or `null`
 * where this runtime cannot make the module.
 */
export function lazyModule<T>(base64: string, wrap: (exports: WebAssembly.Exports) => T): () => T | null {
  let made: T | null | undefined;
  return () => {
    if (made !== undefined) return made;
    made = null;
    if (typeof WebAssembly !== 'object' || WebAssembly === null) return made;
    try {
      made = wrap(new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64'))).exports);
    } catch {
      // a runtime that refuses to compile it: the JavaScript code does the same work
    }
    return made;
  };
}

/** A byte view of an exported memory (the modules never grow theirs, so the view stays valid). */
export function memoryBytes(exports: WebAssembly.Exports): Uint8Array {
  return new Uint8Array((exports.memory as WebAssembly.Memory).buffer);
}
