#!/usr/bin/env python3
"""NumPy's values of kiln's random NumPy programs (test/npdiff/).

Runs scripts/npdiff-programs.ts (the differential generator's "numpy" profile: one op table,
test/differential/ops.ts) to get the programs as JSON, evaluates every program in NumPy (SciPy for
the special functions) and writes test/fixtures/npdiff/programs.json. Run
`python3 scripts/npdiff-fixtures.py` (NumPy 2.x, SciPy) after changing the generator or the op
table; the file is committed, and the suites fail while it is stale.

kiln follows JAX where JAX and NumPy differ (JAX_DTYPE_RULES of scripts/numpy-fixtures.py, reused
here, for the dtypes of NumPy's results; `jax_promote` below for the operands of binary calls,
JAX's promotion lattice with 32-bit types and weakly typed Python scalars). Each call's values are
NumPy's, computed on operands already converted to that dtype (as JAX converts before computing),
and every float result is rounded to its dtype after each call (bfloat16 by hand: NumPy has none).

Two more evaluations mark what is not compared:
- float64: every float computed and kept in float64. Elements that move (beyond a quarter of the
  suite's tolerance, or at all for integers and bools) sit next to a rounding boundary and depend
  on float32 rounding order, not on semantics: `unstable`.
- another float -> integer cast: C leaves a cast of NaN, +-inf or an out-of-range value undefined
  (NumPy's value is the x86 instruction's), so the program is evaluated again with kiln's rule
  (truncate, wrap; NaN and inf to 0); elements that move depend on such a cast: `undefinedCast`.
"""
import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import scipy.special as sp

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "npdiff", "programs.json")

_spec = importlib.util.spec_from_file_location("numpy_fixtures", os.path.join(ROOT, "scripts", "numpy-fixtures.py"))
nf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nf)
jax_dtype = nf.jax_dtype

FLOATS = ("float32", "float16", "bfloat16")
INTS = ("int32", "uint8", "uint32")
STORE = {"float32": np.float32, "float16": np.float16, "bfloat16": np.float32, "int32": np.int32, "uint8": np.uint8,
         "uint32": np.uint32, "bool": np.bool_}
BITS = {"int32": 32, "uint8": 8, "uint32": 32}

# Relative tolerances of the suite per dtype (test/npdiff/suite.ts TOLERANCES): unstable below a quarter.
RTOL = {"float32": 2e-5, "float16": 2e-3, "bfloat16": 1.6e-2}


class Mode:
    """An evaluation: `f64` keeps floats in float64; `alt_cast` casts float -> int by kiln's rule;
    `nudge` (+-1) moves every inexact float result (transcendental functions, sums, contractions)
    by 4 float32 ulps before rounding, as another summation order or libm would. `raised` collects
    the errors NumPy raises where kiln follows JAX and continues (weak ints out of range)."""

    def __init__(self, f64=False, alt_cast=False, nudge=0):
        self.f64 = f64
        self.alt_cast = alt_cast
        self.nudge = nudge
        self.raised = []
        self.step = 0


def approx(r, m, eps=2.0 ** -21):
    """An inexact float result, nudged in the nudge evaluations (by `eps`, relative)."""
    r = np.asarray(r)
    return r * (1 + m.nudge * eps) if m.nudge and r.dtype.kind == "f" else r


# A 16-bit float contraction may round each product to its dtype (kiln's JS and WGSL kernels do,
# XLA's CPU dot does not): its result moves by up to about an ulp of the dtype.
CONTRACTION_EPS = {"bfloat16": 2.0 ** -8, "float16": 2.0 ** -10}


def bf16(a):
    """float32 values rounded to bfloat16 (to nearest, ties to even), NaN kept."""
    a = np.asarray(a, np.float32)
    b = a.view(np.uint32).astype(np.uint64)
    b = ((b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return np.where(np.isnan(a), a, b.view(np.float32))


def work(d, m):
    """The NumPy dtype a float of dtype d is computed in."""
    return np.float64 if m.f64 else np.float32


def cast(a, d, m):
    """Converts computed values to dtype d (JAX's convert_element_type; floats rounded to d)."""
    a = np.asarray(a)
    if d == "bool":
        return a != 0
    if d in FLOATS:
        if m.f64:
            return a.astype(np.float64)
        if d == "bfloat16":
            return bf16(a.astype(np.float32))
        return a.astype(STORE[d])
    if a.dtype.kind == "f":
        if m.alt_cast:
            a = a.astype(np.float64)
            t = np.where(np.isfinite(a), np.trunc(np.where(np.isfinite(a), a, 0)), 0)
            return np.mod(t, 2.0 ** 32).astype(np.uint64).astype(np.uint32).astype(STORE[d])
        return a.astype(STORE[d])
    return a.astype(STORE[d])


def jax_promote(a, b):
    """JAX's result dtype of two (not weak) dtypes, x64 disabled."""
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    if a in FLOATS and b in FLOATS:
        return "float32"
    if a in FLOATS:
        return a
    if b in FLOATS:
        return b
    pair = {a, b}
    if pair == {"uint8", "uint32"}:
        return "uint32"
    return "int32"  # uint8/int32 -> int32; uint32/int32 -> int64, canonicalized to int32


def weak_promote(d, c):
    """The dtype of d with a weakly typed Python (JS) number c."""
    if float(c).is_integer():
        return "int32" if d == "bool" else d
    return "float32" if d not in FLOATS else d


def inexact(d):
    return d if d in FLOATS else "float32"


class V:
    """A value: its NumPy array (bfloat16 stored as float32, floats as float64 in float64 mode) and dtype."""

    def __init__(self, a, d):
        self.a = np.asarray(a)
        self.d = d


def lift(x, d, m):
    """x's values as operands of a call computing in dtype d."""
    if d in FLOATS:
        return np.asarray(x.a).astype(work(d, m)) if x.d in FLOATS else cast(x.a, d, m).astype(work(d, m))
    return cast(x.a, d, m) if x.d != d else x.a


def fl(x, m):
    return x.a.astype(work(x.d, m))


class Rounder:
    """R(v) rounds an intermediate to the dtype; R.t(v) also nudges an inexact one (the guard's
    tanh) in the nudge evaluations, as the call's own result is: tanh(9) is 1 - 3.05e-8, a hair
    from the float32 midpoint, and a backend's tanh within an ulp may tie values NumPy keeps
    apart (a searchsorted of tan(tanh(x)) on webgpu: seed 200955 of a deep run)."""

    def __init__(self, d, m):
        self.d, self.m = d, m

    def __call__(self, v):
        return cast(v, self.d, self.m).astype(work(self.d, self.m))

    def t(self, v):
        # Alternating signs along the elements: roundings are the element's own, and a nudge of one
        # sign for all would keep every near tie as it is.
        v = np.asarray(v)
        if not self.m.nudge or v.dtype.kind != "f":
            return self(v)
        signs = np.where(np.arange(v.size).reshape(v.shape) % 2 == 0, 1.0, -1.0)
        return self(v * (1 + self.m.nudge * signs * 2.0 ** -21))


def unary_f(f):
    """A float call `f(x, R)` where R rounds an intermediate to x's dtype (kiln rounds every call).
    A JS-number constant of the row (0.9, 0.3) is weakly typed: rounded to x's dtype first, R(0.9),
    as JAX and NumPy convert a Python float (bfloat16's 0.9 is 0.8984375)."""
    def op(args, p, m):
        x = args[0]
        R = Rounder(x.d, m)
        return V(cast(approx(f(fl(x, m), R), m), x.d, m), x.d)
    return op


def same(f, out=None):
    """A call on operands of one dtype computed by NumPy in that dtype; `out`: its result dtype."""
    def op(args, p, m):
        d = args[0].d
        xs = [x.a.astype(work(d, m)) if d in FLOATS else x.a for x in args]
        r = f(*xs)
        od = out or d
        return V(cast(r, od, m), od)
    return op


def odd(f):
    """An odd function with f(-0) = -0 (C99's, and JAX's): SciPy's erfinv and i1e return +0 for -0."""
    return lambda x: np.where(x == 0, x, f(x))


def sq(x, R):
    return R(x * x)


def shift(kind):
    def op(args, p, m):
        a, b = args
        bits = BITS[a.d]
        s = np.remainder(b.a, np.array(32, a.a.dtype)).astype(np.int64)
        u = a.a.astype(np.int64) & ((1 << bits) - 1)
        r = np.where(s < bits, (u << np.minimum(s, bits - 1)) if kind == "shl" else (u >> np.minimum(s, bits - 1)), 0)
        return V(cast(r.astype(np.int64) & ((1 << bits) - 1), a.d, m) if a.d != "int32" else
                 (r.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.int32), a.d)
    return op


BITWISE = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}


def bitwise(args, p, m):
    if p["prim"] in ("shl", "shrl"):
        return shift(p["prim"])(args, p, m)
    return same(BITWISE[p["prim"]])(args, p, m)


def axis_of(p):
    a = p.get("axes")
    return None if a is None else tuple(a)


def reduce_(args, p, m):
    x, fn, axes, keep = args[0], p["fn"], axis_of(p), p["keepdims"]
    if fn in ("max", "min"):
        f = np.max if fn == "max" else np.min
        return V(cast(f(x.a, axis=axes, keepdims=keep), x.d, m), x.d)
    if fn == "mean":
        d = inexact(x.d)
        r = np.mean(lift(x, d, m), axis=axes, keepdims=keep, dtype=work(d, m))
        return V(cast(approx(r, m), d, m), d)
    f = np.sum if fn == "sum" else np.prod
    if x.d in FLOATS:
        return V(cast(approx(f(fl(x, m), axis=axes, keepdims=keep), m), x.d, m), x.d)
    d = jax_dtype(f(np.zeros(1, STORE[x.d])).dtype, [x.d])
    acc = np.int64 if x.d in ("bool", "int32") else np.uint64
    return V(cast(f(x.a.astype(acc), axis=axes, keepdims=keep), d, m), d)


def arg_reduce(args, p, m):
    f = np.argmax if p["fn"] == "argmax" else np.argmin
    return V(f(args[0].a, axis=p["axis"]).astype(np.int32), "int32")


def sort_(args, p, m):
    x, axis = args[0], p["axis"]
    a = x.a
    if axis is None:
        a, axis = a.reshape(-1), 0
    if p["fn"] == "sort":
        r = np.sort(a, axis=axis, kind="stable")
        return V(np.flip(r, axis) if p["descending"] else r, x.d)
    if not p["descending"]:
        return V(np.argsort(a, axis=axis, kind="stable").astype(np.int32), "int32")
    # Largest first, NaN first, ties in input order (JAX's descending argsort).
    n = a.shape[axis]
    r = np.flip(np.argsort(np.flip(a, axis), axis=axis, kind="stable"), axis)
    return V((n - 1 - r).astype(np.int32), "int32")


def cumsum_(args, p, m):
    x, axis = args[0], p["axis"]
    if x.d in FLOATS:
        return V(cast(approx(np.cumsum(fl(x, m), axis=axis), m), x.d, m), x.d)
    d = "uint32" if x.d in ("uint8", "uint32") else "int32"
    acc = np.uint64 if d == "uint32" else np.int64
    return V(cast(np.cumsum(x.a.astype(acc), axis=axis), d, m), d)


def slice_of(s):
    return slice(*s)


def pad_(args, p, m):
    x = args[0]
    v = cast(np.array(p["value"], np.int64 if x.d not in FLOATS else np.float64), x.d, m)
    return V(np.pad(x.a, p["widths"], constant_values=v), x.d)


def contract(f):
    """A contraction: floats accumulate in float32 (float64), integers wrap in their dtype."""
    def op(args, p, m):
        d = args[0].d
        xs = [fl(x, m) if d in FLOATS else x.a.astype(np.int64 if d == "int32" else np.uint64) for x in args]
        return V(cast(approx(f(*xs, p), m, CONTRACTION_EPS.get(d, 2.0 ** -21)), d, m), d)
    return op


def matmul_(a, *rest):
    p = rest[-1]
    form = p["form"]
    if form == "matmul":
        return np.matmul(a, rest[0])
    if form == "dotSelf":
        return np.dot(a, a)
    return np.matmul(a, np.swapaxes(a, -1, -2))


def einsum_(a, p):
    return np.einsum(p["spec"], a, a) if p["two"] else np.einsum(p["spec"], a)


def svdvals_(args, p, m):
    x = args[0]
    a = fl(x, m).astype(np.float64)
    k = min(a.shape[-2:])
    if a.size == 0:
        # Empty matrices, or none: NumPy raises LinAlgError; JAX's result is simply empty.
        return V(np.zeros(a.shape[:-2] + (k,), STORE[x.d]), x.d)
    flat = a.reshape((-1,) + a.shape[-2:])
    # A matrix with NaN or inf: LAPACK's (JAX's) NaNs, where NumPy raises LinAlgError for the batch.
    r = np.array([np.linalg.svd(mat, compute_uv=False) if np.isfinite(mat).all() else np.full(k, np.nan) for mat in flat])
    r = r.reshape(a.shape[:-2] + (k,))
    return V(cast(approx(r, m), x.d, m), x.d)


def fft_(args, p, m):
    x = args[0]
    a = fl(x, m).astype(np.float64)
    r = np.fft.fft(a, axis=-1)
    r = r.real if p["part"] == "re" else r.imag
    # An FFT's rounding error is relative to its lane's magnitude (sum |x|), not to each output:
    # outputs that are exactly 0 (imaginary parts of symmetric lanes) come out as roundoff. The
    # nudge moves every output by a few float32 ulps of that magnitude, so what depends on their
    # sign or order downstream is unstable.
    if m.nudge:
        big = np.sum(np.abs(np.where(np.isfinite(a), a, 0)), axis=-1, keepdims=True)
        r = r + m.nudge * 2.0 ** -21 * big
    return V(cast(r, "float32", m), "float32")


def idx(ix):
    return np.array(ix["values"], np.int64).reshape(ix["shape"])


def at_update(args, p, m):
    x, y = args
    mean = reduce_([y], {"fn": "mean", "axes": None, "keepdims": False}, m)
    v = cast(mean.a, x.d, m)
    out = x.a.copy()
    if p["mode"] == "set":
        out[idx(p["ix"])] = v
    else:
        acc = out.astype(np.float64 if x.d in FLOATS else np.int64)
        np.add.at(acc, idx(p["ix"]), np.asarray(v).astype(acc.dtype))
        out = cast(acc, x.d, m)
    return V(out, x.d)


def where_(args, p, m):
    c, a, b = args
    return V(np.where(c.a, a.a, b.a), a.d)


BINARY_NP = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
             "floorDivide": np.floor_divide, "remainder": np.remainder, "maximum": np.maximum,
             "minimum": np.minimum, "less": np.less, "equal": np.equal, "arctan2": np.arctan2,
             "power": np.power, "greater": np.greater}
INEXACT_FNS = {"divide", "arctan2"}
COMPARE_FNS = {"less", "equal", "greater"}


def c_pow(a, b):
    """Float power as C99's pow, everywhere (JAX's lax.pow, kiln's): NumPy takes a shortcut for a
    scalar or 0-d exponent (0.5 -> sqrt, so power(-0, 0.5) is -0 and power(-inf, 0.5) NaN where pow
    gives +0 and +inf). Flat 1-d operands take NumPy's pow loop."""
    shape = np.broadcast_shapes(np.shape(a), np.shape(b))
    flat = lambda v: np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1)
    with np.errstate(all="ignore"):
        return np.power(flat(a), flat(b)).reshape(shape)


def binary_call(fn, a, da, b, db, d, m):
    """NumPy's fn on operands converted to the promoted dtype d (JAX converts first)."""
    if fn in INEXACT_FNS:
        d = inexact(d)
    xa = a if isinstance(a, (int, float)) else lift(V(a, da), d, m)
    xb = b if isinstance(b, (int, float)) else lift(V(b, db), d, m)
    # A JS number is converted to the dtype first (a weak float: 1e10 is inf in float16, as JAX and
    # NumPy convert it), then computed with: seed 101315 of a deep run.
    if isinstance(xa, (int, float)):
        xa = np.array(xa).astype(STORE[d]) if d not in FLOATS else cast(np.array(float(xa)), d, m).astype(work(d, m))
    if isinstance(xb, (int, float)):
        xb = np.array(xb).astype(STORE[d]) if d not in FLOATS else cast(np.array(float(xb)), d, m).astype(work(d, m))
    r = c_pow(xa, xb) if fn == "power" and d in FLOATS else BINARY_NP[fn](xa, xb)
    if fn in ("arctan2", "power"):
        r = approx(r, m)
    od = "bool" if fn in COMPARE_FNS else d
    return V(cast(r, od, m), od)


def promote(args, p, m):
    a, b = args
    return binary_call(p["fn"], a.a, a.d, b.a, b.d, jax_promote(a.d, b.d), m)


def scalar(args, p, m):
    x, c = args[0], p["c"]
    if "mod" in p:
        # np.power(c, np.remainder(x, mod)): an int32 exponent kept nonnegative.
        x = V(np.remainder(x.a, np.array(p["mod"], x.a.dtype)), x.d)
    d = weak_promote(x.d, c)
    if d in INTS and float(c).is_integer():
        info = np.iinfo(STORE[d])
        if not info.min <= c <= info.max:
            # NumPy 2 (NEP 50) raises for a Python int out of the array's dtype range; JAX (and
            # kiln, docs/dtypes.md) converts it modulo 2^bits and goes on.
            m.raised.append(("OverflowError", m.step))
            c = int(np.array(c, np.int64).astype(STORE[d]))
        if p["fn"] == "power" and c < 0 and not p["left"]:
            raise ValueError("Integers to negative integer powers are not allowed.")
    c = int(c) if float(c).is_integer() and d in INTS else float(c)
    if p["left"]:
        return binary_call(p["fn"], c, None, x.a, x.d, d, m)
    return binary_call(p["fn"], x.a, x.d, c, None, d, m)


def clip_(args, p, m):
    x = args[0]
    r = x
    for bound, fn in ((p["lo"], "maximum"), (p["hi"], "minimum")):
        if bound is not None:
            r = scalar([r], {"fn": fn, "c": bound, "left": False}, m)
    return r


def astype_(args, p, m):
    x, to = args[0], p["to"]
    return V(cast(x.a, to, m), to)


def compare(f):
    def op(args, p, m):
        a, b = args
        return V(f(a.a, b.a), "bool")
    return op


OPS = {
    "negative": same(np.negative), "abs": same(np.abs), "sign": same(np.sign),
    "exp": unary_f(lambda x, R: np.exp(R(R.t(np.tanh(x)) * 4))),
    "expm1": unary_f(lambda x, R: np.expm1(R(R.t(np.tanh(x)) * 4))),
    "log": unary_f(lambda x, R: np.log(R(sq(x, R) + 0.5))),
    "log1p": unary_f(lambda x, R: np.log1p(sq(x, R))),
    "sqrt": unary_f(lambda x, R: np.sqrt(R(sq(x, R) + 0.25))),
    "cbrt": unary_f(lambda x, R: np.cbrt(x)),
    "erf": unary_f(lambda x, R: sp.erf(x)), "erfc": unary_f(lambda x, R: sp.erfc(x)),
    "erfInv": unary_f(lambda x, R: odd(sp.erfinv)(R(R.t(np.tanh(x)) * R(0.9)))),
    "lgamma": unary_f(lambda x, R: sp.gammaln(R(sq(x, R) + R(0.3)))),
    "digamma": unary_f(lambda x, R: sp.digamma(R(sq(x, R) + R(0.3)))),
    "trigamma": unary_f(lambda x, R: sp.polygamma(1, R(sq(x, R) + R(0.3)))),
    "i0e": unary_f(lambda x, R: sp.i0e(x)), "i1e": unary_f(lambda x, R: odd(sp.i1e)(x)),
    "sin": unary_f(lambda x, R: np.sin(x)), "cos": unary_f(lambda x, R: np.cos(x)),
    "tan": unary_f(lambda x, R: np.tan(R.t(np.tanh(x)))),
    "arcsin": unary_f(lambda x, R: np.arcsin(R(R.t(np.tanh(x)) * R(0.9)))),
    "arccos": unary_f(lambda x, R: np.arccos(R(R.t(np.tanh(x)) * R(0.9)))),
    "arctan": unary_f(lambda x, R: np.arctan(x)),
    "sinh": unary_f(lambda x, R: np.sinh(R(R.t(np.tanh(x)) * 4))),
    "cosh": unary_f(lambda x, R: np.cosh(R(R.t(np.tanh(x)) * 4))),
    "tanh": unary_f(lambda x, R: np.tanh(x)),
    "sigmoid": unary_f(lambda x, R: 1 / (1 + np.exp(-x.astype(np.float64)))),
    "floor": same(np.floor), "ceil": same(np.ceil), "round": same(np.round),
    "isnan": lambda args, p, m: V(np.isnan(args[0].a) if args[0].d in FLOATS else np.zeros(args[0].a.shape, bool), "bool"),
    "isfinite": lambda args, p, m: V(np.isfinite(args[0].a) if args[0].d in FLOATS else np.ones(args[0].a.shape, bool), "bool"),
    "logicalNot": same(np.logical_not), "stopGradient": lambda args, p, m: args[0], "astype": astype_,
    "add": same(np.add), "subtract": same(np.subtract), "multiply": same(np.multiply),
    # divide, floorDivide, remainder, power, powerInt, arctan2: below (float_binary, int_or_float_binary).
    "maximum": same(np.maximum), "minimum": same(np.minimum),
    "equal": compare(np.equal), "notEqual": compare(np.not_equal), "less": compare(np.less),
    "lessEqual": compare(np.less_equal), "greater": compare(np.greater), "greaterEqual": compare(np.greater_equal),
    "logicalAnd": compare(np.logical_and), "logicalOr": compare(np.logical_or), "bitwise": bitwise, "where": where_,
    "reduce": reduce_, "argReduce": arg_reduce, "sort": sort_, "cumsum": cumsum_,
    "reshape": lambda args, p, m: V(args[0].a.reshape(p["to"]), args[0].d),
    "transpose": lambda args, p, m: V(np.transpose(args[0].a, p["perm"]), args[0].d),
    "flip": lambda args, p, m: V(np.flip(args[0].a, tuple(p["axes"])), args[0].d),
    "sliceGet": lambda args, p, m: V(args[0].a[tuple(slice_of(s) for s in p["sl"])], args[0].d),
    "broadcastTo": lambda args, p, m: V(np.broadcast_to(args[0].a, p["to"]).copy(), args[0].d),
    "pad": pad_,
    "concatenate": lambda args, p, m: V(np.concatenate([args[0].a, args[1].a], axis=p["axis"]), args[0].d),
    "expandDims": lambda args, p, m: V(np.expand_dims(args[0].a, p["axis"]), args[0].d),
    "squeeze": lambda args, p, m: V(np.squeeze(args[0].a), args[0].d),
    "matmul": contract(matmul_), "dot": contract(lambda a, b, p: np.dot(a, b)), "einsum": contract(einsum_),
    "svdvals": svdvals_, "fft": fft_,
    "take": lambda args, p, m: V(np.take(args[0].a, idx(p["ix"]), axis=p["axis"]), args[0].d),
    "gatherGet": lambda args, p, m: V(args[0].a[(idx(p["ix"]), slice_of(p["sl"])) if p["first"] else (slice_of(p["sl"]), idx(p["ix"]))], args[0].d),
    "atUpdate": at_update, "promote": promote, "scalar": scalar, "clip": clip_,
    "castOutOfRange": lambda args, p, m: astype_([scalar([args[0]], {"fn": "multiply", "c": 1e10, "left": False}, m)], p, m),
    "logicalReduce": lambda args, p, m: V((np.all if p["fn"] == "all" else np.any)(args[0].a, axis=axis_of(p), keepdims=p["keepdims"]), "bool"),
    "whereMixed": lambda args, p, m: (lambda d: V(np.where(args[0].a, lift(args[1], d, m), lift(args[2], d, m)), d))(jax_promote(args[1].d, args[2].d)),
}


FMAX = {"float32": float(np.finfo(np.float32).max), "float16": 65504.0, "bfloat16": 3.3895313892515355e38}


def np_unary(args, p, m):
    x, fn = args[0], p["fn"]
    if fn in ("signbit", "isinf"):
        if x.d in FLOATS and fn == "signbit" and m.nudge:
            # The sign bit of a NaN is the implementation's (IEEE 754 leaves it open; x86's default
            # NaN is negative, a JS engine may canonicalize NaNs): the nudge evaluations read it
            # both ways, so a NaN's signbit is never compared.
            return V(np.where(np.isnan(x.a), m.nudge > 0, np.signbit(x.a)), "bool")
        if x.d in FLOATS:
            return V((np.signbit if fn == "signbit" else np.isinf)(x.a), "bool")
        # NumPy has no integer loops for these; JAX's: x < 0, and never infinite.
        return V(x.a < 0 if fn == "signbit" else np.zeros(x.a.shape, bool), "bool")
    if fn in ("square", "positive", "invert"):
        return same({"square": np.square, "positive": np.positive, "invert": np.invert}[fn])(args, p, m)
    if fn == "nanToNum":
        big = FMAX[x.d]
        return V(cast(np.nan_to_num(fl(x, m), nan=0.0, posinf=big, neginf=-big), x.d, m), x.d)
    if fn == "sinc" and x.d in ("float16", "bfloat16"):
        # NumPy's float16 sinc (and JAX's jnp.sinc) computes pi·x, sin and the quotient in the dtype,
        # with pi itself rounded to it: np.sinc(float16(4.25)) is 0.05255, 0.05295 rounded from float32.
        R = lambda v: cast(v, x.d, m).astype(work(x.d, m))
        a = fl(x, m)
        with np.errstate(all="ignore"):
            px = R(R(np.pi) * np.where(a == 0, 1, a))
            r = np.where(a == 0, 1, R(approx(np.sin(px), m)) / px)
        return V(cast(r, x.d, m), x.d)
    f = {"reciprocal": np.reciprocal, "rint": np.rint, "trunc": np.trunc, "fix": np.fix, "exp2": np.exp2, "log2": np.log2,
         "log10": np.log10, "sinc": np.sinc}[fn]
    r = f(fl(x, m))
    return V(cast(approx(r, m) if fn in ("exp2", "log2", "log10", "sinc") else r, x.d, m), x.d)


NP_BINARY_PY = {"fmod": np.fmod, "copysign": np.copysign, "hypot": np.hypot, "logaddexp": np.logaddexp,
                "logaddexp2": np.logaddexp2, "fmax": np.fmax, "fmin": np.fmin, "floatPower": c_pow,
                "bitwiseAnd": np.bitwise_and, "bitwiseOr": np.bitwise_or, "bitwiseXor": np.bitwise_xor,
                "leftShift": np.left_shift, "rightShift": np.right_shift}
NP_BINARY_INEXACT = {"copysign", "hypot", "logaddexp", "logaddexp2", "floatPower"}


def np_binary(args, p, m):
    a, b = args
    fn = p["fn"]
    if fn == "logicalXor":
        return V(np.logical_xor(a.a != 0, b.a != 0), "bool")
    d = jax_promote(a.d, b.d)
    if fn in NP_BINARY_INEXACT:
        d = inexact(d)
    r = NP_BINARY_PY[fn](lift(a, d, m), lift(b, d, m))
    if fn in ("hypot", "logaddexp", "logaddexp2", "floatPower"):
        r = approx(r, m)
    return V(cast(r, d, m), d)


def median(x, axes, keep):
    """np.median; an empty result (NumPy raises for some empty inputs) is JAX's empty array."""
    shape = np.sum(np.zeros(x.shape), axis=axes, keepdims=keep).shape
    if 0 in shape:
        return np.zeros(shape, x.dtype)
    return np.median(x, axis=axes, keepdims=keep)


def np_reduce(args, p, m):
    x, fn, axes, keep = args[0], p["fn"], axis_of(p), p["keepdims"]
    if fn == "countNonzero":
        r = np.count_nonzero(x.a, axis=axes, keepdims=keep) if axes != () else (x.a != 0)
        return V(np.asarray(r).astype(np.int32), "int32")
    if fn in ("var", "std", "median"):
        d = inexact(x.d)
        xs = lift(x, d, m)
        r = median(xs, axes, keep) if fn == "median" else \
            (np.var if fn == "var" else np.std)(xs, axis=axes, keepdims=keep, dtype=work(d, m))
        return V(cast(approx(r, m), d, m), d)
    if fn == "nansum":
        return reduce_([V(np.where(np.isnan(x.a), 0, x.a) if x.d in FLOATS else x.a, x.d)], {"fn": "sum", "axes": p["axes"], "keepdims": keep}, m)
    f = {"nanmax": np.nanmax, "nanmin": np.nanmin, "ptp": np.ptp}[fn]
    return V(cast(f(x.a, axis=axes, keepdims=keep), x.d, m), x.d)


def float_binary(f):
    """A same-dtype binary row: f(a, b, R) computed in float32 (float64), rounded per call."""
    def op(args, p, m):
        a, b = args
        R = Rounder(a.d, m)
        return V(cast(approx(f(fl(a, m), fl(b, m), R), m), a.d, m), a.d)
    return op


def int_or_float_binary(fi):
    """floorDivide and remainder rows (any numeric dtype): fi(a, b², +1) in the dtype."""
    def op(args, p, m):
        a, b = args
        if a.d in FLOATS:
            return float_binary(lambda x, y, R: fi(x, R(R(y * y) + 1)))(args, p, m)
        with np.errstate(all="ignore"):
            return V(fi(a.a, b.a * b.a + np.array(1, a.a.dtype)).astype(STORE[a.d]), a.d)
    return op


OPS.update(npUnary=np_unary, npBinary=np_binary, npReduce=np_reduce)
OPS["divide"] = float_binary(lambda a, b, R: a / R(R(b * b) + 0.5))
OPS["arctan2"] = float_binary(lambda a, b, R: np.arctan2(a, R(R(b * b) + 0.5)))
OPS["power"] = float_binary(lambda a, b, R: np.power(R(R(a * a) + 0.5), R(R.t(np.tanh(b)) * 3)))
OPS["floorDivide"] = int_or_float_binary(np.floor_divide)
OPS["remainder"] = int_or_float_binary(np.remainder)
OPS["powerInt"] = lambda args, p, m: V(np.power(args[0].a, np.remainder(args[1].a, np.array(4, args[1].a.dtype))), args[0].d)


# ---- the rows of NumPy's wider surface (npReduceMore, npScan, npShape, npJoin, npContract,
# npLinalg, npElem, npIndex, npEager in test/differential/ops.ts)

def sum_dtype(d):
    """JAX's dtype of sum/prod/cumsum/trace of dtype d (x64 off): unsigned -> uint32, bool and signed -> int32."""
    return d if d in FLOATS else "uint32" if d in ("uint8", "uint32") else "int32"


def empty_slices(shape, axes, keep):
    """The reduced shape, and whether the reduction's slices are empty."""
    out = np.sum(np.zeros(shape), axis=axes, keepdims=keep).shape
    n = int(np.prod([shape[a] for a in (range(len(shape)) if axes is None else axes)])) if len(shape) else 1
    return out, n == 0


def quantile_(xs, q, axes, keep):
    """np.quantile (linear); NaN for empty slices (JAX's) where NumPy raises."""
    out, empty = empty_slices(xs.shape, axes, keep)
    if 0 in out:
        return np.zeros(out, xs.dtype)
    if empty:
        return np.full(out, np.nan, xs.dtype)
    return np.quantile(xs, q, axis=axes, keepdims=keep)


def np_reduce_more(args, p, m):
    x, fn, keep = args[0], p["fn"], p["keepdims"]
    if fn in ("argmax", "argmin"):
        f = np.argmax if fn == "argmax" else np.argmin
        return V(np.asarray(f(x.a, axis=p["axis"], keepdims=keep)).astype(np.int32), "int32")
    axes = axis_of(p)
    if fn == "amax":
        return V(cast(np.max(x.a, axis=axes, keepdims=keep), x.d, m), x.d)
    if fn == "nanprod":
        if x.d in FLOATS:
            return V(cast(approx(np.prod(np.where(np.isnan(fl(x, m)), 1, fl(x, m)), axis=axes, keepdims=keep), m), x.d, m), x.d)
        return reduce_([x], {"fn": "prod", "axes": p["axes"], "keepdims": keep}, m)
    d = inexact(x.d)
    xs = lift(x, d, m)
    if fn in ("quantile", "percentile"):
        r = quantile_(xs.astype(np.float64), p["q"] / (100 if fn == "percentile" else 1), axes, keep)
    elif fn == "nanmedian":
        out, empty = empty_slices(xs.shape, axes, keep)
        r = np.zeros(out) if 0 in out else np.full(out, np.nan) if empty else np.nanmedian(xs.astype(np.float64), axis=axes, keepdims=keep)
    elif fn == "logsumexp":
        # JAX's: -inf over empty slices (SciPy raises there, and gives a 0-d input's axis=() result shape (1,)).
        out, empty = empty_slices(xs.shape, axes, keep)
        r = np.zeros(out) if 0 in out else np.full(out, -np.inf) if empty else \
            np.reshape(sp.logsumexp(xs.astype(np.float64), axis=axes, keepdims=keep), out)
    elif fn in ("nanmean", "nanvar", "nanstd"):
        f = {"nanmean": np.nanmean, "nanvar": np.nanvar, "nanstd": np.nanstd}[fn]
        r = f(xs, axis=axes, keepdims=keep, dtype=work(d, m))
    elif fn == "average":
        r = np.mean(xs, axis=axes, keepdims=keep, dtype=work(d, m))
    else:
        r = (np.var if fn == "varDdof" else np.std)(xs, axis=axes, keepdims=keep, dtype=work(d, m), ddof=1)
    return V(cast(approx(r, m), d, m), d)


def np_scan(args, p, m):
    x, fn = args[0], p["fn"]
    if fn == "diff":
        a = x.a
        for _ in range(p["n"]):
            if x.d == "bool":
                a = np.diff(a, axis=p["axis"])
            elif x.d in FLOATS:
                a = cast(np.diff(a.astype(work(x.d, m)), axis=p["axis"]), x.d, m)
            else:
                a = np.diff(a.astype(np.int64), axis=p["axis"]).astype(STORE[x.d]) if x.d != "int32" else \
                    (np.diff(a.astype(np.int64), axis=p["axis"]) & 0xFFFFFFFF).astype(np.uint32).view(np.int32)
        return V(a, x.d)
    axis = p["axis"]
    if fn in ("cumsumBool", "nancumsum"):
        xx = V(np.where(np.isnan(x.a), 0, x.a) if x.d in FLOATS else x.a, x.d)
        return cumsum_([xx], {"axis": axis}, m)
    xx = np.where(np.isnan(x.a), 1, x.a) if x.d in FLOATS and fn == "nancumprod" else x.a
    if x.d in FLOATS:
        return V(cast(approx(np.cumprod(xx.astype(work(x.d, m)), axis=axis), m), x.d, m), x.d)
    d = sum_dtype(x.d)
    acc = np.uint64 if d == "uint32" else np.int64
    # Products wrap modulo 2^32 at every step (a 64-bit cumprod would overflow).
    flat = xx.reshape(-1) if axis is None else np.moveaxis(xx, axis, -1)
    out = flat.astype(acc).copy()
    for k in range(1, out.shape[-1] if out.ndim else 0):
        out[..., k] = (out[..., k - 1] * out[..., k]) & 0xFFFFFFFF
    out = out if axis is None else np.moveaxis(out, -1, axis)
    return V(cast(out & 0xFFFFFFFF, d, m) if d == "uint32" else (out & 0xFFFFFFFF).astype(np.uint32).view(np.int32), d)


def np_shape(args, p, m):
    x, fn = args[0], p["fn"]
    a = x.a
    if fn == "swapaxes":
        r = np.swapaxes(a, p["a"], p["b"])
    elif fn == "moveaxis":
        r = np.moveaxis(a, p["src"], p["dst"])
    elif fn == "rot90":
        r = np.rot90(a, p["k"])
    elif fn == "ravel":
        r = np.ravel(a)
    elif fn == "squeezeAxis":
        r = np.squeeze(a, p["axis"])
    elif fn == "tile":
        r = np.tile(a, p["reps"])
    elif fn == "repeat":
        r = np.repeat(a, p["n"], axis=p["axis"])
    elif fn == "roll":
        r = np.roll(a, p["shift"], axis=p["axis"])
    elif fn == "stackSelf":
        r = np.stack([a, a], axis=p["axis"])
    elif fn == "split":
        r = np.split(a, p["sections"], axis=p["axis"])[p["k"]]
    elif fn in ("tril", "triu"):
        r = (np.tril if fn == "tril" else np.triu)(a, p["k"])
    elif fn == "diag":
        r = np.diag(a, p["k"])
    elif fn == "diagonal":
        r = np.diagonal(a, p["offset"])
    else:  # trace: a sum, in sum's dtype
        d = sum_dtype(x.d)
        if x.d in FLOATS:
            return V(cast(approx(np.trace(fl(x, m), p["offset"]), m), d, m), d)
        acc = np.uint64 if d == "uint32" else np.int64
        return V(cast(np.trace(a.astype(acc), p["offset"]) & 0xFFFFFFFF, "uint32", m).view(np.int32) if d == "int32"
                 else cast(np.trace(a.astype(acc), p["offset"]) & 0xFFFFFFFF, d, m), d)
    return V(np.array(r), x.d)


def np_join(args, p, m):
    a, b = args
    d = jax_promote(a.d, b.d)
    xa, xb = cast(a.a, d, m), cast(b.a, d, m)
    fn = p["fn"]
    if fn == "concatenateFlat":
        r = np.concatenate([xa.reshape(-1), xb.reshape(-1)])
    elif fn == "concatenate":
        r = np.concatenate([xa, xb], axis=p["axis"])
    elif fn == "stack":
        r = np.stack([xa, xb], axis=p["axis"])
    else:
        r = (np.hstack if fn == "hstack" else np.vstack)([xa, xb])
    return V(r, d)


def contract2(f):
    def op(args, p, m):
        return contract(lambda a, b, p: f(a, b, p))(args, p, m)
    return op


CONTRACT2 = {"tensordot": lambda a, b, p: np.tensordot(a, b, p["k"]), "outer": lambda a, b, p: np.outer(a, b),
             "inner": lambda a, b, p: np.inner(a, b), "vdot": lambda a, b, p: np.vdot(a, b),
             "kron": lambda a, b, p: np.kron(a, b)}


def np_contract(args, p, m):
    a, b = args
    d = a.d
    xs = [fl(x, m) if d in FLOATS else x.a.astype(np.int64 if d == "int32" else np.uint64) for x in args]
    r = CONTRACT2[p["fn"]](xs[0], xs[1], p)
    if d not in FLOATS:
        r = np.asarray(r) & 0xFFFFFFFF
        return V(cast(r, "uint32", m).view(np.int32) if d == "int32" else cast(r, d, m), d)
    eps = CONTRACTION_EPS.get(d, 2.0 ** -21) if p["fn"] not in ("outer", "kron") else 2.0 ** -21
    return V(cast(approx(r, m, eps), d, m), d)


def np_linalg(args, p, m):
    x, fn = args[0], p["fn"]
    if fn.startswith("norm"):
        a = fl(x, m)
        if fn == "norm":
            ord_ = p["ord"]
            ord_ = np.inf if ord_ == "inf" else -np.inf if ord_ == "-inf" else ord_
            if ord_ is None:
                r = np.sqrt(np.sum(a * a))
            else:
                r = np.linalg.norm(a, ord_)
        elif fn == "normAxis":
            ord_ = p["ord"]
            r = np.linalg.norm(a, np.inf if ord_ == "inf" else ord_, axis=p["axis"], keepdims=p["keepdims"])
            if ord_ is None:
                r = np.sqrt(np.sum(a * a, axis=p["axis"], keepdims=p["keepdims"]))
        else:
            ord_ = p["ord"]
            ord_ = np.inf if ord_ == "inf" else -np.inf if ord_ == "-inf" else ord_
            r = np.linalg.norm(a, ord_, axis=(-2, -1))
        return V(cast(approx(r, m), x.d, m), x.d)
    n = p["n"]
    c = np.clip(np.nan_to_num(x.a.astype(np.float32)).astype(np.float64), -2, 2)
    a = np.matmul(c, np.swapaxes(c, -1, -2)) + n * np.eye(n)
    if fn == "inv":
        r = np.linalg.inv(a)
    elif fn == "det":
        r = np.linalg.det(a)
    elif fn == "slogdet":
        r = np.linalg.slogdet(a)[1]
    elif fn == "cholesky":
        r = np.linalg.cholesky(a)
    elif fn == "eigvalsh":
        r = np.linalg.eigvalsh(a)
    else:
        r = np.linalg.solve(a, np.sum(a, axis=-1, keepdims=True))
    return V(cast(approx(r, m), x.d, m), x.d)


def np_elem(args, p, m):
    fn = p["fn"]
    if fn == "roundDecimals":
        x, dd = args[0], p["d"]
        if x.d not in FLOATS:
            return V(np.round(x.a, dd).astype(STORE[x.d]) if x.d != "bool" else x.a, x.d)
        R = lambda v: cast(v, x.d, m).astype(work(x.d, m))
        f = work(x.d, m)(10.0 ** abs(dd))
        a = fl(x, m)
        r = R(np.rint(R(a * f)) / f) if dd > 0 else R(np.rint(R(a / f)) * f)
        return V(cast(r, x.d, m), x.d)
    a, b = args
    d = jax_promote(a.d, b.d)
    if fn in ("divmodQ", "divmodR"):
        return binary_call("floorDivide" if fn == "divmodQ" else "remainder", a.a, a.d, b.a, b.d, d, m)
    if fn in ("clipLo", "clipHi"):
        # jnp.clip: maximum(lo, x) / minimum(hi, x), promoted.
        return binary_call("maximum" if fn == "clipLo" else "minimum", b.a, b.d, a.a, a.d, d, m)
    if fn in ("gcd", "lcm"):
        with np.errstate(all="ignore"):
            return V((np.gcd if fn == "gcd" else np.lcm)(a.a, b.a).astype(STORE[a.d]), a.d)
    d = inexact(d)
    xa, xb = lift(a, d, m), lift(b, d, m)
    R = lambda v: cast(v, d, m).astype(work(d, m))
    if fn == "heaviside":
        return V(cast(np.heaviside(xa, xb), d, m), d)
    # isclose in the promoted float dtype (JAX converts integers to float32; NumPy to float64).
    rtol, atol = R(np.array(1e-5)), R(np.array(1e-8))
    near = (R(np.abs(R(xa - xb))) <= R(atol + R(rtol * np.abs(xb)))) & np.isfinite(xb)
    close = near | (xa == xb)
    return V(np.all(close) if fn == "allclose" else close, "bool")


def np_index(args, p, m):
    fn = p["fn"]
    x = args[0]
    if fn == "takeAlongAxis":
        ix = sort_([x], {"fn": "argsort", "axis": p["axis"], "descending": p["descending"]}, m).a
        return V(np.take_along_axis(x.a, ix.astype(np.int64), axis=p["axis"]), x.d)
    if fn == "getTwo":
        return V(x.a[idx(p["a"])[..., None], idx(p["b"])], x.d)
    if fn == "searchsorted":
        v = args[1]
        d = jax_promote(x.d, v.d)
        sa = np.sort(x.a.reshape(-1), kind="stable")
        av, vv = cast(sa, d, m), cast(v.a, d, m)
        if d in FLOATS:
            av, vv = av.astype(np.float64), vv.astype(np.float64)
        # JAX's compare_all: how many of a sort before v (left), or not after it (right); NaN last.
        lt = lambda u, w: (u < w) | (np.isnan(w) & ~np.isnan(u)) if d in FLOATS else (u < w)
        g, e = vv[..., None], av
        cnt = lt(e, g) if p["side"] == "left" else ~lt(g, e)
        return V(cnt.sum(axis=-1).astype(np.int32), "int32")
    if fn == "bincount":
        c = scalar([scalar([x], {"fn": "maximum", "c": 0, "left": False}, m)], {"fn": "minimum", "c": 9, "left": False}, m)
        vals = c.a.reshape(-1).astype(np.int64)
        return V(np.bincount(vals, minlength=p["length"])[: p["length"]].astype(np.int32), "int32")
    # histogram: counts int32, edges in x's float dtype (float32 for integers).
    d = inexact(x.d)
    lo, hi = p["range"]
    edges = cast(np.linspace(lo, hi, p["bins"] + 1), d, m)
    if p["out"] == 1:
        return V(edges, d)
    xs = lift(x, d, m).reshape(-1).astype(np.float64)
    e = edges.astype(np.float64)
    k = np.searchsorted(e, xs, side="right") - 1
    k = np.where(xs == e[-1], p["bins"] - 1, k)
    ok = (xs >= e[0]) & (xs <= e[-1])
    return V(np.bincount(k[ok], minlength=p["bins"])[: p["bins"]].astype(np.int32), "int32")


def np_get(args, p, m):
    x, f = args[0], p["form"]
    a = x.a
    if f == "int":
        r = a[p["k"]]
    elif f == "ellipsisInt":
        r = a[..., p["k"]]
    elif f == "newaxis":
        r = a[..., None]
    elif f == "arrayEllipsisInt":
        r = a[idx(p["ix"]), ..., p["k"]]
    else:
        r = a[p["k"], ::-1, idx(p["ix"])]
    return V(np.array(r), x.d)


def np_eager(args, p, m):
    x, fn = args[0], p["fn"]
    a = x.a
    if fn in ("unique", "uniqueCounts"):
        flat = a.reshape(-1)
        order = np.argsort(flat, kind="stable")
        s = flat[order]
        same = (s[1:] == s[:-1]) | (np.isnan(s[1:]) & np.isnan(s[:-1]) if x.d in FLOATS else False)
        first = np.concatenate([[True], ~same]) if s.size else np.zeros(0, bool)
        if fn == "unique":
            return V(s[first], x.d)
        starts = np.nonzero(first)[0]
        return V(np.diff(np.append(starts, s.size)).astype(np.int32), "int32")
    if fn == "nonzero":
        return V(np.nonzero(a)[p["k"]].astype(np.int32), "int32")
    if fn == "flatnonzero":
        return V(np.flatnonzero(a).astype(np.int32), "int32")
    return V(np.argwhere(a).astype(np.int32), "int32")


OPS.update(npReduceMore=np_reduce_more, npScan=np_scan, npShape=np_shape, npJoin=np_join, npContract=np_contract,
           npLinalg=np_linalg, npElem=np_elem, npIndex=np_index, npEager=np_eager, npGet=np_get)


def dec(v, d):
    x = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "-0": -0.0}.get(v, v) if isinstance(v, str) else v
    return x


def load_input(e, m):
    d = e["d"]
    vals = [dec(v, d) for v in e["v"]]
    if d == "bool":
        a = np.array(vals, np.float64) != 0
    elif d in FLOATS:
        a = np.array(vals, np.float64).astype(np.float64 if m.f64 else STORE[d])
    else:
        a = np.array(vals, np.int64).astype(STORE[d])
    return V(a.reshape(e["s"]), d)


ERRORS = (ValueError, TypeError, OverflowError, IndexError, np.linalg.LinAlgError, ZeroDivisionError)


def run(prog, m):
    """The program's outputs, or ("error", name, step)."""
    vals = [load_input(e, m) for e in prog["inputs"]]
    for k, s in enumerate(prog["steps"]):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                m.step = k
                vals.append(OPS[s["op"]]([vals[a] for a in s["args"]], s["p"], m))
            except ERRORS as e:
                return ("error", type(e).__name__, k)
    return [vals[o] for o in prog["outputs"]]


def enc(v):
    a = v.a.astype(np.float64) if v.d in FLOATS else v.a
    out = []
    for x in a.reshape(-1).tolist():
        if v.d == "bool":
            out.append(bool(x))
        elif v.d in FLOATS:
            out.append("nan" if x != x else "inf" if x == np.inf else "-inf" if x == -np.inf else "-0" if x == 0 and np.signbit(x) else float(x))
        else:
            out.append(int(x))
    return {"d": v.d, "s": list(a.shape), "v": out}


def moved(want, other, rtol):
    """Flat indices where `other` differs from `want` (floats: beyond a quarter of the tolerance)."""
    w = want.a.reshape(-1)
    o = other.a.reshape(-1)
    if w.shape != o.shape:
        return list(range(w.size))
    if want.d in FLOATS:
        w, o = w.astype(np.float64), o.astype(np.float64)
        fin = np.isfinite(w)
        scale = max(1.0, float(np.max(np.abs(w[fin]))) if fin.any() else 1.0)
        with np.errstate(all="ignore"):
            bad = (np.isnan(w) != np.isnan(o)) | (np.isinf(w) & (w != o)) | \
                  (fin & ~(np.abs(w - o) <= 0.25 * rtol * (0.1 * scale + np.abs(w))))
    else:
        bad = w != o
    return [int(i) for i in np.nonzero(bad)[0]]


def evaluate(prog):
    main = Mode()
    want = run(prog, main)
    if isinstance(want, tuple):
        return {"program": prog, "want": {"error": want[1], "step": want[2]}, "unstable": [], "undefinedCast": []}
    others = [run(prog, Mode(f64=True)), run(prog, Mode(nudge=1)), run(prog, Mode(nudge=-1))]
    alt = run(prog, Mode(alt_cast=True))
    unstable, undef = [], []
    # A sort (or median, argmax...) moves an unstable value to any position of its lane.
    reorders = any(s["op"] in ("sort", "argReduce") or s["p"].get("fn") == "median" for s in prog["steps"])
    for k, w in enumerate(want):
        rtol = RTOL.get(w.d, 0)
        moves = set()
        for o in others:
            moves |= set(moved(w, o[k], rtol) if not isinstance(o, tuple) else range(w.a.size))
        unstable.append(list(range(w.a.size)) if moves and reorders else sorted(moves))
        undef.append(moved(w, alt[k], rtol) if not isinstance(alt, tuple) else list(range(w.a.size)))
    out = {"program": prog, "want": [enc(w) for w in want], "unstable": unstable, "undefinedCast": undef}
    # An output whose shape depends on an undefined cast (flatnonzero of one).
    shapes = [isinstance(alt, tuple) or alt[k].a.shape != w.a.shape for k, w in enumerate(want)]
    if any(shapes):
        out["undefinedShape"] = shapes
    if main.raised:
        out["numpyRaises"] = {"error": main.raised[0][0], "step": main.raised[0][1]}
    return out


def main():
    import argparse
    ap = argparse.ArgumentParser(description="NumPy's values of kiln's random NumPy programs")
    ap.add_argument("--from", dest="start", type=int, default=None, help="first seed (a deep run; default: the committed fixture's)")
    ap.add_argument("--count", type=int, default=None, help="programs (with --from)")
    ap.add_argument("--out", default=OUT, help="fixture file to write (a deep run's: anywhere, then KILN_NPDIFF_FIXTURE=FILE)")
    args = ap.parse_args()
    extra = [] if args.start is None else [str(args.start), str(args.count or 1000)]
    out = subprocess.run(["node", "--conditions=kiln-source", "--import", "tsx", "scripts/npdiff-programs.ts", *extra],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    programs = json.loads(out)
    results = [evaluate(p) for p in programs]
    doc = {"numpy": np.__version__, "generator": "scripts/npdiff-fixtures.py", "programs": results}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    errors = sum(1 for r in results if "error" in r["want"])
    print(f"{args.out}: {len(results)} programs ({errors} NumPy errors), {len(text)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
