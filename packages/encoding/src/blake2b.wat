;; BLAKE2b with a 32-byte digest and no key (RFC 7693), in WebAssembly, for the `node` build
;; (src/hashes-node.ts): native 64-bit words where src/hashes.ts works on pairs of 32-bit halves.
;; scripts/build-wasm.mjs assembles this file at build time.
;;
;; One page of memory:
;;   [0, 64)        h, the chaining state (the digest is its first 32 bytes)
;;   [64, 192)      v, the work vector of a compression
;;   [192, 200)     t, the count of bytes compressed so far (i64)
;;   [256, 448)     SIGMA of the twelve rounds, as byte offsets of message words (word · 8)
;;   [1024, 33792)  the input, up to 256 blocks at a time (BLOCKS_AT, CHUNK in hashes-node.ts)
(module
  (memory (export "memory") 1)
  (data (i32.const 256)
    "\00\08\10\18\20\28\30\38\40\48\50\58\60\68\70\78"  ;; round 0
    "\70\50\20\40\48\78\68\30\08\60\00\10\58\38\28\18"  ;; round 1
    "\58\40\60\00\28\10\78\68\50\70\18\30\38\08\48\20"  ;; round 2
    "\38\48\18\08\68\60\58\70\10\30\28\50\20\00\78\40"  ;; round 3
    "\48\00\28\38\10\20\50\78\70\08\58\60\30\40\18\68"  ;; round 4
    "\10\60\30\50\00\58\40\18\20\68\38\28\78\70\08\48"  ;; round 5
    "\60\28\08\78\70\68\20\50\00\38\30\18\48\10\40\58"  ;; round 6
    "\68\58\38\70\60\08\18\48\28\00\78\20\40\30\10\50"  ;; round 7
    "\30\78\70\48\58\18\00\40\60\10\68\38\08\20\50\28"  ;; round 8
    "\50\10\40\20\38\30\08\28\78\58\48\70\18\60\68\00"  ;; round 9
    "\00\08\10\18\20\28\30\38\40\48\50\58\60\68\70\78"  ;; round 10 (= round 0)
    "\70\50\20\40\48\78\68\30\08\60\00\10\58\38\28\18"  ;; round 11 (= round 1)
  )

  ;; G on v[a], v[b], v[c], v[d] (memory offsets) with message words x and y (RFC 7693 §3.1)
  (func $g (param $a i32) (param $b i32) (param $c i32) (param $d i32) (param $x i64) (param $y i64)
    (local $va i64) (local $vb i64) (local $vc i64) (local $vd i64)
    (local.set $va (i64.load (local.get $a)))
    (local.set $vb (i64.load (local.get $b)))
    (local.set $vc (i64.load (local.get $c)))
    (local.set $vd (i64.load (local.get $d)))
    (local.set $va (i64.add (i64.add (local.get $va) (local.get $vb)) (local.get $x)))
    (local.set $vd (i64.rotr (i64.xor (local.get $vd) (local.get $va)) (i64.const 32)))
    (local.set $vc (i64.add (local.get $vc) (local.get $vd)))
    (local.set $vb (i64.rotr (i64.xor (local.get $vb) (local.get $vc)) (i64.const 24)))
    (local.set $va (i64.add (i64.add (local.get $va) (local.get $vb)) (local.get $y)))
    (local.set $vd (i64.rotr (i64.xor (local.get $vd) (local.get $va)) (i64.const 16)))
    (local.set $vc (i64.add (local.get $vc) (local.get $vd)))
    (local.set $vb (i64.rotr (i64.xor (local.get $vb) (local.get $vc)) (i64.const 63)))
    (i64.store (local.get $a) (local.get $va))
    (i64.store (local.get $b) (local.get $vb))
    (i64.store (local.get $c) (local.get $vc))
    (i64.store (local.get $d) (local.get $vd)))

  ;; F: compresses the block at `block` into h, t already counting it; `last` marks the final block
  (func $compress (param $block i32) (param $last i32)
    (local $i i32) (local $sigma i32)
    ;; v = h ‖ IV, then v12 ^= t (its high 64 bits, v13, stay: t is below 2^64), v14 inverted if last
    (loop $copy
      (i64.store offset=64 (local.get $i) (i64.load (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $copy (i32.lt_u (local.get $i) (i32.const 64))))
    (i64.store (i32.const 128) (i64.const 0x6a09e667f3bcc908))
    (i64.store (i32.const 136) (i64.const 0xbb67ae8584caa73b))
    (i64.store (i32.const 144) (i64.const 0x3c6ef372fe94f82b))
    (i64.store (i32.const 152) (i64.const 0xa54ff53a5f1d36f1))
    (i64.store (i32.const 160) (i64.xor (i64.const 0x510e527fade682d1) (i64.load (i32.const 192))))
    (i64.store (i32.const 168) (i64.const 0x9b05688c2b3e6c1f))
    ;; IV6 xor (all ones if last, else zero)
    (i64.store (i32.const 176) (i64.xor (i64.const 0x1f83d9abfb41bd6b) (i64.extend_i32_s (i32.sub (i32.const 0) (local.get $last)))))
    (i64.store (i32.const 184) (i64.const 0x5be0cd19137e2179))
    ;; twelve rounds: G on the four columns, then on the four diagonals
    (local.set $sigma (i32.const 256))
    (loop $round
      (call $g (i32.const 64) (i32.const 96) (i32.const 128) (i32.const 160)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=0 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=1 (local.get $sigma)))))
      (call $g (i32.const 72) (i32.const 104) (i32.const 136) (i32.const 168)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=2 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=3 (local.get $sigma)))))
      (call $g (i32.const 80) (i32.const 112) (i32.const 144) (i32.const 176)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=4 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=5 (local.get $sigma)))))
      (call $g (i32.const 88) (i32.const 120) (i32.const 152) (i32.const 184)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=6 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=7 (local.get $sigma)))))
      (call $g (i32.const 64) (i32.const 104) (i32.const 144) (i32.const 184)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=8 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=9 (local.get $sigma)))))
      (call $g (i32.const 72) (i32.const 112) (i32.const 152) (i32.const 160)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=10 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=11 (local.get $sigma)))))
      (call $g (i32.const 80) (i32.const 120) (i32.const 128) (i32.const 168)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=12 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=13 (local.get $sigma)))))
      (call $g (i32.const 88) (i32.const 96) (i32.const 136) (i32.const 176)
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=14 (local.get $sigma))))
        (i64.load (i32.add (local.get $block) (i32.load8_u offset=15 (local.get $sigma)))))
      (local.set $sigma (i32.add (local.get $sigma) (i32.const 16)))
      (br_if $round (i32.lt_u (local.get $sigma) (i32.const 448))))
    ;; h ^= v[0..8) ^ v[8..16)
    (local.set $i (i32.const 0))
    (loop $fold
      (i64.store (local.get $i)
        (i64.xor (i64.load (local.get $i)) (i64.xor (i64.load offset=64 (local.get $i)) (i64.load offset=128 (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $fold (i32.lt_u (local.get $i) (i32.const 64)))))

  ;; Starts a hash: h = IV with the parameter block (digest length 32, no key, fanout 1, depth 1), t = 0.
  (func (export "init")
    (i64.store (i32.const 0) (i64.const 0x6a09e667f2bdc928)) ;; IV0 ^ 0x01010020
    (i64.store (i32.const 8) (i64.const 0xbb67ae8584caa73b))
    (i64.store (i32.const 16) (i64.const 0x3c6ef372fe94f82b))
    (i64.store (i32.const 24) (i64.const 0xa54ff53a5f1d36f1))
    (i64.store (i32.const 32) (i64.const 0x510e527fade682d1))
    (i64.store (i32.const 40) (i64.const 0x9b05688c2b3e6c1f))
    (i64.store (i32.const 48) (i64.const 0x1f83d9abfb41bd6b))
    (i64.store (i32.const 56) (i64.const 0x5be0cd19137e2179))
    (i64.store (i32.const 192) (i64.const 0)))

  ;; Compresses the n bytes at 1024. Not `last`: n is a multiple of 128 and more input follows.
  ;; `last`: these are the final bytes (n may be 0); the final block, full or not, is padded with
  ;; zeros and marked final. The digest is then at [0, 32).
  (func (export "update") (param $n i32) (param $last i32)
    (local $at i32) (local $end i32)
    (local.set $at (i32.const 1024))
    (local.set $end (i32.add (i32.const 1024) (local.get $n)))
    ;; every full block, but the final one when `last`
    (block $done
      (loop $blocks
        (br_if $done (i32.lt_u (local.get $end) (i32.add (local.get $at) (i32.const 128))))
        (br_if $done (i32.and (local.get $last) (i32.eq (local.get $end) (i32.add (local.get $at) (i32.const 128)))))
        (i64.store (i32.const 192) (i64.add (i64.load (i32.const 192)) (i64.const 128)))
        (call $compress (local.get $at) (i32.const 0))
        (local.set $at (i32.add (local.get $at) (i32.const 128)))
        (br $blocks)))
    (if (local.get $last)
      (then
        (memory.fill (local.get $end) (i32.const 0) (i32.sub (i32.add (local.get $at) (i32.const 128)) (local.get $end)))
        (i64.store (i32.const 192) (i64.add (i64.load (i32.const 192)) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $at)))))
        (call $compress (local.get $at) (i32.const 1)))))
)
