;; Base58 (the Bitcoin alphabet) in WebAssembly, for the `node` build (src/base58-node.ts).
;;
;; The same schoolbook conversion as base-x and @scure/base, but on 64-bit integers and wide limbs
;; instead of one byte and one digit at a time in JavaScript: 32 bits of input per step, five base-58
;; digits per limb. Both directions are quadratic, so base58-node.ts sends only values up to about
;; 1 kB here (the payload of every channel tx) and larger ones to the BigInt code of base58.ts,
;; which is faster from there on. scripts/build-wasm.mjs assembles this file at build time.
;;
;; One page of memory, laid out for the largest value the caller sends (IN_MAX bytes, DIGITS_MAX
;; digits; base58-node.ts holds the same constants):
;;   [0, 2048)        encode: input bytes, big-endian.   decode: output bytes, big-endian
;;   [8192, 12288)    limbs, little-endian i32 words (encode: base 58^5, decode: base 2^32)
;;   [16384, 20480)   encode: output character codes.    decode: input digit values 0..57
;;   [32768, 32826)   the alphabet
(module
  (memory (export "memory") 1)
  (data (i32.const 32768) "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


  ;; The n bytes at 0 (the first one not zero) as base-58 character codes at 16384: returns their
  ;; count, a multiple of five; up to four leading '1's (zero digits of the top limb) come first.
  ;; A limb is below 58^5 = 656356768, the largest power of 58 whose limb times 2^32 plus a carry
  ;; fits in 64 bits. The divisor is written as a constant everywhere: V8 turns a division by a
  ;; constant into a multiplication, not by a global (measured: 1.5x slower).
  (func (export "encode") (param $n i32) (result i32)
    (local $at i32) (local $take i32) (local $bits i64) (local $word i64) (local $carry i64)
    (local $t i64) (local $q i64) (local $limb i32) (local $limbsEnd i32) (local $out i32)
    (local $value i32) (local $digit i32)
    (local.set $limbsEnd (i32.const 8192))
    ;; the first word takes the bytes above a multiple of four, so the others are whole
    (local.set $take (i32.and (local.get $n) (i32.const 3)))
    (if (i32.eqz (local.get $take)) (then (local.set $take (i32.const 4))))
    (block $done
      (loop $words
        (br_if $done (i32.ge_u (local.get $at) (local.get $n)))
        ;; word = the next `take` bytes, big-endian; limbs = limbs · 2^(8·take) + word
        (local.set $word (i64.const 0))
        (local.set $bits (i64.extend_i32_u (i32.shl (local.get $take) (i32.const 3))))
        (loop $bytes
          (local.set $word (i64.or (i64.shl (local.get $word) (i64.const 8)) (i64.load8_u (local.get $at))))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (local.set $take (i32.sub (local.get $take) (i32.const 1)))
          (br_if $bytes (local.get $take)))
        (local.set $take (i32.const 4))
        (local.set $carry (local.get $word))
        (local.set $limb (i32.const 8192))
        (block $full
          (loop $multiply
            (br_if $full (i32.ge_u (local.get $limb) (local.get $limbsEnd)))
            (local.set $t (i64.add (i64.shl (i64.load32_u (local.get $limb)) (local.get $bits)) (local.get $carry)))
            (local.set $carry (i64.div_u (local.get $t) (i64.const 656356768)))
            (i64.store32 (local.get $limb) (i64.sub (local.get $t) (i64.mul (local.get $carry) (i64.const 656356768))))
            (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
            (br $multiply)))
        ;; what is left over becomes new top limbs
        (block $spent
          (loop $grow
            (br_if $spent (i64.eqz (local.get $carry)))
            (local.set $q (i64.div_u (local.get $carry) (i64.const 656356768)))
            (i64.store32 (local.get $limbsEnd) (i64.sub (local.get $carry) (i64.mul (local.get $q) (i64.const 656356768))))
            (local.set $carry (local.get $q))
            (local.set $limbsEnd (i32.add (local.get $limbsEnd) (i32.const 4)))
            (br $grow)))
        (br $words)))
    ;; five digits per limb, the most significant limb first
    (local.set $out (i32.const 16384))
    (block $written
      (loop $limbs
        (br_if $written (i32.le_u (local.get $limbsEnd) (i32.const 8192)))
        (local.set $limbsEnd (i32.sub (local.get $limbsEnd) (i32.const 4)))
        (local.set $value (i32.load (local.get $limbsEnd)))
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

  ;; The m digit values at 16384 (the first one not zero) as big-endian bytes at 0, without leading
  ;; zero bytes: returns their count.
  (func (export "decode") (param $m i32) (result i32)
    (local $at i32) (local $end i32) (local $take i32) (local $chunk i64) (local $scale i64)
    (local $carry i64) (local $t i64) (local $limb i32) (local $limbsEnd i32) (local $value i32)
    (local $shift i32) (local $byte i32) (local $out i32)
    (local.set $limbsEnd (i32.const 8192))
    (local.set $at (i32.const 16384))
    (local.set $end (i32.add (i32.const 16384) (local.get $m)))
    ;; the first chunk takes the digits above a multiple of five, so the others are whole
    (local.set $take (i32.rem_u (local.get $m) (i32.const 5)))
    (if (i32.eqz (local.get $take)) (then (local.set $take (i32.const 5))))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        ;; chunk = the next `take` digits; limbs = limbs · 58^take + chunk
        (local.set $chunk (i64.const 0))
        (local.set $scale (i64.const 1))
        (loop $digits
          (local.set $chunk (i64.add (i64.mul (local.get $chunk) (i64.const 58)) (i64.load8_u (local.get $at))))
          (local.set $scale (i64.mul (local.get $scale) (i64.const 58)))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (local.set $take (i32.sub (local.get $take) (i32.const 1)))
          (br_if $digits (local.get $take)))
        (local.set $take (i32.const 5))
        (local.set $carry (local.get $chunk))
        (local.set $limb (i32.const 8192))
        (block $full
          (loop $multiply
            (br_if $full (i32.ge_u (local.get $limb) (local.get $limbsEnd)))
            (local.set $t (i64.add (i64.mul (i64.load32_u (local.get $limb)) (local.get $scale)) (local.get $carry)))
            (i64.store32 (local.get $limb) (local.get $t))
            (local.set $carry (i64.shr_u (local.get $t) (i64.const 32)))
            (local.set $limb (i32.add (local.get $limb) (i32.const 4)))
            (br $multiply)))
        ;; the carry is below 2^32: at most one new top limb
        (if (i64.ne (local.get $carry) (i64.const 0))
          (then
            (i64.store32 (local.get $limbsEnd) (local.get $carry))
            (local.set $limbsEnd (i32.add (local.get $limbsEnd) (i32.const 4)))))
        (br $chunks)))
    ;; bytes of the most significant limb first, from its first one not zero
    (block $written
      (loop $limbs
        (br_if $written (i32.le_u (local.get $limbsEnd) (i32.const 8192)))
        (local.set $limbsEnd (i32.sub (local.get $limbsEnd) (i32.const 4)))
        (local.set $value (i32.load (local.get $limbsEnd)))
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
