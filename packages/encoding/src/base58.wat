;; Base58 (the Bitcoin alphabet) in WebAssembly, for the `node` build (src/base58-node.ts).
;;
;; The same schoolbook conversion as base-x and @scure/base, but on 64-bit integers and wide limbs
;; instead of one byte and one digit at a time in JavaScript: 32 bits of input per step, five base-58
;; digits per limb. Both directions are quadratic; base58-node.ts sends values up to 2 kB here (all
;; that a prefix allows: measured, the module is still faster than the BigInt divide and conquer
;; of base58.ts at that size) and larger ones to base58.ts. scripts/build-wasm.mjs assembles this
;; file at build time.
;;
;; Four passes at once. Taking one word (or chunk of digits) into the number is a pass over the
;; limbs with a carry, and each step waits for the step before it: encode's division by 58^5
;; alone takes several cycles. So $multiply4 and $scale4 take four words in four passes
;; interleaved, each pass one limb behind the one before it (pass 1 reads the limb pass 0 wrote
;; a step earlier): four carry chains that do not depend on each other, which the CPU overlaps.
;; Measured: a 421-byte tx encodes in ~8.8 µs instead of ~13.7 µs one pass at a time, and its
;; 575 digits decode in ~4.7 µs instead of ~6.4 µs.
;;
;; One page of memory, laid out for the largest value the caller sends (WASM_MAX_BYTES = 2048 bytes,
;; WASM_MAX_DIGITS = 2797 digits, in base58-node.ts; 2797 digits can make 2049 bytes):
;;   [0, 2049)        encode: input bytes, big-endian.   decode: output bytes, big-endian
;;   [8192, 12288)    limbs, little-endian i32 words (encode: base 58^5, decode: base 2^32)
;;   [16384, 20480)   encode: output character codes.    decode: input characters (UTF-8, as
;;                    TextEncoder.encodeInto writes them), turned into digit values 0..57 in place
;;   [32768, 32826)   the alphabet
;;   [33024, 33280)   the digit value of each byte, 255 outside the alphabet (made by $init)
(module
  (memory (export "memory") 1)
  (data (i32.const 32768) "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

  ;; The end of the limbs, which start at 8192 (the least significant first).
  (global $end (mut i32) (i32.const 8192))

  ;; The table of digit values, from the alphabet.
  (func $init
    (local $digit i32)
    (memory.fill (i32.const 33024) (i32.const 255) (i32.const 256))
    (loop $digits
      (i32.store8 (i32.add (i32.const 33024) (i32.load8_u (i32.add (i32.const 32768) (local.get $digit)))) (local.get $digit))
      (local.set $digit (i32.add (local.get $digit) (i32.const 1)))
      (br_if $digits (i32.lt_u (local.get $digit) (i32.const 58)))))
  (start $init)

  ;; ---------------------------------------------------------------------------------------------
  ;; Encode: limbs of base 58^5 = 656356768, the largest power of 58 whose limb times 2^32 plus a
  ;; carry fits in 64 bits. The divisor is written as a constant everywhere: V8 turns a division by
  ;; a constant into a multiplication, not by a global (measured: 1.5x slower).

  ;; The limbs from $limb on, times 2^bits (bits ≤ 32), plus $carry; what is left over becomes
  ;; new top limbs.
  (func $multiply (param $limb i32) (param $carry i64) (param $bits i64)
    (local $t i64)
    (block $full
      (loop $step
        (br_if $full (i32.ge_u (local.get $limb) (global.get $end)))
        (local.set $t (i64.add (i64.shl (i64.load32_u (local.get $limb)) (local.get $bits)) (local.get $carry)))
        (local.set $carry (i64.div_u (local.get $t) (i64.const 656356768)))
        (i64.store32 (local.get $limb) (i64.sub (local.get $t) (i64.mul (local.get $carry) (i64.const 656356768))))
        (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
        (br $step)))
    (block $spent
      (loop $grow
        (br_if $spent (i64.eqz (local.get $carry)))
        (local.set $t (i64.div_u (local.get $carry) (i64.const 656356768)))
        (i64.store32 (global.get $end) (i64.sub (local.get $carry) (i64.mul (local.get $t) (i64.const 656356768))))
        (local.set $carry (local.get $t))
        (global.set $end (i32.add (global.get $end) (i32.const 4)))
        (br $grow))))

  ;; limbs = (((limbs · 2^32 + $c0) · 2^32 + $c1) · 2^32 + $c2) · 2^32 + $c3: four passes, pass k
  ;; on limb j - k at each step; $a, $b and $c carry the limb passes 0, 1 and 2 just wrote to the
  ;; pass after them. The carries $c0..$c3 start as the four words.
  (func $multiply4 (param $c0 i64) (param $c1 i64) (param $c2 i64) (param $c3 i64)
    (local $limb i32) (local $t0 i64) (local $t1 i64) (local $t2 i64) (local $t3 i64)
    (local $a i64) (local $b i64) (local $c i64) (local $n i32)
    (if (i32.lt_u (global.get $end) (i32.const 8204))
      (then
        ;; fewer than three limbs: one pass after the other
        (call $multiply (i32.const 8192) (local.get $c0) (i64.const 32))
        (call $multiply (i32.const 8192) (local.get $c1) (i64.const 32))
        (call $multiply (i32.const 8192) (local.get $c2) (i64.const 32))
        (call $multiply (i32.const 8192) (local.get $c3) (i64.const 32))
        (return)))
    ;; the passes start one after the other: pass 0 on limb 0
    (local.set $t0 (i64.add (i64.shl (i64.load32_u (i32.const 8192)) (i64.const 32)) (local.get $c0)))
    (local.set $c0 (i64.div_u (local.get $t0) (i64.const 656356768)))
    (local.set $a (i64.sub (local.get $t0) (i64.mul (local.get $c0) (i64.const 656356768))))
    ;; pass 1 on limb 0, pass 0 on limb 1
    (local.set $t1 (i64.add (i64.shl (local.get $a) (i64.const 32)) (local.get $c1)))
    (local.set $c1 (i64.div_u (local.get $t1) (i64.const 656356768)))
    (local.set $b (i64.sub (local.get $t1) (i64.mul (local.get $c1) (i64.const 656356768))))
    (local.set $t0 (i64.add (i64.shl (i64.load32_u (i32.const 8196)) (i64.const 32)) (local.get $c0)))
    (local.set $c0 (i64.div_u (local.get $t0) (i64.const 656356768)))
    (local.set $a (i64.sub (local.get $t0) (i64.mul (local.get $c0) (i64.const 656356768))))
    ;; pass 2 on limb 0, pass 1 on limb 1, pass 0 on limb 2
    (local.set $t2 (i64.add (i64.shl (local.get $b) (i64.const 32)) (local.get $c2)))
    (local.set $c2 (i64.div_u (local.get $t2) (i64.const 656356768)))
    (local.set $c (i64.sub (local.get $t2) (i64.mul (local.get $c2) (i64.const 656356768))))
    (local.set $t1 (i64.add (i64.shl (local.get $a) (i64.const 32)) (local.get $c1)))
    (local.set $c1 (i64.div_u (local.get $t1) (i64.const 656356768)))
    (local.set $b (i64.sub (local.get $t1) (i64.mul (local.get $c1) (i64.const 656356768))))
    (local.set $t0 (i64.add (i64.shl (i64.load32_u (i32.const 8200)) (i64.const 32)) (local.get $c0)))
    (local.set $c0 (i64.div_u (local.get $t0) (i64.const 656356768)))
    (local.set $a (i64.sub (local.get $t0) (i64.mul (local.get $c0) (i64.const 656356768))))
    ;; all four at once: pass 0 on limb j, 1 on j - 1, 2 on j - 2, 3 on j - 3 (which it stores)
    (local.set $limb (i32.const 8204))
    (block $full
      (loop $step
        (br_if $full (i32.ge_u (local.get $limb) (global.get $end)))
        (local.set $t3 (i64.add (i64.shl (local.get $c) (i64.const 32)) (local.get $c3)))
        (local.set $t2 (i64.add (i64.shl (local.get $b) (i64.const 32)) (local.get $c2)))
        (local.set $t1 (i64.add (i64.shl (local.get $a) (i64.const 32)) (local.get $c1)))
        (local.set $t0 (i64.add (i64.shl (i64.load32_u (local.get $limb)) (i64.const 32)) (local.get $c0)))
        (local.set $c3 (i64.div_u (local.get $t3) (i64.const 656356768)))
        (local.set $c2 (i64.div_u (local.get $t2) (i64.const 656356768)))
        (local.set $c1 (i64.div_u (local.get $t1) (i64.const 656356768)))
        (local.set $c0 (i64.div_u (local.get $t0) (i64.const 656356768)))
        (i64.store32 (i32.sub (local.get $limb) (i32.const 12)) (i64.sub (local.get $t3) (i64.mul (local.get $c3) (i64.const 656356768))))
        (local.set $c (i64.sub (local.get $t2) (i64.mul (local.get $c2) (i64.const 656356768))))
        (local.set $b (i64.sub (local.get $t1) (i64.mul (local.get $c1) (i64.const 656356768))))
        (local.set $a (i64.sub (local.get $t0) (i64.mul (local.get $c0) (i64.const 656356768))))
        (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
        (br $step)))
    ;; pass 0 is through: its carry becomes new top limbs; then each pass finishes in turn, from
    ;; the limb it had reached, over the new limbs too
    (local.set $n (global.get $end))
    (i64.store32 (i32.sub (local.get $n) (i32.const 4)) (local.get $a))
    (i64.store32 (i32.sub (local.get $n) (i32.const 8)) (local.get $b))
    (i64.store32 (i32.sub (local.get $n) (i32.const 12)) (local.get $c))
    (call $multiply (local.get $n) (local.get $c0) (i64.const 32))
    (call $multiply (i32.sub (local.get $n) (i32.const 4)) (local.get $c1) (i64.const 32))
    (call $multiply (i32.sub (local.get $n) (i32.const 8)) (local.get $c2) (i64.const 32))
    (call $multiply (i32.sub (local.get $n) (i32.const 12)) (local.get $c3) (i64.const 32)))

  ;; The four bytes at $at, big-endian.
  (func $word (param $at i32) (result i64)
    (i64.or
      (i64.or (i64.shl (i64.load8_u (local.get $at)) (i64.const 24)) (i64.shl (i64.load8_u offset=1 (local.get $at)) (i64.const 16)))
      (i64.or (i64.shl (i64.load8_u offset=2 (local.get $at)) (i64.const 8)) (i64.load8_u offset=3 (local.get $at)))))

  ;; The n bytes at 0 (the first one not zero) as base-58 character codes at 16384: returns their
  ;; count, a multiple of five; up to four leading '1's (zero digits of the top limb) come first.
  (func (export "encode") (param $n i32) (result i32)
    (local $at i32) (local $take i32) (local $word i64) (local $out i32) (local $value i32) (local $digit i32)
    (global.set $end (i32.const 8192))
    ;; the first word takes the bytes above a multiple of four, so the others are whole
    (local.set $take (i32.and (local.get $n) (i32.const 3)))
    (if (local.get $take)
      (then
        (loop $bytes
          (local.set $word (i64.or (i64.shl (local.get $word) (i64.const 8)) (i64.load8_u (local.get $at))))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (br_if $bytes (i32.lt_u (local.get $at) (local.get $take))))
        (call $multiply (i32.const 8192) (local.get $word) (i64.extend_i32_u (i32.shl (local.get $take) (i32.const 3))))))
    ;; then four words at a time, and the up to three words left one at a time
    (block $quads
      (loop $quad
        (br_if $quads (i32.gt_u (i32.add (local.get $at) (i32.const 16)) (local.get $n)))
        (call $multiply4
          (call $word (local.get $at)) (call $word (i32.add (local.get $at) (i32.const 4)))
          (call $word (i32.add (local.get $at) (i32.const 8))) (call $word (i32.add (local.get $at) (i32.const 12))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $quad)))
    (block $words
      (loop $one
        (br_if $words (i32.ge_u (local.get $at) (local.get $n)))
        (call $multiply (i32.const 8192) (call $word (local.get $at)) (i64.const 32))
        (local.set $at (i32.add (local.get $at) (i32.const 4)))
        (br $one)))
    ;; five digits per limb, the most significant limb first
    (local.set $out (i32.const 16384))
    (block $written
      (loop $limbs
        (br_if $written (i32.le_u (global.get $end) (i32.const 8192)))
        (global.set $end (i32.sub (global.get $end) (i32.const 4)))
        (local.set $value (i32.load (global.get $end)))
        (local.set $digit (i32.const 4))
        (loop $digits
          (i32.store8
            (i32.add (local.get $out) (local.get $digit))
            (i32.load8_u (i32.add (i32.const 32768) (i32.rem_u (local.get $value) (i32.const 58)))))
          (local.set $value (i32.div_u (local.get $value) (i32.const 58)))
          (local.set $digit (i32.sub (local.get $digit) (i32.const 1)))
          (br_if $digits (i32.ge_s (local.get $digit) (i32.const 0))))
        (local.set $out (i32.add (local.get $out) (i32.const 5)))
        (br $limbs)))
    (i32.sub (local.get $out) (i32.const 16384)))

  ;; ---------------------------------------------------------------------------------------------
  ;; Decode: limbs of base 2^32, chunks of five digits (58^5 · 2^32 fits in 64 bits).

  ;; The limbs from $limb on, times $scale (≤ 58^5), plus $carry; a carry left over (below 2^32)
  ;; becomes a new top limb.
  (func $scale (param $limb i32) (param $carry i64) (param $scale i64)
    (local $t i64)
    (block $full
      (loop $step
        (br_if $full (i32.ge_u (local.get $limb) (global.get $end)))
        (local.set $t (i64.add (i64.mul (i64.load32_u (local.get $limb)) (local.get $scale)) (local.get $carry)))
        (i64.store32 (local.get $limb) (local.get $t))
        (local.set $carry (i64.shr_u (local.get $t) (i64.const 32)))
        (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
        (br $step)))
    (if (i64.ne (local.get $carry) (i64.const 0))
      (then
        (i64.store32 (global.get $end) (local.get $carry))
        (global.set $end (i32.add (global.get $end) (i32.const 4))))))

  ;; limbs = (((limbs · 58^5 + $c0) · 58^5 + $c1) · 58^5 + $c2) · 58^5 + $c3, as $multiply4 does it.
  (func $scale4 (param $c0 i64) (param $c1 i64) (param $c2 i64) (param $c3 i64)
    (local $limb i32) (local $t0 i64) (local $t1 i64) (local $t2 i64) (local $t3 i64)
    (local $a i64) (local $b i64) (local $c i64) (local $n i32)
    (if (i32.lt_u (global.get $end) (i32.const 8204))
      (then
        (call $scale (i32.const 8192) (local.get $c0) (i64.const 656356768))
        (call $scale (i32.const 8192) (local.get $c1) (i64.const 656356768))
        (call $scale (i32.const 8192) (local.get $c2) (i64.const 656356768))
        (call $scale (i32.const 8192) (local.get $c3) (i64.const 656356768))
        (return)))
    ;; pass 0 on limb 0
    (local.set $t0 (i64.add (i64.mul (i64.load32_u (i32.const 8192)) (i64.const 656356768)) (local.get $c0)))
    (local.set $c0 (i64.shr_u (local.get $t0) (i64.const 32)))
    (local.set $a (i64.and (local.get $t0) (i64.const 0xffffffff)))
    ;; pass 1 on limb 0, pass 0 on limb 1
    (local.set $t1 (i64.add (i64.mul (local.get $a) (i64.const 656356768)) (local.get $c1)))
    (local.set $c1 (i64.shr_u (local.get $t1) (i64.const 32)))
    (local.set $b (i64.and (local.get $t1) (i64.const 0xffffffff)))
    (local.set $t0 (i64.add (i64.mul (i64.load32_u (i32.const 8196)) (i64.const 656356768)) (local.get $c0)))
    (local.set $c0 (i64.shr_u (local.get $t0) (i64.const 32)))
    (local.set $a (i64.and (local.get $t0) (i64.const 0xffffffff)))
    ;; pass 2 on limb 0, pass 1 on limb 1, pass 0 on limb 2
    (local.set $t2 (i64.add (i64.mul (local.get $b) (i64.const 656356768)) (local.get $c2)))
    (local.set $c2 (i64.shr_u (local.get $t2) (i64.const 32)))
    (local.set $c (i64.and (local.get $t2) (i64.const 0xffffffff)))
    (local.set $t1 (i64.add (i64.mul (local.get $a) (i64.const 656356768)) (local.get $c1)))
    (local.set $c1 (i64.shr_u (local.get $t1) (i64.const 32)))
    (local.set $b (i64.and (local.get $t1) (i64.const 0xffffffff)))
    (local.set $t0 (i64.add (i64.mul (i64.load32_u (i32.const 8200)) (i64.const 656356768)) (local.get $c0)))
    (local.set $c0 (i64.shr_u (local.get $t0) (i64.const 32)))
    (local.set $a (i64.and (local.get $t0) (i64.const 0xffffffff)))
    ;; all four at once
    (local.set $limb (i32.const 8204))
    (block $full
      (loop $step
        (br_if $full (i32.ge_u (local.get $limb) (global.get $end)))
        (local.set $t3 (i64.add (i64.mul (local.get $c) (i64.const 656356768)) (local.get $c3)))
        (local.set $t2 (i64.add (i64.mul (local.get $b) (i64.const 656356768)) (local.get $c2)))
        (local.set $t1 (i64.add (i64.mul (local.get $a) (i64.const 656356768)) (local.get $c1)))
        (local.set $t0 (i64.add (i64.mul (i64.load32_u (local.get $limb)) (i64.const 656356768)) (local.get $c0)))
        (i64.store32 (i32.sub (local.get $limb) (i32.const 12)) (local.get $t3))
        (local.set $c3 (i64.shr_u (local.get $t3) (i64.const 32)))
        (local.set $c2 (i64.shr_u (local.get $t2) (i64.const 32)))
        (local.set $c1 (i64.shr_u (local.get $t1) (i64.const 32)))
        (local.set $c0 (i64.shr_u (local.get $t0) (i64.const 32)))
        (local.set $c (i64.and (local.get $t2) (i64.const 0xffffffff)))
        (local.set $b (i64.and (local.get $t1) (i64.const 0xffffffff)))
        (local.set $a (i64.and (local.get $t0) (i64.const 0xffffffff)))
        (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
        (br $step)))
    (local.set $n (global.get $end))
    (i64.store32 (i32.sub (local.get $n) (i32.const 4)) (local.get $a))
    (i64.store32 (i32.sub (local.get $n) (i32.const 8)) (local.get $b))
    (i64.store32 (i32.sub (local.get $n) (i32.const 12)) (local.get $c))
    (call $scale (local.get $n) (local.get $c0) (i64.const 656356768))
    (call $scale (i32.sub (local.get $n) (i32.const 4)) (local.get $c1) (i64.const 656356768))
    (call $scale (i32.sub (local.get $n) (i32.const 8)) (local.get $c2) (i64.const 656356768))
    (call $scale (i32.sub (local.get $n) (i32.const 12)) (local.get $c3) (i64.const 656356768)))

  ;; The five digit values at $at as one number.
  (func $chunk (param $at i32) (result i64)
    (i64.add
      (i64.mul
        (i64.add
          (i64.mul
            (i64.add
              (i64.mul
                (i64.add (i64.mul (i64.load8_u (local.get $at)) (i64.const 58)) (i64.load8_u offset=1 (local.get $at)))
                (i64.const 58))
              (i64.load8_u offset=2 (local.get $at)))
            (i64.const 58))
          (i64.load8_u offset=3 (local.get $at)))
        (i64.const 58))
      (i64.load8_u offset=4 (local.get $at))))

  ;; The m characters at 16384 (the first one not '1') as big-endian bytes at 0, without leading
  ;; zero bytes: returns their count, or -1 when a byte is not a character of the alphabet.
  (func (export "decode") (param $m i32) (result i32)
    (local $at i32) (local $end i32) (local $take i32) (local $chunk i64) (local $scale i64)
    (local $value i32) (local $shift i32) (local $byte i32) (local $out i32)
    (global.set $end (i32.const 8192))
    (local.set $at (i32.const 16384))
    (local.set $end (i32.add (i32.const 16384) (local.get $m)))
    ;; characters to digit values, in place
    (block $checked
      (loop $characters
        (br_if $checked (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $value (i32.load8_u (i32.add (i32.const 33024) (i32.load8_u (local.get $at)))))
        (if (i32.eq (local.get $value) (i32.const 255)) (then (return (i32.const -1))))
        (i32.store8 (local.get $at) (local.get $value))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $characters)))
    (local.set $at (i32.const 16384))
    ;; the first chunk takes the digits above a multiple of five, so the others are whole
    (local.set $take (i32.rem_u (local.get $m) (i32.const 5)))
    (if (local.get $take)
      (then
        (local.set $scale (i64.const 1))
        (loop $digits
          (local.set $chunk (i64.add (i64.mul (local.get $chunk) (i64.const 58)) (i64.load8_u (local.get $at))))
          (local.set $scale (i64.mul (local.get $scale) (i64.const 58)))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (local.set $take (i32.sub (local.get $take) (i32.const 1)))
          (br_if $digits (local.get $take)))
        (call $scale (i32.const 8192) (local.get $chunk) (local.get $scale))))
    ;; then four chunks at a time, and the up to three chunks left one at a time
    (block $quads
      (loop $quad
        (br_if $quads (i32.gt_u (i32.add (local.get $at) (i32.const 20)) (local.get $end)))
        (call $scale4
          (call $chunk (local.get $at)) (call $chunk (i32.add (local.get $at) (i32.const 5)))
          (call $chunk (i32.add (local.get $at) (i32.const 10))) (call $chunk (i32.add (local.get $at) (i32.const 15))))
        (local.set $at (i32.add (local.get $at) (i32.const 20)))
        (br $quad)))
    (block $chunks
      (loop $one
        (br_if $chunks (i32.ge_u (local.get $at) (local.get $end)))
        (call $scale (i32.const 8192) (call $chunk (local.get $at)) (i64.const 656356768))
        (local.set $at (i32.add (local.get $at) (i32.const 5)))
        (br $one)))
    ;; bytes of the most significant limb first, from its first one not zero
    (block $written
      (loop $limbs
        (br_if $written (i32.le_u (global.get $end) (i32.const 8192)))
        (global.set $end (i32.sub (global.get $end) (i32.const 4)))
        (local.set $value (i32.load (global.get $end)))
        (local.set $shift (i32.const 24))
        (loop $bytes
          (local.set $byte (i32.and (i32.shr_u (local.get $value) (local.get $shift)) (i32.const 255)))
          (if (i32.or (local.get $out) (local.get $byte))
            (then
              (i32.store8 (local.get $out) (local.get $byte))
              (local.set $out (i32.add (local.get $out) (i32.const 1)))))
          (local.set $shift (i32.sub (local.get $shift) (i32.const 8)))
          (br_if $bytes (i32.ge_s (local.get $shift) (i32.const 0))))
        (br $limbs)))
    (local.get $out))
)
