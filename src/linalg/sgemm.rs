//! Our own packed single-precision GEMM, `c ← alpha·a·b + beta·c` for operands with arbitrary
//! element strides, that allocates nothing once warm (the `native` backend of `gemm.rs`).
//!
//! # Design
//!
//! BLIS-style loops around one register-tile micro-kernel. The kernel keeps an `MR × NR` tile of
//! `c` in registers and, for each `p` of a k-block, loads `NR` values of row `p` of the *vector
//! operand* (`b`) as whole vectors and broadcasts `MR` values of column `p` of the *broadcast
//! operand* (`a`), one fused multiply-add per (row, vector).
//!
//! * Vector operand: read in place when its elements along `n` are adjacent (`b_cs == 1`; edge
//!   panels with masked loads), otherwise — or when a k-block is long (`PACK_KC`) and many row
//!   tiles reuse it (`PACK_M`), so that a panel read in place would not stay in L1 — packed
//!   per k-block into `NR`-wide, k-major, zero-padded panels in a thread-local buffer (a
//!   16 × 16 register transpose with AVX-512 when the operand is a transposed view).
//! * Broadcast operand: read in place when adjacent along `m` (`a_rs == 1`) or along `k`
//!   (`a_cs == 1`, one pointer per row); otherwise packed into `MR`-tall, k-major panels.
//!   A kernel reads only the rows of its tile, so edge tiles need no copy.
//! * Orientation: the product may be computed as `cᵀ = bᵀ·aᵀ` instead (the kernel's vectors then
//!   run along `m`), chosen by a small cost model (padding lanes, packing, a strided `c`). For
//!   `x·Wᵀ` at a small batch this packs the few rows of `x` instead of the whole weight matrix.
//! * Blocking: `k` is cut into [`kc_for`]`(k)` blocks (at most [`KC_MAX`], balanced, fixed by `k`
//!   alone), `m` into blocks of `MC` rows, `n` into blocks of `NC` columns (one packed panel
//!   block of the vector operand). Within a row block the tiles have balanced heights (10 rows
//!   are 5 + 5, not 8 + 2: a short tile leaves the FMA pipes idle). The products of the
//!   benchmark workloads have `k ≤ 784`, so they are one or two k-blocks. The sizes were
//!   measured on those layer shapes (`cargo bench --bench gemm_shapes`); `MC` between 96 and
//!   512 made no difference above the noise.
//!
//! # Kernels
//!
//! Chosen once per process ([`isa`]): AVX-512F (`8 × 32`: two zmm per row, 16 accumulators —
//! enough to keep Zen 5's two 512-bit FMA pipes busy — and 10 loads per 16 FMAs; `8 × 16` when
//! `n ≤ 16` or for a last panel of at most 16 columns), AVX2 with FMA (`6 × 16`), or portable Rust
//! (`4 × 8`, `f32::mul_add`). Each kernel is compiled for every tile height up to `MR`, for
//! row-adjacent or column-adjacent broadcast operands, and with or without masked columns.
//!
//! # Determinism
//!
//! Every element of `c` gets the same arithmetic whatever the shape of the call around it: an
//! accumulator starting at zero, one fused multiply-add per `p` in increasing order within a
//! k-block, then `c ← alpha·acc` (first block, `beta = 0`), `c ← fma(alpha, acc, beta·c)` (first
//! block) or `c ← fma(alpha, acc, c)` (later blocks), the same in the vector and the scalar
//! write-back. Padding only adds lanes and rows that are never stored, and `fma(x, y, z)` does not
//! depend on the order of `x` and `y`, so neither the orientation, the packing, the tile position
//! nor `m` and `n` change a bit: a row of a batch comes out the same whatever the other rows
//! (inference can use this kernel), and a product split into blocks over threads gives the bits of
//! the whole. Only the kernel family (AVX-512, AVX2 or portable) matters, and that is fixed per
//! machine.
//!
//! # No allocation
//!
//! The packing buffers live in one thread-local buffer that grows only when a larger size is
//! first needed; [`reserve`] sizes it up front (for the calling thread).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

/// Largest k-block. A `k` up to this is one block; a larger one is cut into equal blocks.
pub const KC_MAX: usize = 512;
/// Rows of `c` per block (a multiple of every kernel's `MR`): the broadcast operand's block.
const MC: usize = 192;
/// A vector operand that could be read in place is packed anyway when its k-blocks are longer
/// than this and `m` is at least `PACK_M` (measured: `dYᵀ·X` at batch 512 gains 5–15 %, at
/// batch 32 packing loses).
const PACK_KC: usize = 192;
const PACK_M: usize = 64;
/// Columns of `c` per block (a multiple of every kernel's `NR`): the packed vector-operand block.
const NC: usize = 1024;

/// The k-block length for a product of depth `k`: `k` cut into `⌈k / KC_MAX⌉` equal blocks
/// (the last one shorter by at most the rounding). Depends on `k` only, never on `m` or `n`.
pub fn kc_for(k: usize) -> usize {
    let blocks = k.div_ceil(KC_MAX).max(1);
    k.div_ceil(blocks)
}

/// The instruction set of the micro-kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    Portable,
}

/// The kernel family this process uses (detected once).
pub fn isa() -> Isa {
    static ISA: AtomicU8 = AtomicU8::new(0);
    match ISA.load(Ordering::Relaxed) {
        1 => Isa::Avx512,
        2 => Isa::Avx2,
        3 => Isa::Portable,
        _ => {
            let isa = detect();
            let code = match isa {
                Isa::Avx512 => 1,
                Isa::Avx2 => 2,
                Isa::Portable => 3,
            };
            ISA.store(code, Ordering::Relaxed);
            isa
        }
    }
}

fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
            return Isa::Avx512;
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            return Isa::Avx2;
        }
    }
    Isa::Portable
}

/// `(MR, NR)` of the kernel family.
fn tile_shape(isa: Isa) -> (usize, usize) {
    match isa {
        Isa::Avx512 => (Avx512::MR, Avx512::NR),
        Isa::Avx2 => (Avx2::MR, Avx2::NR),
        Isa::Portable => (Portable::MR, Portable::NR),
    }
}

// ---------------------------------------------------------------------------------------------
// The thread-local packing buffer

/// A growable `f32` buffer whose usable part starts on a 64-byte boundary.
struct Buffer {
    data: Vec<f32>,
}

impl Buffer {
    const ALIGN: usize = 16; // f32s per 64 bytes

    /// At least `len` usable floats from a 64-byte boundary; grows (reallocates) only when
    /// `len` is more than ever asked for on this thread.
    fn get(&mut self, len: usize) -> *mut f32 {
        if self.data.len() < len + Self::ALIGN {
            self.data = vec![0.0; len + Self::ALIGN];
        }
        let p = self.data.as_mut_ptr();
        let off = p.align_offset(64).min(Self::ALIGN - 1);
        // SAFETY: off < ALIGN, so off + len ≤ data.len()
        unsafe { p.add(off) }
    }
}

thread_local! {
    static BUFFER: RefCell<Buffer> = const { RefCell::new(Buffer { data: Vec::new() }) };
}

/// Floats of packing buffer a product of these sizes may need (either orientation).
fn buffer_len(m: usize, n: usize, k: usize, isa: Isa) -> usize {
    let (mr, nr) = tile_shape(isa);
    // the longest k-block of any depth up to k (kc_for is not monotonic)
    let kc = k.min(KC_MAX);
    let vec_side = |len: usize| len.min(NC).next_multiple_of(nr);
    let bcast_side = |len: usize| len.min(MC).next_multiple_of(mr);
    kc * (vec_side(m).max(vec_side(n)) + bcast_side(m).max(bcast_side(n)))
}

/// Size the calling thread's packing buffer for products up to `m × k` times `k × n` (any
/// strides), so that such products allocate nothing.
pub fn reserve(m: usize, n: usize, k: usize) {
    let len = buffer_len(m, n, k, isa());
    BUFFER.with(|b| {
        b.borrow_mut().get(len);
    });
}

/// The calling thread's packing buffer: (address, length in floats). For tests that check that
/// nothing is reallocated in steady state.
pub fn buffer_state() -> (usize, usize) {
    BUFFER.with(|b| {
        let b = b.borrow();
        (b.data.as_ptr() as usize, b.data.len())
    })
}

// ---------------------------------------------------------------------------------------------
// The product

/// `c ← alpha·a·b + beta·c` for `a: m × k`, `b: k × n`, `c: m × n`, each given by a pointer to
/// its element (0, 0) and element strides (row stride `_rs`, column stride `_cs`). With
/// `beta = 0`, `c` is overwritten (NaN in it does not leak); with `k = 0`, `c ← beta·c`.
///
/// # Safety
/// Every element `a[i·a_rs + p·a_cs]`, `b[p·b_rs + j·b_cs]` and `c[i·c_rs + j·c_cs]` in range
/// must be valid (readable, and writable for `c`), the elements of `c` distinct, and `c` must not
/// overlap `a` or `b`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: *const f32,
    a_rs: isize,
    a_cs: isize,
    b: *const f32,
    b_rs: isize,
    b_cs: isize,
    beta: f32,
    c: *mut f32,
    c_rs: isize,
    c_cs: isize,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        for i in 0..m as isize {
            for j in 0..n as isize {
                // SAFETY: in range by the caller's contract
                unsafe {
                    let e = c.offset(i * c_rs + j * c_cs);
                    *e = if beta == 0.0 { 0.0 } else { beta * *e };
                }
            }
        }
        return;
    }
    #[cfg(test)]
    let isa = tests::FORCED.with(std::cell::Cell::get).unwrap_or_else(isa);
    #[cfg(not(test))]
    let isa = isa();
    let p = Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a,
        a_rs,
        a_cs,
        b,
        b_rs,
        b_cs,
        c,
        c_rs,
        c_cs,
    };
    let p = if transpose_is_cheaper(&p, isa) {
        p.transposed()
    } else {
        p
    };
    // SAFETY: the caller's contract, unchanged by the transposition
    unsafe {
        match isa {
            Isa::Avx512 => drive::<Avx512>(&p),
            Isa::Avx2 => drive::<Avx2>(&p),
            Isa::Portable => drive::<Portable>(&p),
        }
    }
}

/// One product, as the driver sees it (possibly the transpose of the caller's).
#[derive(Clone, Copy)]
struct Problem {
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    beta: f32,
    a: *const f32,
    a_rs: isize,
    a_cs: isize,
    b: *const f32,
    b_rs: isize,
    b_cs: isize,
    c: *mut f32,
    c_rs: isize,
    c_cs: isize,
}

impl Problem {
    /// `cᵀ = bᵀ·aᵀ`: the same elements, the roles of `a` and `b` swapped.
    fn transposed(&self) -> Problem {
        Problem {
            m: self.n,
            n: self.m,
            a: self.b,
            a_rs: self.b_cs,
            a_cs: self.b_rs,
            b: self.a,
            b_rs: self.a_cs,
            b_cs: self.a_rs,
            c_rs: self.c_cs,
            c_cs: self.c_rs,
            ..*self
        }
    }

    /// Estimated cycles of this orientation: padded arithmetic, packing, scalar write-back.
    fn cost(&self, isa: Isa) -> f64 {
        // the last row tile has a kernel of its own height; columns are padded to whole vectors
        let lanes = (tile_shape(isa).1 / 2).max(1);
        let (m, n, k) = (self.m as f64, self.n as f64, self.k as f64);
        let padded = m * self.n.next_multiple_of(lanes) as f64;
        let blocks = self.k.div_ceil(kc_for(self.k)) as f64;
        let mut cycles = padded * k / 32.0;
        if self.b_cs != 1 {
            cycles += k * n * 0.5;
        }
        if self.a_rs != 1 && self.a_cs != 1 {
            cycles += k * m * 0.5;
        }
        if self.c_cs != 1 {
            cycles += m * n * blocks * 1.0;
        }
        cycles
    }
}

fn transpose_is_cheaper(p: &Problem, isa: Isa) -> bool {
    p.transposed().cost(isa) < p.cost(isa)
}

/// The arguments of one micro-kernel call: `c[0..mr, 0..nr]` of the tile at `c`.
struct Tile {
    kc: usize,
    /// Broadcast operand: element (r, p) at `a[r·a_rs + p·a_cs]`; only rows `0..mr` are read.
    a: *const f32,
    a_rs: isize,
    a_cs: isize,
    /// Vector operand: element (p, j) at `b[p·b_rs + j]`; only columns `0..nr` are read.
    b: *const f32,
    b_rs: isize,
    mr: usize,
    nr: usize,
    c: *mut f32,
    c_rs: isize,
    c_cs: isize,
    alpha: f32,
    beta: f32,
    /// The first k-block (`beta` applies) or a later one (accumulate into `c`).
    first: bool,
}

/// A micro-kernel family.
trait Kernel {
    /// Rows of the register tile (the broadcast operand's panel height).
    const MR: usize;
    /// Columns of the register tile (the vector operand's panel width); products with
    /// `n ≤ NR / 2` use panels of `NR / 2`.
    const NR: usize;
    /// Compute one tile (`mr ≤ MR`, `nr ≤ NR`).
    ///
    /// # Safety
    /// The pointers of `t` must be valid as documented on [`Tile`], and the CPU must support
    /// the kernel's instructions.
    unsafe fn tile(t: &Tile);

    /// Pack `b[0..kc, 0..nc]` (strides `rs`, `cs`) into `nr`-wide panels ([`pack_panels`]).
    ///
    /// # Safety
    /// As [`pack_panels`]; the CPU supports the kernel's instructions.
    unsafe fn pack(
        nr: usize,
        kc: usize,
        nc: usize,
        b: *const f32,
        rs: isize,
        cs: isize,
        dst: *mut f32,
    ) {
        // SAFETY: forwarded contract
        unsafe { pack_panels(nr, kc, nc, b, rs, cs, dst) }
    }
}

/// The scalar write-back of one element (the vector kernels do the same operations).
#[inline(always)]
fn update(c: &mut f32, acc: f32, alpha: f32, beta: f32, first: bool) {
    *c = if !first {
        alpha.mul_add(acc, *c)
    } else if beta == 0.0 {
        alpha * acc
    } else {
        alpha.mul_add(acc, beta * *c)
    };
}

/// Write a tile of accumulators (row `r` at `acc[r·NR..]`) into `c[0..mr, 0..nr]` with
/// [`update`].
///
/// # Safety
/// `t.c` must be valid for the `mr × nr` elements at strides `c_rs`, `c_cs`.
#[inline(always)]
unsafe fn write_scalar<const NR: usize>(t: &Tile, acc: &[f32]) {
    for r in 0..t.mr {
        for j in 0..t.nr {
            // SAFETY: inside the tile by the caller's contract
            let e = unsafe { &mut *t.c.offset(r as isize * t.c_rs + j as isize * t.c_cs) };
            update(e, acc[r * NR + j], t.alpha, t.beta, t.first);
        }
    }
}

/// Pack `b[0..kc, 0..nc]` (strides `rs`, `cs`) into `nr`-wide k-major panels at `dst`
/// (panel `q` at `dst + q·kc·nr`, element (p, j) at `p·nr + j`), zero-padding the last panel.
///
/// # Safety
/// `b` valid for the block, `dst` for `kc · ⌈nc/nr⌉ · nr` floats.
unsafe fn pack_panels(
    nr: usize,
    kc: usize,
    nc: usize,
    b: *const f32,
    rs: isize,
    cs: isize,
    dst: *mut f32,
) {
    for q in 0..nc.div_ceil(nr) {
        let j0 = q * nr;
        let w = nr.min(nc - j0);
        // SAFETY: inside the block and the buffer by the caller's contract
        unsafe {
            let panel = dst.add(q * kc * nr);
            if rs == 1 {
                // columns adjacent along k: read each column in order
                for jj in 0..w {
                    let src = b.offset((j0 + jj) as isize * cs);
                    for p in 0..kc {
                        *panel.add(p * nr + jj) = *src.add(p);
                    }
                }
                for jj in w..nr {
                    for p in 0..kc {
                        *panel.add(p * nr + jj) = 0.0;
                    }
                }
            } else {
                for p in 0..kc {
                    let src = b.offset(p as isize * rs + j0 as isize * cs);
                    let row = panel.add(p * nr);
                    for jj in 0..w {
                        *row.add(jj) = *src.offset(jj as isize * cs);
                    }
                    for jj in w..nr {
                        *row.add(jj) = 0.0;
                    }
                }
            }
        }
    }
}

/// The loops around the micro-kernel for one orientation.
///
/// # Safety
/// As [`sgemm`], with `k > 0`, `m > 0`, `n > 0`; the CPU supports `K`.
unsafe fn drive<K: Kernel>(p: &Problem) {
    let mr = K::MR;
    let nr = if p.n <= K::NR / 2 { K::NR / 2 } else { K::NR };
    let kc_max = kc_for(p.k);
    // the vector operand is packed when it must be (columns not adjacent), and when a k-block
    // of a panel read in place (two cache lines per k, rows far apart) would not stay in L1
    // while many row tiles reuse it
    let pack_b = p.b_cs != 1 || (kc_max > PACK_KC && p.m >= PACK_M);
    // the broadcast operand in place: adjacent along m, or one pointer per row adjacent along k
    let pack_a = p.a_rs != 1 && p.a_cs != 1;
    let b_len = if pack_b {
        kc_max * p.n.min(NC).next_multiple_of(nr)
    } else {
        0
    };
    let a_len = if pack_a {
        kc_max * p.m.min(MC).next_multiple_of(mr)
    } else {
        0
    };
    BUFFER.with(|buf| {
        let mut buf = buf.borrow_mut();
        let bbuf = buf.get(b_len + a_len);
        // SAFETY: b_len + a_len floats from bbuf are ours
        let abuf = unsafe { bbuf.add(b_len) };
        let mut pc = 0;
        while pc < p.k {
            let kc = kc_max.min(p.k - pc);
            let first = pc == 0;
            for jc in (0..p.n).step_by(NC) {
                let nc = NC.min(p.n - jc);
                // SAFETY (all pointer arithmetic below): offsets inside the operands by the
                // caller's contract, inside the buffer by its size
                unsafe {
                    let b_blk = p.b.offset(pc as isize * p.b_rs + jc as isize * p.b_cs);
                    if pack_b {
                        K::pack(nr, kc, nc, b_blk, p.b_rs, p.b_cs, bbuf);
                    }
                    for ic in (0..p.m).step_by(MC) {
                        let mc = MC.min(p.m - ic);
                        let a_blk = p.a.offset(ic as isize * p.a_rs + pc as isize * p.a_cs);
                        // row tiles of balanced heights (at most mr): 10 rows are 5 + 5, not
                        // 8 + 2, as a short tile runs at a fraction of the speed
                        let tiles = mc.div_ceil(mr);
                        let (base, extra) = (mc / tiles, mc % tiles);
                        let tile_rows =
                            |t: usize| (t * base + t.min(extra), base + usize::from(t < extra));
                        if pack_a {
                            // one mr-tall panel per tile: the transpose of the vector operand's layout
                            for t in 0..tiles {
                                let (i0, h) = tile_rows(t);
                                let src = a_blk.offset(i0 as isize * p.a_rs);
                                pack_panels(mr, kc, h, src, p.a_cs, p.a_rs, abuf.add(t * mr * kc));
                            }
                        }
                        for jr in (0..nc).step_by(nr) {
                            let (b_tile, b_rs) = if pack_b {
                                (bbuf.add(jr * kc) as *const f32, nr as isize)
                            } else {
                                (b_blk.add(jr), p.b_rs)
                            };
                            for t in 0..tiles {
                                let (ir, h) = tile_rows(t);
                                let (a_tile, a_rs, a_cs) = if pack_a {
                                    (abuf.add(t * mr * kc) as *const f32, 1, mr as isize)
                                } else {
                                    (a_blk.offset(ir as isize * p.a_rs), p.a_rs, p.a_cs)
                                };
                                let t = Tile {
                                    kc,
                                    a: a_tile,
                                    a_rs,
                                    a_cs,
                                    b: b_tile,
                                    b_rs,
                                    mr: h,
                                    nr: nr.min(nc - jr),
                                    c: p.c.offset(
                                        (ic + ir) as isize * p.c_rs + (jc + jr) as isize * p.c_cs,
                                    ),
                                    c_rs: p.c_rs,
                                    c_cs: p.c_cs,
                                    alpha: p.alpha,
                                    beta: p.beta,
                                    first,
                                };
                                K::tile(&t);
                            }
                        }
                    }
                }
            }
            pc += kc;
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Kernels

/// Portable Rust: `4 × 8`, one `mul_add` per element and `p`.
struct Portable;

impl Kernel for Portable {
    const MR: usize = 4;
    const NR: usize = 8;
    unsafe fn tile(t: &Tile) {
        const MR: usize = Portable::MR;
        const NR: usize = Portable::NR;
        let mut acc = [0.0f32; MR * NR];
        let mut bv = [0.0f32; NR];
        for p in 0..t.kc as isize {
            // SAFETY: inside the operands by the caller's contract (rows 0..mr of a, columns
            // 0..nr of b)
            unsafe {
                let brow = t.b.offset(p * t.b_rs);
                for (j, v) in bv.iter_mut().enumerate().take(t.nr) {
                    *v = *brow.add(j);
                }
                for r in 0..t.mr {
                    let av = *t.a.offset(r as isize * t.a_rs + p * t.a_cs);
                    for j in 0..NR {
                        acc[r * NR + j] = av.mul_add(bv[j], acc[r * NR + j]);
                    }
                }
            }
        }
        // SAFETY: the tile of c by the caller's contract
        unsafe { write_scalar::<NR>(t, &acc) }
    }
}

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Call `$f::<MR, $($rest)*>($t)` with the const `MR` equal to the runtime `$mr` (1 ..= 8).
#[cfg(target_arch = "x86_64")]
macro_rules! with_mr {
    ($mr:expr, $f:ident, [$($rest:tt)*], $t:expr) => {
        match $mr {
            8 => $f::<8, $($rest)*>($t),
            7 => $f::<7, $($rest)*>($t),
            6 => $f::<6, $($rest)*>($t),
            5 => $f::<5, $($rest)*>($t),
            4 => $f::<4, $($rest)*>($t),
            3 => $f::<3, $($rest)*>($t),
            2 => $f::<2, $($rest)*>($t),
            _ => $f::<1, $($rest)*>($t),
        }
    };
}

/// AVX-512F: `8 × 32` (two zmm per row, 16 accumulators); `8 × 16` for narrow panels, and
/// kernels of fewer rows for the last row tile.
struct Avx512;

impl Kernel for Avx512 {
    const MR: usize = 8;
    const NR: usize = 32;
    unsafe fn tile(t: &Tile) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller checked the CPU (isa()) and the pointers
        unsafe {
            let contig = t.a_rs == 1;
            match (t.nr, contig) {
                (32, true) => with_mr!(t.mr, avx512_tile, [2, true, false], t),
                (32, false) => with_mr!(t.mr, avx512_tile, [2, false, false], t),
                (17..=31, true) => with_mr!(t.mr, avx512_tile, [2, true, true], t),
                (17..=31, false) => with_mr!(t.mr, avx512_tile, [2, false, true], t),
                (16, true) => with_mr!(t.mr, avx512_tile, [1, true, false], t),
                (16, false) => with_mr!(t.mr, avx512_tile, [1, false, false], t),
                (_, true) => with_mr!(t.mr, avx512_tile, [1, true, true], t),
                (_, false) => with_mr!(t.mr, avx512_tile, [1, false, true], t),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("AVX-512 on another architecture: {}", t.kc)
    }

    unsafe fn pack(
        nr: usize,
        kc: usize,
        nc: usize,
        b: *const f32,
        rs: isize,
        cs: isize,
        dst: *mut f32,
    ) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: forwarded contract; the caller checked the CPU
        unsafe {
            if rs == 1 && nr.is_multiple_of(16) {
                return avx512_pack_transposed(nr, kc, nc, b, cs, dst);
            }
        }
        // SAFETY: forwarded contract
        unsafe { pack_panels(nr, kc, nc, b, rs, cs, dst) }
    }
}

/// The AVX-512 micro-kernel: `MR` rows of `NV` zmm each. `A_CONTIG`: the broadcast operand's
/// rows are adjacent (`a_rs == 1`); `MASKED`: only `nr < 16·NV` columns of `b` and `c`.
///
/// # Safety
/// AVX-512F and FMA available; pointers as documented on [`Tile`], `t.mr == MR`.
#[cfg(target_arch = "x86_64")]
// the register tile is indexed by row and vector in step with the masks and b vectors
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx512f,fma")]
unsafe fn avx512_tile<
    const MR: usize,
    const NV: usize,
    const A_CONTIG: bool,
    const MASKED: bool,
>(
    t: &Tile,
) {
    let mut acc = [[_mm512_setzero_ps(); NV]; MR];
    let mut masks = [0xffffu16; NV];
    for (v, mask) in masks.iter_mut().enumerate() {
        let left = t.nr.saturating_sub(v * 16).min(16);
        *mask = ((1u32 << left) - 1) as u16;
    }
    let mut ap = t.a;
    let mut bp = t.b;
    let a_rs = if A_CONTIG { 1 } else { t.a_rs };
    // SAFETY: inside the operands by the caller's contract; masked loads touch only the `nr`
    // valid columns
    unsafe {
        for _ in 0..t.kc {
            let mut bv = [_mm512_setzero_ps(); NV];
            for v in 0..NV {
                bv[v] = if MASKED {
                    _mm512_maskz_loadu_ps(masks[v], bp.add(16 * v))
                } else {
                    _mm512_loadu_ps(bp.add(16 * v))
                };
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm512_set1_ps(*ap.offset(r as isize * a_rs));
                for v in 0..NV {
                    row[v] = _mm512_fmadd_ps(av, bv[v], row[v]);
                }
            }
            ap = ap.offset(t.a_cs);
            bp = bp.offset(t.b_rs);
        }
        if t.c_cs == 1 {
            let alpha = _mm512_set1_ps(t.alpha);
            let beta = _mm512_set1_ps(t.beta);
            for (r, row) in acc.iter().enumerate() {
                let crow = t.c.offset(r as isize * t.c_rs);
                for v in 0..NV {
                    let dst = crow.add(16 * v);
                    let new = if !t.first {
                        _mm512_fmadd_ps(alpha, row[v], _mm512_maskz_loadu_ps(masks[v], dst))
                    } else if t.beta == 0.0 {
                        _mm512_mul_ps(alpha, row[v])
                    } else {
                        let old = _mm512_maskz_loadu_ps(masks[v], dst);
                        _mm512_fmadd_ps(alpha, row[v], _mm512_mul_ps(beta, old))
                    };
                    _mm512_mask_storeu_ps(dst, masks[v], new);
                }
            }
        } else {
            let mut tile = [[[0.0f32; 16]; NV]; MR];
            for r in 0..MR {
                for v in 0..NV {
                    _mm512_storeu_ps(tile[r][v].as_mut_ptr(), acc[r][v]);
                }
            }
            let flat = std::slice::from_raw_parts(tile.as_ptr() as *const f32, MR * NV * 16);
            if NV == 1 {
                write_scalar::<16>(t, flat)
            } else {
                write_scalar::<32>(t, flat)
            }
        }
    }
}

/// [`pack_panels`] for a block whose columns are adjacent along k (`rs == 1`): 16 × 16 blocks
/// transposed in registers (masked loads for the last columns and the last k).
///
/// # Safety
/// As [`pack_panels`] with `rs == 1`, `nr` a multiple of 16; AVX-512F available.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512_pack_transposed(
    nr: usize,
    kc: usize,
    nc: usize,
    b: *const f32,
    cs: isize,
    dst: *mut f32,
) {
    // SAFETY: masked reads inside the block (`cols` columns × `pk` k), writes inside the panels
    unsafe {
        for j0 in (0..nc.next_multiple_of(nr)).step_by(16) {
            let cols = nc.saturating_sub(j0).min(16);
            let out = dst.add(j0 / nr * kc * nr + j0 % nr);
            for p0 in (0..kc).step_by(16) {
                let pk = (kc - p0).min(16);
                let mut r = [_mm512_setzero_ps(); 16];
                if cols > 0 {
                    let mask = ((1u32 << pk) - 1) as u16;
                    for (i, v) in r.iter_mut().enumerate().take(cols) {
                        *v = _mm512_maskz_loadu_ps(mask, b.offset((j0 + i) as isize * cs).add(p0));
                    }
                    transpose16(&mut r);
                }
                for (i, v) in r.iter().enumerate().take(pk) {
                    _mm512_storeu_ps(out.add((p0 + i) * nr), *v);
                }
            }
        }
    }
}

/// Transpose 16 rows of 16 floats in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn transpose16(r: &mut [__m512; 16]) {
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for i in 0..4 {
        let (a, b, c, d) = (t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]);
        r[4 * i] = _mm512_shuffle_ps::<0x44>(a, c);
        r[4 * i + 1] = _mm512_shuffle_ps::<0xEE>(a, c);
        r[4 * i + 2] = _mm512_shuffle_ps::<0x44>(b, d);
        r[4 * i + 3] = _mm512_shuffle_ps::<0xEE>(b, d);
    }
    for h in 0..2 {
        let o = 8 * h;
        for i in 0..4 {
            t[o + i] = _mm512_shuffle_f32x4::<0x88>(r[o + i], r[o + 4 + i]);
            t[o + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(r[o + i], r[o + 4 + i]);
        }
    }
    for i in 0..8 {
        r[i] = _mm512_shuffle_f32x4::<0x88>(t[i], t[8 + i]);
        r[8 + i] = _mm512_shuffle_f32x4::<0xDD>(t[i], t[8 + i]);
    }
}

/// AVX2 with FMA: `6 × 16` (two ymm per row, 12 accumulators), and kernels of fewer rows for
/// the last row tile.
struct Avx2;

impl Kernel for Avx2 {
    const MR: usize = 6;
    const NR: usize = 16;
    unsafe fn tile(t: &Tile) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller checked the CPU (isa()) and the pointers
        unsafe {
            let full = t.nr == Self::NR;
            match (t.a_rs == 1, full) {
                (true, true) => with_mr!(t.mr, avx2_tile, [true, false], t),
                (true, false) => with_mr!(t.mr, avx2_tile, [true, true], t),
                (false, true) => with_mr!(t.mr, avx2_tile, [false, false], t),
                (false, false) => with_mr!(t.mr, avx2_tile, [false, true], t),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("AVX2 on another architecture: {}", t.kc)
    }
}

/// The AVX2 micro-kernel, `MR × 16`; `A_CONTIG` and `MASKED` as for [`avx512_tile`].
///
/// # Safety
/// AVX2 and FMA available; pointers as documented on [`Tile`], `t.mr == MR`.
#[cfg(target_arch = "x86_64")]
// the register tile is indexed by row and vector in step with the masks and b vectors
#[allow(clippy::needless_range_loop)]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_tile<const MR: usize, const A_CONTIG: bool, const MASKED: bool>(t: &Tile) {
    const NV: usize = 2;
    let mut acc = [[_mm256_setzero_ps(); NV]; MR];
    let mut masks = [_mm256_set1_epi32(-1); NV];
    for (v, mask) in masks.iter_mut().enumerate() {
        let left = t.nr.saturating_sub(v * 8).min(8) as i32;
        let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        *mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(left), lane);
    }
    let mut ap = t.a;
    let mut bp = t.b;
    let a_rs = if A_CONTIG { 1 } else { t.a_rs };
    // SAFETY: inside the operands by the caller's contract; masked loads touch only the `nr`
    // valid columns
    unsafe {
        for _ in 0..t.kc {
            let mut bv = [_mm256_setzero_ps(); NV];
            for v in 0..NV {
                bv[v] = if MASKED {
                    _mm256_maskload_ps(bp.add(8 * v), masks[v])
                } else {
                    _mm256_loadu_ps(bp.add(8 * v))
                };
            }
            for (r, row) in acc.iter_mut().enumerate() {
                let av = _mm256_set1_ps(*ap.offset(r as isize * a_rs));
                for v in 0..NV {
                    row[v] = _mm256_fmadd_ps(av, bv[v], row[v]);
                }
            }
            ap = ap.offset(t.a_cs);
            bp = bp.offset(t.b_rs);
        }
        if t.c_cs == 1 && !MASKED {
            let alpha = _mm256_set1_ps(t.alpha);
            let beta = _mm256_set1_ps(t.beta);
            for (r, row) in acc.iter().enumerate() {
                let crow = t.c.offset(r as isize * t.c_rs);
                for v in 0..NV {
                    let dst = crow.add(8 * v);
                    let new = if !t.first {
                        _mm256_fmadd_ps(alpha, row[v], _mm256_loadu_ps(dst))
                    } else if t.beta == 0.0 {
                        _mm256_mul_ps(alpha, row[v])
                    } else {
                        _mm256_fmadd_ps(alpha, row[v], _mm256_mul_ps(beta, _mm256_loadu_ps(dst)))
                    };
                    _mm256_storeu_ps(dst, new);
                }
            }
        } else {
            let mut tile = [[[0.0f32; 8]; NV]; MR];
            for r in 0..MR {
                for v in 0..NV {
                    _mm256_storeu_ps(tile[r][v].as_mut_ptr(), acc[r][v]);
                }
            }
            let flat = std::slice::from_raw_parts(tile.as_ptr() as *const f32, MR * NV * 8);
            write_scalar::<16>(t, flat);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// The kernel family the calling test thread uses instead of the detected one.
        pub(super) static FORCED: Cell<Option<Isa>> = const { Cell::new(None) };
    }

    /// Run `f` once with every kernel family this CPU supports.
    fn for_each_isa(mut f: impl FnMut(Isa)) {
        let mut isas = vec![Isa::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                isas.push(Isa::Avx2);
            }
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("fma") {
                isas.push(Isa::Avx512);
            }
        }
        for isa in isas {
            FORCED.with(|c| c.set(Some(isa)));
            f(isa);
            FORCED.with(|c| c.set(None));
        }
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A strided matrix in a Vec: element (i, j) at `off + i·rs + j·cs`.
    struct Mat {
        data: Vec<f32>,
        off: isize,
        rs: isize,
        cs: isize,
    }

    impl Mat {
        /// `rows × cols` stored row- or column-major, or with padded strides, or transposed
        /// backwards (negative strides) when `layout` says so.
        fn new(rng: &mut ChaCha8Rng, rows: usize, cols: usize, layout: u32) -> Mat {
            let (r, c) = (rows as isize, cols as isize);
            let (rs, cs, len, off) = match layout % 4 {
                0 => (c, 1, rows * cols, 0),
                1 => (1, r, rows * cols, 0),
                2 => (c + 3, 1, rows * (cols + 3), 0),
                _ => (
                    -1,
                    -(r + 2),
                    (rows + 2) * cols.max(1),
                    (r + 2) * (c - 1).max(0) + r - 1,
                ),
            };
            let data = (0..len.max(1))
                .map(|_| rng.random_range(-1.0f32..1.0))
                .collect();
            Mat { data, off, rs, cs }
        }
        fn get(&self, i: usize, j: usize) -> f32 {
            self.data[(self.off + i as isize * self.rs + j as isize * self.cs) as usize]
        }
        fn ptr(&self) -> *const f32 {
            // SAFETY: off is inside data
            unsafe { self.data.as_ptr().offset(self.off) }
        }
        fn ptr_mut(&mut self) -> *mut f32 {
            // SAFETY: off is inside data
            unsafe { self.data.as_mut_ptr().offset(self.off) }
        }
    }

    fn product(
        alpha: f32,
        a: &Mat,
        b: &Mat,
        beta: f32,
        c: &mut Mat,
        (m, k, n): (usize, usize, usize),
    ) {
        // SAFETY: the matrices hold every element of their shapes
        unsafe {
            sgemm(
                m,
                n,
                k,
                alpha,
                a.ptr(),
                a.rs,
                a.cs,
                b.ptr(),
                b.rs,
                b.cs,
                beta,
                c.ptr_mut(),
                c.rs,
                c.cs,
            )
        }
    }

    #[test]
    fn matches_a_naive_f64_product() {
        for_each_isa(matches_a_naive_f64_product_on);
    }

    fn matches_a_naive_f64_product_on(isa: Isa) {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let shapes = [
            (1, 1, 1),
            (2, 3, 5),
            (7, 11, 13),
            (8, 1, 32),
            (9, 17, 33),
            (31, 37, 41),
            (64, 0, 10),
            (1, 300, 1),
            (97, 1031, 67),
            (33, 600, 200),
            (250, 129, 70),
            (13, 64, 1100),
        ];
        for (case, &(m, k, n)) in shapes.iter().enumerate() {
            for layout in 0..16u32 {
                for (alpha, beta) in [(1.0f32, 0.0f32), (1.0, 1.0), (-0.5, 2.0), (2.0, 0.0)] {
                    let a = Mat::new(&mut rng, m, k, layout);
                    let b = Mat::new(&mut rng, k, n, layout / 4 + case as u32);
                    let mut c = Mat::new(&mut rng, m, n, layout / 2);
                    if beta == 0.0 {
                        for v in &mut c.data {
                            *v = f32::NAN;
                        }
                    }
                    let want: Vec<f64> = (0..m * n)
                        .map(|e| {
                            let (i, j) = (e / n, e % n);
                            let dot: f64 = (0..k)
                                .map(|p| a.get(i, p) as f64 * b.get(p, j) as f64)
                                .sum();
                            let old = if beta == 0.0 { 0.0 } else { c.get(i, j) as f64 };
                            alpha as f64 * dot + beta as f64 * old
                        })
                        .collect();
                    product(alpha, &a, &b, beta, &mut c, (m, k, n));
                    for (e, &w) in want.iter().enumerate() {
                        let (i, j) = (e / n, e % n);
                        let got = c.get(i, j) as f64;
                        let tol = 1e-5 * (1.0 + k as f64).sqrt() * (1.0 + w.abs());
                        assert!(
                            (got - w).abs() <= tol,
                            "{isa:?} m{m} k{k} n{n} layout {layout} α{alpha} β{beta} ({i},{j}): {got} vs {w}"
                        );
                    }
                }
            }
        }
    }

    /// c = a·b for row-major a [m×k] and b given as the transpose of w [n×k] (`x·Wᵀ`), into a
    /// row-major c.
    fn x_wt(x: &[f32], w: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![f32::NAN; m * n];
        // SAFETY: the slices hold the shapes
        unsafe {
            sgemm(
                m,
                n,
                k,
                1.0,
                x.as_ptr(),
                k as isize,
                1,
                w.as_ptr(),
                1,
                k as isize,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        };
        c
    }

    #[test]
    fn rows_do_not_depend_on_the_batch() {
        for_each_isa(rows_do_not_depend_on_the_batch_on);
    }

    fn rows_do_not_depend_on_the_batch_on(isa: Isa) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for (k, n) in [(784, 256), (256, 128), (128, 10), (70, 40), (1100, 33)] {
            let x: Vec<f32> = (0..150 * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let w: Vec<f32> = (0..n * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let full = x_wt(&x, &w, 150, k, n);
            for chunk in [1, 2, 7, 29, 64, 65, 149] {
                for start in (0..150).step_by(chunk) {
                    let rows = chunk.min(150 - start);
                    let part = x_wt(&x[start * k..(start + rows) * k], &w, rows, k, n);
                    let same = part
                        .iter()
                        .zip(&full[start * n..(start + rows) * n])
                        .all(|(p, f)| p.to_bits() == f.to_bits());
                    assert!(same, "{isa:?} k{k} n{n}: chunk {chunk} at {start}");
                }
            }
        }
    }

    #[test]
    fn blocks_of_c_give_the_bits_of_the_whole() {
        for_each_isa(blocks_of_c_give_the_bits_of_the_whole_on);
    }

    fn blocks_of_c_give_the_bits_of_the_whole_on(isa: Isa) {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let (m, k, n) = (200, 700, 300);
        for layout in [0u32, 1, 5, 10] {
            let a = Mat::new(&mut rng, m, k, layout);
            let b = Mat::new(&mut rng, k, n, layout + 1);
            let c0 = Mat::new(&mut rng, m, n, 0);
            let mut whole = Mat {
                data: c0.data.clone(),
                ..c0
            };
            product(1.0, &a, &b, 0.5, &mut whole, (m, k, n));
            let (mr, nr) = tile_shape(isa);
            for (rows, cols) in [(mr * 3, n), (m, nr * 2), (mr * 5, nr * 3), (m, 64), (64, n)] {
                let mut split = Mat {
                    data: c0.data.clone(),
                    off: 0,
                    rs: n as isize,
                    cs: 1,
                };
                for i0 in (0..m).step_by(rows) {
                    for j0 in (0..n).step_by(cols) {
                        let (h, w) = (rows.min(m - i0), cols.min(n - j0));
                        // SAFETY: sub-blocks of the matrices
                        unsafe {
                            sgemm(
                                h,
                                w,
                                k,
                                1.0,
                                a.ptr().offset(i0 as isize * a.rs),
                                a.rs,
                                a.cs,
                                b.ptr().offset(j0 as isize * b.cs),
                                b.rs,
                                b.cs,
                                0.5,
                                split
                                    .ptr_mut()
                                    .offset(i0 as isize * n as isize + j0 as isize),
                                n as isize,
                                1,
                            )
                        }
                    }
                }
                let same = whole
                    .data
                    .iter()
                    .zip(&split.data)
                    .all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{isa:?} layout {layout}: blocks {rows}×{cols}");
            }
        }
    }

    #[test]
    fn the_buffer_is_not_reallocated_in_steady_state() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let shapes = [
            (512, 784, 256),
            (32, 784, 256),
            (128, 10, 256),
            (10, 512, 128),
        ];
        reserve(512, 784, 784);
        let before = buffer_state();
        for _ in 0..3 {
            for &(m, k, n) in &shapes {
                for layout in 0..4 {
                    let a = Mat::new(&mut rng, m, k, layout);
                    let b = Mat::new(&mut rng, k, n, layout + 1);
                    let mut c = Mat::new(&mut rng, m, n, layout + 2);
                    product(1.0, &a, &b, 0.0, &mut c, (m, k, n));
                    assert_eq!(buffer_state(), before, "{m}×{k}×{n} layout {layout}");
                }
            }
        }
    }
}
