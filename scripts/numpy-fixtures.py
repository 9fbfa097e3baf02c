#!/usr/bin/env python3
"""NumPy parity fixtures for kiln's np namespace (test/numpy-parity/).

A table of np functions x argument generators (shapes incl. 0-size and scalars, broadcasting
pairs, float32/int32/uint8/bool, axes incl. negative/None/tuples, keepdims, special values) drawn
from a fixed seed, evaluated in NumPy and written as compact JSON to test/fixtures/numpy/.
Run `python3 scripts/numpy-fixtures.py` (NumPy 2.x) after changing the table; the files are
committed, so CI needs no NumPy.

kiln follows JAX where JAX and NumPy differ; the expected dtype is NumPy's mapped through
`JAX_DTYPE_RULES` below. Values are NumPy's, cast to that dtype.

Encoding: an array is {"d": dtype, "s": shape, "v": flat values} with "nan", "inf", "-inf" for
non-finite floats (-0.0 stays a JSON number); a Python scalar argument (weakly typed, as in JAX) is
{"py": value}; anything else (shapes, axes, strings) is plain JSON passed to kiln as it is.
"""
import json
import os
import sys
import warnings

import numpy as np

SEED = 20261203
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "numpy")

# ---------------------------------------------------------------------------------------------
# The JAX expectation where NumPy differs, as (name, predicate on NumPy's result dtype and the
# input dtypes, replacement). Each cites the JAX documentation behaviour it encodes.
# ---------------------------------------------------------------------------------------------
JAX_DTYPE_RULES = [
    # "JAX uses 32-bit types by default" (jax.readthedocs.io, "Double (64bit) precision"): with
    # x64 disabled every 64-bit result is canonicalized to its 32-bit kind (sum of int32 is int32,
    # mean of int32 is float32, argmax is int32, int32 / int32 is float32).
    ("x64-disabled: float64 -> float32", lambda d, ins: d == "float64", "float32"),
    ("x64-disabled: int64 -> int32", lambda d, ins: d == "int64", "int32"),
    ("x64-disabled: uint64 -> uint32", lambda d, ins: d == "uint64", "uint32"),
    # "Type promotion semantics" (jax.readthedocs.io/en/latest/type_promotion.html): functions that
    # need an inexact result promote integers and bools to the default float type (float32),
    # where NumPy picks the smallest float that holds the integer type (float16 for uint8/bool).
    ("inexact of small ints: float16 -> float32",
     lambda d, ins: d == "float16" and all(i != "float16" for i in ins), "float32"),
]


def jax_dtype(np_dtype, in_dtypes):
    d = str(np_dtype)
    for _, pred, repl in JAX_DTYPE_RULES:
        if pred(d, in_dtypes):
            d = repl
    return d


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------
def enc_num(v, dtype):
    if dtype == "bool":
        return bool(v)
    if dtype.startswith("int") or dtype.startswith("uint"):
        return int(v)
    v = float(v)
    if v != v:
        return "nan"
    if v == float("inf"):
        return "inf"
    if v == float("-inf"):
        return "-inf"
    return v


def enc_array(a, dtype=None):
    a = np.asarray(a)
    dtype = dtype or str(a.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = a.astype(dtype)
    # float32 values printed through float64 are exact; shortest repr keeps files small.
    vals = [enc_num(v, dtype) for v in a.reshape(-1).tolist()]
    if dtype == "float32":
        vals = [float(np.format_float_positional(np.float32(v), unique=True)) if isinstance(v, float) else v for v in vals]
    return {"d": dtype, "s": list(a.shape), "v": vals}


class Py:
    """A Python scalar argument: weakly typed in JAX (and in kiln)."""

    def __init__(self, v):
        self.v = v


class Sl:
    """An index slice(start, stop, step) (kiln's np.slice; NumPy's slice)."""

    def __init__(self, *a):
        self.a = list(a) + [None] * (3 - len(a))


NEWAXIS = "newaxis"


def enc_arg(a):
    if isinstance(a, Sl):
        return {"slice": a.a}
    if a is NEWAXIS:
        return {"newaxis": True}
    if isinstance(a, np.ndarray):
        return enc_array(a)
    if isinstance(a, Py):
        return {"py": enc_num(a.v, "float64" if isinstance(a.v, float) else "int32")}
    if isinstance(a, (list, tuple)) and any(isinstance(x, (np.ndarray, Sl)) or x is NEWAXIS for x in a):
        return [enc_arg(x) for x in a]
    return a


def to_np(a):
    if isinstance(a, Sl):
        return slice(*a.a)
    if a is NEWAXIS:
        return None
    if isinstance(a, Py):
        return a.v
    if isinstance(a, list) and any(isinstance(x, (np.ndarray, Sl)) or x is NEWAXIS for x in a):
        return [to_np(x) for x in a]
    return a


# ---------------------------------------------------------------------------------------------
# Argument generators
# ---------------------------------------------------------------------------------------------
rng = np.random.default_rng(SEED)
SPECIAL_F = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e30, -1e30, 3.0e38, 0.5, -0.5, 2.5, -1.5]
SPECIAL_I = [-(2**31), 2**31 - 1, 0, -1, 1]
SHAPES = [[], [0], [1], [5], [2, 3], [3, 1], [2, 0, 3], [1, 4], [3, 1, 2], [2, 3, 4]]
NONEMPTY = [s for s in SHAPES if 0 not in s]
MATRICES = [[2, 3], [3, 1], [1, 4], [3, 3], [2, 3, 4]]
PAIRS = [([2, 3], [2, 3]), ([2, 3], [3]), ([2, 1], [1, 3]), ([], [4]), ([4], []), ([0], [1]),
         ([3, 1, 2], [4, 1]), ([2, 0], [2, 1]), ([5], [5]), ([1], [3, 2]), ([2, 2, 2], [2])]


SPECIAL_SUMMABLE = [x for x in SPECIAL_F if not (np.isfinite(x) and abs(x) > 1e6)]


def arr(shape, dtype="float32", special=None, lo=-40, hi=40, scale=8.0, huge=True):
    """Values that float32 holds exactly (k/8): ties for rounding, no input rounding. `huge=False`
    leaves out ±1e30 and 3e38, whose cancellation in a float32 sum depends on the summation order."""
    n = int(np.prod(shape)) if shape else 1
    special = (rng.random() < 0.3) if special is None else special
    if dtype == "bool":
        v = rng.random(n) < 0.5
    elif dtype == "uint8":
        v = rng.integers(0, 256, n)
    elif dtype == "int32":
        v = rng.integers(-20, 21, n)
        if special and n:
            k = rng.integers(0, n + 1)
            v[rng.choice(n, size=min(k, n), replace=False)] = rng.choice(SPECIAL_I, size=min(k, n))
    else:
        v = rng.integers(lo, hi + 1, n) / scale
        if special and n:
            k = max(1, n // 3)
            v[rng.choice(n, size=k, replace=False)] = rng.choice(SPECIAL_F if huge else SPECIAL_SUMMABLE, size=k)
    return np.asarray(v).astype(dtype).reshape(shape)


def axis_choices(ndim, tuples=True):
    c = [None]
    if ndim:
        c += [int(rng.integers(0, ndim)), -1, -ndim]
    if tuples and ndim >= 2:
        c.append([0, -1])
    return c


def pick(xs):
    return xs[int(rng.integers(0, len(xs)))]


# ---------------------------------------------------------------------------------------------
# The table: kiln name -> (generator of (args, opts) pairs, NumPy function of (*args, **opts)).
# opts use kiln's names (camelCase); `kw` maps them to NumPy's.
# ---------------------------------------------------------------------------------------------
def kw(opts):
    names = {"keepdims": "keepdims", "equalNan": "equal_nan", "constantValues": "constant_values",
             "toEnd": "to_end", "toBegin": "to_begin"}
    out = {}
    for k, v in opts.items():
        if isinstance(v, list) and k == "axis":
            v = tuple(v)
        out[names.get(k, k)] = v
    return out


CASES = []


def case(fn, args, opts=None, ref=None, tol="f32", eager_only=False, post=None, note=None, no_recast=False):
    CASES.append(dict(fn=fn, args=args, opts=opts or {}, ref=ref, tol=tol, eager_only=eager_only, post=post, note=note,
                      no_recast=no_recast))


UNARY_FLOAT = {
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10,
    "log1p": np.log1p, "sqrt": np.sqrt, "cbrt": np.cbrt, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "sinc": np.sinc,
    "sigmoid": lambda x: 1 / (1 + np.exp(-np.asarray(x, np.float64))),
    "rsqrt": lambda x: 1 / np.sqrt(np.asarray(x, np.float64)),
}
UNARY_ANY = {
    "negative": np.negative, "abs": np.abs, "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "rint": np.rint, "square": np.square, "isnan": np.isnan, "isfinite": np.isfinite, "isinf": np.isinf,
    "signbit": np.signbit, "logicalNot": np.logical_not, "reciprocal": np.reciprocal,
    "relu": lambda x: np.maximum(x, 0).astype(np.asarray(x).dtype),
    "nanToNum": np.nan_to_num,
}
BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "floorDivide": np.floor_divide, "remainder": np.remainder, "power": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin, "fmod": np.fmod,
    "arctan2": np.arctan2, "equal": np.equal, "notEqual": np.not_equal, "less": np.less,
    "lessEqual": np.less_equal, "greater": np.greater, "greaterEqual": np.greater_equal,
    "logicalAnd": np.logical_and, "logicalOr": np.logical_or, "logicalXor": np.logical_xor,
    "copysign": np.copysign, "logaddexp": np.logaddexp, "logaddexp2": np.logaddexp2,
    "floatPower": np.float_power,
}
INT_ONLY = {"bitwiseAnd": np.bitwise_and, "bitwiseOr": np.bitwise_or, "bitwiseXor": np.bitwise_xor}
FLOAT_ONLY_BIN = {"arctan2", "copysign", "logaddexp", "logaddexp2", "fmod", "floatPower"}
NO_BOOL_BIN = {"add", "subtract", "multiply", "divide", "floorDivide", "remainder", "power", "arctan2",
               "copysign", "logaddexp", "logaddexp2", "fmod", "floatPower"}


def gen_elementwise():
    for name, f in UNARY_FLOAT.items():
        for dt in ["float32", "float32", "int32", "uint8", "bool"]:
            for shape in [pick(SHAPES), [2, 3]]:
                case(name, [arr(shape, dt)], ref=f, tol="f32t")
    for name, f in UNARY_ANY.items():
        for dt in ["float32", "float32", "int32", "uint8", "bool"]:
            if dt == "bool" and name in ("negative", "abs", "sign", "square", "reciprocal", "floor", "ceil", "rint", "relu"):
                continue
            if name == "reciprocal" and dt != "float32":
                continue
            case(name, [arr(pick(SHAPES), dt)], ref=f)
    for decimals in [0, 0, 1, 2, -1]:
        for dt in ["float32", "int32"]:
            if dt == "int32" and decimals > 0:
                continue
            x = arr([7], dt, scale=4.0 if decimals == 0 else 80.0, lo=-400, hi=400)
            case("round", [x, decimals], ref=lambda x, d: np.round(x, d))
    for dt in ["int32", "uint8", "bool"]:
        case("invert", [arr([2, 3], dt)], ref=np.invert)
    case("modf", [arr([6], "float32", special=True)], ref=np.modf)
    for name, f in {**BINARY, **INT_ONLY}.items():
        dts = [("float32", "float32"), ("float32", "float32"), ("int32", "int32"), ("int32", "float32"),
               ("uint8", "int32"), ("uint8", "uint8"), ("bool", "bool"), ("bool", "int32")]
        if name in INT_ONLY:
            dts = [("int32", "int32"), ("uint8", "uint8"), ("bool", "bool"), ("int32", "uint8")]
        for da, db in dts:
            if name in FLOAT_ONLY_BIN and "float32" not in (da, db) and name not in ("fmod", "copysign"):
                pass
            if name in NO_BOOL_BIN and da == "bool" and db == "bool":
                continue
            sa, sb = pick(PAIRS)
            a, b = arr(sa, da), arr(sb, db)
            if name == "power" and db != "float32":
                b = np.abs(b) % 5 if db != "bool" else b
                if da == "int32":
                    a = np.clip(a, -20, 20).astype(a.dtype)
            if name in ("floatPower",) and db != "float32":
                b = np.abs(b) % 5
            case(name, [a, b], ref=f, tol="f32t")
        # a weakly typed Python scalar on either side
        if name not in INT_ONLY:
            for da, s in [("float32", Py(1.5)), ("int32", Py(2)), ("int32", Py(-2.5)), ("uint8", Py(3))]:
                if name == "power" and da == "int32" and isinstance(s.v, int) and s.v < 0:
                    continue
                case(name, [arr([2, 3], da), s], ref=f, tol="f32t")
            case(name, [Py(3), arr([4], "int32")] if name != "power" else [Py(2), arr([4], "uint8")], ref=f, tol="f32t")
    for sh in [([2, 3], [8]), ([4], [4])]:
        a = arr(sh[0], "int32", special=False)
        b = np.abs(arr(sh[1] if len(sh[1]) == 1 and sh[1][0] != 8 else [3], "int32", special=False)) % 31
        case("leftShift", [a, b], ref=np.left_shift)
        case("rightShift", [a, b], ref=np.right_shift)
    # integer division and remainder signs, incl. by zero (NumPy: 0) and INT_MIN // -1 (wraps)
    a = np.array([7, -7, 7, -7, 0, 5, -(2**31), -(2**31), 3], np.int32)
    b = np.array([2, 2, -2, -2, 3, 0, -1, 1, 0], np.int32)
    case("floorDivide", [a, b], ref=np.floor_divide, note="signs, /0, INT_MIN//-1")
    case("remainder", [a, b], ref=np.remainder, note="signs, %0")
    case("divmod", [a, b], ref=np.divmod)
    fa = np.array([7, -7, 7, -7, 5.5, -5.5, 1, -1, 0, np.inf, 5, -5], np.float32)
    fb = np.array([2, 2, -2, -2, 0, 0, np.inf, np.inf, 0, 2, -np.inf, -np.inf], np.float32)
    for name in ["floorDivide", "remainder", "fmod"]:
        case(name, [fa, fb], ref=BINARY[name], note="float signs, /0, inf")
    case("divmod", [fa, fb], ref=np.divmod)
    # where / clip / select
    for sa, sb in PAIRS[:6]:
        c = arr(sa, "bool")
        case("where", [c, arr(sb, "float32"), arr(sb, "int32")], ref=np.where)
    case("where", [arr([2, 3], "bool"), Py(1.5), arr([3], "int32")], ref=np.where)
    case("where", [arr([4], "int32"), Py(1), Py(0)], ref=np.where, note="int condition, two weak ints")
    for dt in ["float32", "float32", "int32", "uint8"]:
        x = arr([2, 5], dt, special=True)
        case("clip", [x, Py(-1), Py(2)] if dt != "uint8" else [x, Py(10), Py(200)], ref=np.clip)
        case("clip", [x, None, Py(1)], ref=lambda x, lo, hi: np.clip(x, lo, hi))
        case("clip", [x, Py(0), None], ref=lambda x, lo, hi: np.clip(x, lo, hi))
    case("clip", [arr([6], "float32"), arr([6], "float32"), arr([1], "float32")], ref=np.clip)
    case("clip", [np.array([1, np.nan, -3, 4], np.float32), Py(-1.0), Py(np.nan)], ref=np.clip, note="NaN bound")
    case("clip", [np.array([5, -5, 0], np.float32), Py(2.0), Py(-2.0)], ref=np.clip, note="lo > hi: hi wins")
    for _ in range(3):
        conds = [arr([5], "bool"), arr([5], "bool")]
        choices = [arr([5], "float32"), arr([1], "float32")]
        case("select", [conds, choices, Py(-1.0)], ref=lambda c, ch, d: np.select(c, ch, d))
    for dt in ["float32", "int32"]:
        case("isclose", [arr([6], dt, special=True), arr([6], dt, special=True)], ref=np.isclose)
    case("isclose", [np.array([np.nan, 1, np.inf], np.float32), np.array([np.nan, 1.000001, np.inf], np.float32)],
         opts={"equalNan": True}, ref=lambda a, b, equalNan: np.isclose(a, b, equal_nan=equalNan))


SUMMING = {"sum", "mean", "var", "std", "nansum", "nanmean", "nanvar", "nanstd", "logsumexp", "average", "cumsum", "nancumsum"}


def red(fn, ref, dts, keepdims=True, extra=None, tol="f32r", shapes=None):
    for dt in dts:
        # six of the shapes per dtype (always a 0-size one): the full product is mostly repetition
        some = [SHAPES[i] for i in sorted(rng.choice(len(SHAPES), size=5, replace=False))] + [pick([[0], [2, 0, 3]])]
        for shape in shapes or some:
            for axis in axis_choices(len(shape)):
                opts = {"axis": axis}
                if keepdims and rng.random() < 0.4:
                    opts["keepdims"] = True
                if extra:
                    opts.update(extra(dt))
                if axis is None and "axis" in opts and rng.random() < 0.5:
                    del opts["axis"]
                case(fn, [arr(shape, dt, huge=fn not in SUMMING)], opts=opts, ref=ref, tol=tol)


def npkw(f):
    return lambda x, **o: f(x, **kw(o))


def gen_reductions():
    red("sum", npkw(np.sum), ["float32", "int32", "uint8", "bool"])
    red("prod", npkw(np.prod), ["float32", "int32", "uint8", "bool"])
    red("mean", npkw(np.mean), ["float32", "int32", "bool"])
    red("max", npkw(np.max), ["float32", "int32", "uint8", "bool"])
    red("min", npkw(np.min), ["float32", "int32"])
    red("all", npkw(np.all), ["bool", "float32", "int32"])
    red("any", npkw(np.any), ["bool", "float32"])
    red("var", npkw(np.var), ["float32", "int32"], extra=lambda dt: {"ddof": int(rng.integers(0, 2))})
    red("std", npkw(np.std), ["float32", "int32"], extra=lambda dt: {"ddof": int(rng.integers(0, 2))})
    red("nansum", npkw(np.nansum), ["float32"])
    red("nanmean", npkw(np.nanmean), ["float32"])
    red("nanmax", npkw(np.nanmax), ["float32"])
    red("nanmin", npkw(np.nanmin), ["float32"])
    red("countNonzero", npkw(np.count_nonzero), ["float32", "int32", "bool"])
    red("logsumexp", logsumexp_ref, ["float32"])
    for fn, f in [("argmax", np.argmax), ("argmin", np.argmin)]:
        for dt in ["float32", "int32", "bool"]:
            for shape in NONEMPTY:
                for axis in axis_choices(len(shape), tuples=False):
                    opts = {"axis": axis}
                    if rng.random() < 0.3:
                        opts["keepdims"] = True
                    x = arr(shape, dt, lo=-2, hi=2, scale=1.0)  # ties
                    case(fn, [x], opts=opts, ref=npkw(f))
    for fn, f in [("cumsum", np.cumsum), ("cumprod", np.cumprod), ("nancumsum", np.nancumsum)]:
        for dt in ["float32", "int32", "uint8", "bool"] if fn != "nancumsum" else ["float32"]:
            for shape in SHAPES:
                axis = pick(axis_choices(len(shape), tuples=False))
                opts = {} if axis is None else {"axis": axis}
                x = arr(shape, dt, lo=-12, hi=12, scale=4.0, huge=fn not in SUMMING)
                case(fn, [x], opts=opts, ref=npkw(f), tol="f32r")
    for shape in [[5], [2, 3]]:
        w = arr(shape, "float32", special=False, lo=1, hi=9)
        case("average", [arr(shape, "float32", special=False)], opts={"weights": w, "axis": -1},
             ref=lambda x, weights, axis: np.average(x, weights=weights, axis=axis), tol="f32r")
    case("sum", [arr([2, 3], "int32")], opts={"axis": 0, "dtype": "float32"}, ref=lambda x, axis, dtype: np.sum(x, axis=axis, dtype=dtype))
    case("cumsum", [arr([2, 3], "bool")], opts={"axis": 1, "dtype": "float32"}, ref=lambda x, axis, dtype: np.cumsum(x, axis=axis, dtype=dtype))


def gen_shape():
    for shape in NONEMPTY + [[2, 0, 3]]:
        x = arr(shape, pick(["float32", "int32"]))
        case("reshape", [x, [-1]], ref=np.reshape)
        if len(shape) >= 2:
            case("transpose", [x], ref=np.transpose)
            perm = list(rng.permutation(len(shape)).tolist())
            case("transpose", [x, perm], ref=np.transpose)
            case("swapaxes", [x, 0, -1], ref=np.swapaxes)
            case("moveaxis", [x, 0, -1], ref=np.moveaxis)
        case("expandDims", [x, -1], ref=np.expand_dims)
        case("expandDims", [x, 0], ref=np.expand_dims)
        case("squeeze", [x], ref=np.squeeze)
        case("flip", [x], ref=np.flip)
        if shape:
            case("flip", [x, -1], ref=np.flip)
            case("roll", [x, 2], ref=lambda x, s: np.roll(x, s))
            case("roll", [x, -1, 0], ref=lambda x, s, a: np.roll(x, s, a))
            case("repeat", [x, 2], ref=lambda x, r: np.repeat(x, r))
            case("repeat", [x, 2], opts={"axis": -1}, ref=lambda x, r, axis: np.repeat(x, r, axis=axis))
            case("tile", [x, [2, 1]], ref=np.tile)
            case("pad", [x, 1], ref=lambda x, p: np.pad(x, p))
            case("pad", [x, [[1, 2]] * len(shape)], opts={"constantValues": 7}, ref=lambda x, p, constantValues: np.pad(x, p, constant_values=constantValues))
            case("diff", [x], ref=lambda x: np.diff(x))
            case("append", [x, arr([3], x.dtype.name)], ref=lambda x, v: np.append(x, v))
            case("broadcastTo", [x, [2] + shape], ref=np.broadcast_to)
        if len(shape) == 2:
            case("tril", [x], ref=np.tril)
            case("triu", [x, 1], ref=np.triu)
            case("tril", [x, -1], ref=np.tril)
            case("diagonal", [x], ref=np.diagonal)
            case("diagonal", [x], opts={"offset": 1}, ref=lambda x, offset: np.diagonal(x, offset))
            case("trace", [x], ref=np.trace)
            case("rot90", [x], ref=np.rot90)
            case("rot90", [x, -1], ref=np.rot90)
    for dt in ["float32", "int32"]:
        a, b = arr([2, 3], dt), arr([2, 3], dt)
        case("concatenate", [[a, b]], ref=lambda xs: np.concatenate(xs))
        case("concatenate", [[a, b]], opts={"axis": -1}, ref=lambda xs, axis: np.concatenate(xs, axis=axis))
        case("stack", [[a, b]], ref=lambda xs: np.stack(xs))
        case("stack", [[a, b]], opts={"axis": -1}, ref=lambda xs, axis: np.stack(xs, axis=axis))
        case("vstack", [[a, b]], ref=np.vstack)
        case("hstack", [[a, b]], ref=np.hstack)
        case("dstack", [[a, b]], ref=np.dstack)
        case("concatenate", [[arr([2, 0], dt), arr([2, 3], dt)]], opts={"axis": 1}, ref=lambda xs, axis: np.concatenate(xs, axis=axis))
    case("concatenate", [[arr([3], "int32"), arr([2], "float32")]], ref=lambda xs: np.concatenate(xs), note="promotes")
    case("split", [arr([6, 2]), 3], ref=np.split)
    case("split", [arr([6, 2]), [1, 4]], ref=np.split)
    case("split", [arr([2, 6]), 2], opts={"axis": -1}, ref=lambda x, s, axis: np.split(x, s, axis=axis))
    case("arraySplit", [arr([7]), 3], ref=np.array_split)
    case("diag", [arr([3])], ref=np.diag)
    case("diag", [arr([3]), -1], ref=np.diag)
    case("diag", [arr([3, 4]), 1], ref=np.diag)


def gen_indexing():
    for shape in [[5], [3, 4], [2, 3, 2]]:
        x = arr(shape, pick(["float32", "int32"]))
        for axis in [None, 0, -1]:
            n = x.size if axis is None else shape[axis]
            idx = rng.integers(-n, n, size=pick([[4], [2, 2], []])).astype(np.int32)
            opts = {} if axis is None else {"axis": axis}
            case("take", [x, idx], opts=opts, ref=lambda x, i, **o: np.take(x, i, **o))
        ax = -1
        idx = rng.integers(0, shape[ax], size=shape[:-1] + [3]).astype(np.int32)
        case("takeAlongAxis", [x, idx, ax], ref=np.take_along_axis)


def get_ref(x, *idx):
    # JAX clamps out-of-range gather indices (jax.readthedocs.io, "Out-of-bounds indexing": for
    # retrieval the index is clamped to the bounds); NumPy raises. Array indices are clamped here,
    # after NumPy's own wrap of negative ones.
    out, axis = [], 0
    for i in idx:
        if isinstance(i, np.ndarray) and i.dtype.kind in "iu":
            n = x.shape[axis]
            i = np.clip(np.where(i < 0, i + n, i), 0, n - 1)
        out.append(i)
        axis += 0 if i is None or i is Ellipsis else 1
    return x[tuple(out)]


def at_ref(op):
    def f(x, idx, v):
        y = x.copy()
        t = tuple(to_np(i) for i in idx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vv = np.asarray(v).astype(x.dtype) if isinstance(v, np.ndarray) else v
        if op == "set":
            y[t] = vv
        else:
            np.add.at(y, t, vv)  # repeated indices accumulate (JAX .at[].add)
        return y
    return f


def gen_get():
    x = arr([4, 5], "float32")
    y = arr([2, 3, 4], "int32")
    for idx in [[1], [-1], [Sl(1, None, 2)], [Sl(None, None, -1)], [Sl(None, None, -2), Sl(1, 4)], [NEWAXIS, Sl(1, 3)],
                [Sl(), -2], [Sl(3, 0, -1), Sl(None, None, 3)], [Sl(10, 20)], [Sl(-100, 2)], [2, 3]]:
        case("get", [x] + idx, ref=get_ref)
    for idx in [[0, Sl(), -1], ["...", 1], [Sl(None, None, -1), NEWAXIS, 2], [1, "..."]]:
        case("get", [y] + idx, ref=lambda x, *i: get_ref(x, *[Ellipsis if j == "..." else j for j in i]))
    for n in [[3], [2, 2]]:
        idx = rng.integers(-4, 4, size=n).astype(np.int32)
        case("get", [x, idx], ref=get_ref)
        case("get", [x, Sl(), np.abs(idx) % 5], ref=get_ref)
    case("get", [x, np.array([0, 7, -9, 3], np.int32)], ref=get_ref, note="out of range: clamped (JAX)")
    for op in ["set", "add"]:
        case(f"at.{op}", [x, [1], Py(7.5)], ref=at_ref(op))
        case(f"at.{op}", [x, [Sl(None, None, 2), -1], arr([2], "float32")], ref=at_ref(op))
        case(f"at.{op}", [y, [np.array([0, 1, 1, -1], np.int32)], Py(3)], ref=at_ref(op) if op == "add" else
             lambda x, idx, v: at_ref("set")(x, [np.array([0, 1, -1], np.int32)], v), note="repeated indices")
        case(f"at.{op}", [arr([6], "int32"), [np.array([2, 0, 4], np.int32)], arr([3], "float32")], ref=at_ref(op), note="value cast to x's dtype")


def gen_edges():
    """Bad input NumPy rejects (kiln must raise a typed error) and dtype corners."""
    x = arr([2, 3], "float32", special=False)
    case("sum", [x], opts={"axis": 2}, ref=npkw(np.sum), note="axis out of range")
    case("sum", [x], opts={"axis": -3}, ref=npkw(np.sum), note="axis out of range")
    case("mean", [x], opts={"axis": [1, -1]}, ref=npkw(np.mean), note="repeated axis")
    case("add", [x, arr([2], "float32")], ref=np.add, note="shapes do not broadcast")
    case("squeeze", [x, 0], ref=np.squeeze, note="squeezing a non-1 axis")
    case("reshape", [x, [4, -1]], ref=np.reshape, note="size mismatch")
    case("reshape", [x, [-1, -1]], ref=np.reshape, note="two -1")
    case("concatenate", [[x, arr([2, 2], "float32")]], ref=lambda xs: np.concatenate(xs), note="mismatched axis")
    case("matmul", [x, x], ref=np.matmul, note="inner dims differ")
    case("transpose", [x, [0, 0]], ref=np.transpose, note="not a permutation")
    case("transpose", [arr([2, 3, 4], "int32"), [-1, 0, -2]], ref=np.transpose)
    case("expandDims", [x, [0, -1]], ref=np.expand_dims)
    case("moveaxis", [arr([2, 3, 4], "int32"), [0, 1], [-1, -3]], ref=np.moveaxis)
    case("take", [arr([5], "int32"), np.array([1], np.int32)], opts={"axis": 1}, ref=lambda x, i, axis: np.take(x, i, axis=axis), note="axis out of range")
    for name in ["negative", "abs", "sign"]:
        case(name, [np.array([0, 1, 200, 255], np.uint8)], ref=UNARY_ANY[name], note="unsigned wraps")
    case("abs", [np.array([-(2**31), -5, 2**31 - 1], np.int32)], ref=np.abs, note="abs(INT_MIN) wraps")
    case("negative", [np.array([-(2**31), 0], np.int32)], ref=np.negative, note="wraps")
    case("power", [np.array([2, -3, 7, 0], np.int32), np.array([31, 21, 12, 0], np.int32)], ref=np.power, note="wraps")
    case("power", [np.array([0, 0, -0.0, 2, -2], np.float32), np.array([-1, 0.5, -3, -1074, 3], np.float32)], ref=np.power, tol="f32t")
    for name in ["add", "multiply", "maximum", "minimum"]:
        case(name, [np.array([True, True, False, False]), np.array([True, False, True, False])], ref=BINARY[name], note="bool op bool is bool")
    case("subtract", [np.array([True, False]), np.array([True, True])], ref=np.subtract, note="NumPy rejects bool - bool")
    case("negative", [np.array([True, False])], ref=np.negative, note="NumPy rejects -bool")
    case("clip", [arr([6], "int32"), Py(-1.5), Py(2.5)], ref=np.clip, note="weak float bounds promote int32")
    case("clip", [arr([6], "uint8"), Py(3), Py(100)], ref=np.clip)
    case("where", [np.array([True, False]), arr([2], "uint8"), arr([2], "int32")], ref=np.where)
    case("where", [np.array([True, False]), arr([2], "bool"), Py(2.5)], ref=np.where)
    case("var", [arr([3], "float32", special=False)], opts={"ddof": 3}, ref=npkw(np.var), note="ddof = n")
    case("var", [arr([3], "float32", special=False)], opts={"ddof": 5}, ref=npkw(np.var), note="ddof > n")
    case("std", [arr([2, 3], "int32")], opts={"axis": 0, "ddof": 1}, ref=npkw(np.std), tol="f32r")
    case("mean", [np.array([2**31 - 1, 2**31 - 1], np.int32)], ref=npkw(np.mean), tol="f32r", note="mean of ints does not wrap")
    case("sum", [np.array([2**31 - 1, 1], np.int32)], ref=npkw(np.sum), note="int32 sum wraps")
    case("argmax", [np.array([1, np.nan, 3, np.nan], np.float32)], ref=npkw(np.argmax), note="first NaN")
    case("argmin", [np.array([0.0, -0.0, 0.0], np.float32)], ref=npkw(np.argmin), note="-0 == 0: first")
    case("argmax", [np.array([[1, 5, 5], [7, 7, 2]], np.int32)], opts={"axis": 1}, ref=npkw(np.argmax), note="ties: first")
    case("max", [np.array([1, np.nan, 3], np.float32)], ref=npkw(np.max), note="NaN propagates")
    case("maximum", [np.array([np.nan, 1, -0.0], np.float32), np.array([1, np.nan, 0.0], np.float32)], ref=np.maximum)
    case("fmax", [np.array([np.nan, 1, np.nan], np.float32), np.array([1, np.nan, np.nan], np.float32)], ref=np.fmax)
    case("sort", [np.array([np.nan, 1, -np.inf, np.nan, np.inf, -1], np.float32)], ref=np.sort, note="NaN last")
    case("argsort", [np.array([np.nan, 1, 1, np.nan, -1, 1], np.float32)], ref=lambda x: np.argsort(x, kind="stable"))
    case("round", [np.array([0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 1e30, np.nan, np.inf], np.float32)], ref=np.round, note="half to even")
    case("round", [np.array([0.125, 0.375, -0.625, 2.675, 1234.5678], np.float32), 2], ref=lambda x, d: np.round(x, d), tol="f32t")
    case("round", [np.array([15, 25, -35, 149, 150], np.int32), -1], ref=lambda x, d: np.round(x, d), note="ints half to even")
    case("rint", [np.array([0.5, 1.5, 2.5, -0.5], np.float32)], ref=np.rint)
    case("floorDivide", [np.array([1, -1, 0, -0.0], np.float32), Py(0.0)], ref=np.floor_divide)
    case("remainder", [np.array([5, -5, 5, -5], np.int32), np.array([3, 3, -3, -3], np.int32)], ref=np.remainder)
    case("fmod", [np.array([5, -5, 5, -5], np.int32), np.array([3, 3, -3, 0], np.int32)], ref=np.fmod)
    case("rightShift", [np.array([-8, -1, 8], np.int32), np.array([1, 31, 2], np.int32)], ref=np.right_shift, note="arithmetic shift")
    case("leftShift", [np.array([1, 1, 3], np.int32), np.array([31, 30, 0], np.int32)], ref=np.left_shift)
    case("linspace", [0, 1, 1], opts={"endpoint": False}, ref=lambda *a, **o: np.linspace(*a, **o))
    case("linspace", [5, 5, 3], ref=np.linspace)
    case("arange", [0, 1, 0.3], ref=np.arange, tol="f32r")
    case("arange", [-1, -5, -1], opts={"dtype": "int32"}, ref=lambda *a, dtype: np.arange(*a, dtype=dtype))
    case("eye", [3], opts={"k": 5}, ref=lambda n, k: np.eye(n, k=k))
    case("mean", [np.array([True, False, True])], ref=npkw(np.mean))
    case("cumsum", [np.array(5, np.int32)], opts={"axis": 0}, ref=npkw(np.cumsum), note="0-d with an axis")
    case("diff", [arr([2, 5], "int32")], opts={"axis": 0}, ref=lambda x, axis: np.diff(x, axis=axis))
    case("diff", [arr([6], "float32"), 2], ref=np.diff)
    case("diff", [np.array([True, False, False], bool)], ref=np.diff, note="bool diff is xor")


def quantile_ref(f, x, q, **o):
    # JAX's "midpoint" is (lower + higher) / 2 (jnp.quantile; also NumPy's median, a mean of the
    # middle pair); NumPy's quantile interpolates it with its lerp, NaN for the pair (inf, inf).
    if o.get("method") == "midpoint":
        lo = f(x, q, **kw({**o, "method": "lower"}))
        hi = f(x, q, **kw({**o, "method": "higher"}))
        return (np.asarray(lo, np.float64) + np.asarray(hi, np.float64)) * 0.5
    return f(x, q, **kw(o))


def gen_quantiles():
    methods = ["linear", "lower", "higher", "nearest", "midpoint"]
    for fn, f, scale in [("quantile", np.quantile, 1), ("percentile", np.percentile, 100),
                         ("nanquantile", np.nanquantile, 1), ("nanpercentile", np.nanpercentile, 100)]:
        # (no empty arrays: NumPy raises IndexError in quantile and gives odd shapes in nanquantile)
        for shape in [[1], [5], [6], [2, 3], [3, 4], [2, 3, 4]]:
            for method in methods:
                axis = pick(axis_choices(len(shape)))
                q = pick([0.5, 0.0, 1.0, 0.25, [0.1, 0.5, 0.9], [0.3, 0.7]])
                q = [v * scale for v in q] if isinstance(q, list) else q * scale
                opts = {"axis": axis, "method": method}
                if rng.random() < 0.3:
                    opts["keepdims"] = True
                special = fn.startswith("nan") or rng.random() < 0.2
                x = arr(shape, "float32", special=special, huge=False)
                case(fn, [x, q], opts=opts, ref=lambda x, q, f=f, **o: quantile_ref(f, x, q, **o), tol="f32r")
        case(fn, [arr([7], "int32"), 0.3 * scale], ref=lambda x, q, f=f, **o: quantile_ref(f, x, q, **o), tol="f32r")
    for fn, f in [("median", np.median), ("nanmedian", np.nanmedian)]:
        for shape in [[5], [4], [2, 3], [3, 4, 2], [0], []]:
            for axis in axis_choices(len(shape)):
                opts = {"axis": axis}
                if rng.random() < 0.3:
                    opts["keepdims"] = True
                case(fn, [arr(shape, "float32", special=fn == "nanmedian" or None, huge=False)], opts=opts,
                     ref=lambda x, f=f, **o: f(x, **kw(o)), tol="f32r")
        case(fn, [arr([6], "int32")], ref=lambda x, f=f, **o: f(x, **kw(o)), tol="f32r")
    case("nanmedian", [np.array([[np.nan, np.nan], [1, np.nan]], np.float32)], opts={"axis": 1}, ref=lambda x, axis: np.nanmedian(x, axis=axis))
    case("quantile", [arr([4]), 1.5], ref=np.quantile, note="q out of range")


def gen_names():
    """NumPy's aliases and one-line compositions (np/numpy-names.ts)."""
    for name, f in [("absolute", np.absolute), ("trunc", np.trunc), ("fix", np.fix), ("fabs", np.fabs), ("deg2rad", np.deg2rad),
                    ("rad2deg", np.rad2deg), ("degrees", np.degrees), ("radians", np.radians), ("positive", np.positive)]:
        for dt in ["float32", "int32", "uint8"]:
            case(name, [arr([2, 4], dt)], ref=f, tol="f32t")
    case("positive", [np.array([True])], ref=np.positive, note="NumPy rejects bool")
    case("around", [np.array([0.5, 1.5, 2.5, -0.5], np.float32)], ref=np.around)
    case("trueDivide", [arr([4], "int32"), arr([4], "int32")], ref=np.true_divide)
    for sa, sb in PAIRS[:5]:
        case("hypot", [arr(sa), arr(sb)], ref=np.hypot, tol="f32t")
    case("hypot", [np.array([3e30, 0, np.inf, np.nan, 0, -np.inf], np.float32), np.array([4e30, 0, np.nan, np.inf, -5, 1], np.float32)],
         ref=np.hypot, tol="f32t", note="no overflow; inf beats NaN")
    case("hypot", [arr([3], "int32"), Py(4)], ref=np.hypot, tol="f32t")
    case("heaviside", [np.array([-1, 0, 2, np.nan, -0.0], np.float32), Py(0.5)], ref=np.heaviside)
    case("heaviside", [arr([2, 3], "int32"), arr([3], "float32")], ref=np.heaviside)
    red("ptp", npkw(np.ptp), ["float32", "int32"])
    red("nanprod", npkw(np.nanprod), ["float32"])
    red("nanvar", npkw(np.nanvar), ["float32"], extra=lambda dt: {"ddof": int(rng.integers(0, 2))})
    red("nanstd", npkw(np.nanstd), ["float32"], extra=lambda dt: {"ddof": int(rng.integers(0, 2))})


def argsort_descending(x):
    # Largest first, NaN before everything (the reverse of NumPy's NaN-last order), ties in input order.
    x = x.astype(np.float64)
    nan = np.isnan(x)
    return np.lexsort((np.arange(x.size), np.where(nan, 0, -x), ~nan))


def gen_sorting():
    for dt in ["float32", "int32", "bool"]:
        for shape in [[0], [1], [7], [3, 4], [2, 3, 2]]:
            x = arr(shape, dt, lo=-3, hi=3, scale=1.0, special=(dt == "float32"))
            for axis in ([-1, 0, None] if len(shape) > 1 else [-1]):
                opts = {} if axis == -1 else {"axis": axis}
                case("sort", [x], opts=opts, ref=lambda x, **o: np.sort(x, **o))
                case("argsort", [x], opts=opts, ref=lambda x, **o: np.argsort(x, kind="stable", **o), note="stable ties")
        x = arr([9], dt, lo=-3, hi=3, scale=1.0)
        case("sort", [x], opts={"descending": True}, ref=lambda x, descending: np.sort(x)[::-1])
        case("argsort", [x], opts={"descending": True},
             ref=lambda x, descending: argsort_descending(x), note="descending keeps ties in input order")
    for side in ["left", "right"]:
        a = np.sort(arr([8], "float32", lo=-3, hi=3, scale=1.0, special=False))
        v = arr([2, 3], "float32", lo=-4, hi=4, scale=1.0, special=False)
        case("searchsorted", [a, v], opts={"side": side}, ref=lambda a, v, side: np.searchsorted(a, v, side=side))
        a = np.sort(arr([6], "int32", special=False))
        case("searchsorted", [a, arr([5], "int32", special=False)], opts={"side": side}, ref=lambda a, v, side: np.searchsorted(a, v, side=side))
    case("searchsorted", [np.array([1, 2, np.nan], np.float32), np.array([np.nan, 2, 0], np.float32)], ref=np.searchsorted, note="NaN sorts last")
    for dt in ["float32", "int32"]:
        x = arr([10], dt, lo=-3, hi=3, scale=1.0)
        case("unique", [x], ref=np.unique, eager_only=True)
        case("unique", [arr([2, 3], dt, lo=-2, hi=2, scale=1.0, special=False)], ref=np.unique, eager_only=True)
        case("unique", [x], opts={"size": 12, "fillValue": 0}, ref=lambda x, size, fillValue: np.pad(np.unique(x), (0, size - np.unique(x).size), constant_values=fillValue))
    keys = [arr([6], "int32", lo=-2, hi=2, scale=1.0, special=False), arr([6], "int32", lo=-2, hi=2, scale=1.0, special=False)]
    case("lexsort", [keys], ref=np.lexsort)
    for dt in ["float32", "int32"]:
        case("isin", [arr([2, 4], dt, lo=-4, hi=4, scale=1.0), arr([5], dt, lo=-4, hi=4, scale=1.0)], ref=np.isin)
    case("bincount", [np.array([0, 1, 1, 3, 2, 1, 7], np.int32)], opts={"length": 9}, ref=lambda x, length: np.bincount(x, minlength=length))
    case("bincount", [np.array([0, 1, 1, 3], np.int32)], opts={"length": 5, "weights": np.array([0.5, 1, 2, 3], np.float32)},
         ref=lambda x, length, weights: np.bincount(x, weights=weights, minlength=length))
    for _ in range(3):
        a = arr([12], "float32", lo=-20, hi=20, scale=4.0, special=False)
        case("histogram", [a], opts={"bins": 5, "range": [-4, 4]}, ref=lambda a, bins, range: np.histogram(a, bins=bins, range=tuple(range)))
    case("histogram", [np.array([0, 1, 2, 3, 4, 5], np.float32)], opts={"bins": 5, "range": [0, 5]},
         ref=lambda a, bins, range: np.histogram(a, bins=bins, range=tuple(range)), note="right edge is inclusive")


def norm_ref(x, ord=None, **o):
    return np.linalg.norm(x, ord={"inf": np.inf, "-inf": -np.inf}.get(ord, ord), **kw(o))


def logsumexp_ref(x, **o):
    # scipy's (shifted by the max) except for empty reductions, which it rejects: log(0) = -inf there.
    from scipy.special import logsumexp
    x = x.astype(np.float64)
    shape = np.sum(x, **kw(o)).shape  # scipy gives a 0-d input with keepdims shape (1,)
    return np.reshape(logsumexp(x, **kw(o)) if x.size else np.log(np.sum(np.exp(x), **kw(o))), shape)


def gen_linalg():
    for sa, sb in [([2, 3], [3, 4]), ([3], [3, 2]), ([2, 3], [3]), ([3], [3]), ([2, 2, 3], [3, 2]), ([2, 1, 3], [4, 3, 2]), ([0, 3], [3, 2])]:
        for dt in ["float32", "int32"]:
            a, b = arr(sa, dt, special=False), arr(sb, dt, special=False)
            case("matmul", [a, b], ref=np.matmul, tol="f32r")
    for sa, sb in [([2, 3], [3, 4]), ([3], [3]), ([2, 3], [3]), ([2, 2, 3], [3, 2]), ([], [3])]:
        case("dot", [arr(sa, special=False), arr(sb, special=False)], ref=np.dot, tol="f32r")
    case("vdot", [arr([2, 3], special=False), arr([2, 3], special=False)], ref=np.vdot, tol="f32r")
    case("outer", [arr([3], "int32"), arr([2, 2], "int32")], ref=np.outer)
    case("tensordot", [arr([2, 3, 4], special=False), arr([3, 4, 2], special=False)], ref=np.tensordot, tol="f32r")
    case("tensordot", [arr([2, 3], special=False), arr([3, 2], special=False), 1], ref=np.tensordot, tol="f32r")
    case("tensordot", [arr([2, 3, 4], special=False), arr([4, 3], special=False), [[1, 2], [1, 0]]],
         ref=lambda a, b, ax: np.tensordot(a, b, ax), tol="f32r")
    for spec, shapes in [("ij,jk->ik", [[2, 3], [3, 4]]), ("ii->", [[3, 3]]), ("ii->i", [[3, 3]]), ("ij->ji", [[2, 3]]),
                         ("bij,bjk->bik", [[2, 2, 3], [2, 3, 2]]), ("i,i->", [[4], [4]]), ("i,j->ij", [[2], [3]]),
                         ("ij->", [[2, 3]]), ("...ij,...jk->...ik", [[2, 2, 3], [3, 1]]), ("ijk->kji", [[2, 3, 4]]),
                         ("ij,ij->i", [[2, 3], [2, 3]])]:
        case("einsum", [spec] + [arr(s, special=False) for s in shapes], ref=np.einsum, tol="f32r")
    case("cross", [arr([2, 3], special=False), arr([3], special=False)], ref=np.cross)
    spd = lambda n: (lambda m: (m @ m.T + n * np.eye(n)).astype(np.float32))(arr([n, n], special=False))
    for n in [1, 3]:
        a = arr([n, n], special=False) + 4 * np.eye(n, dtype=np.float32)
        case("linalg.det", [a], ref=np.linalg.det, tol="lin")
        case("linalg.inv", [a], ref=np.linalg.inv, tol="lin")
        case("linalg.solve", [a, arr([n], special=False)], ref=np.linalg.solve, tol="lin")
        case("linalg.solve", [a, arr([n, 2], special=False)], ref=np.linalg.solve, tol="lin")
        case("linalg.slogdet", [a], ref=lambda a: tuple(np.linalg.slogdet(a)), tol="lin")
        s = spd(n)
        case("linalg.cholesky", [s], ref=np.linalg.cholesky, tol="lin")
        case("linalg.eigvalsh", [s], ref=np.linalg.eigvalsh, tol="lin")
        case("linalg.svdvals", [arr([n, n + 1], special=False)], ref=lambda a: np.linalg.svd(a, compute_uv=False), tol="lin")
    case("linalg.det", [arr([2, 3, 3], special=False)], ref=np.linalg.det, tol="lin")
    case("linalg.det", [np.array([[1, 2], [2, 4]], np.float32)], ref=np.linalg.det, tol="lin", note="singular")
    case("linalg.qr", [arr([4, 3], special=False)], ref=lambda a: tuple(np.abs(r) for r in np.linalg.qr(a)), post="abs", tol="lin")
    case("linalg.eigh", [spd(3)], ref=lambda a: (lambda w, v: (w, np.abs(v)))(*np.linalg.eigh(a)), post="abs1", tol="lin")
    case("linalg.svd", [arr([3, 2], special=False)], opts={"fullMatrices": False},
         ref=lambda a, fullMatrices: tuple(np.abs(r) for r in np.linalg.svd(a, full_matrices=False)), post="abs", tol="lin")
    for ordv in [None, 1, 2, np.inf, -np.inf, 0]:
        x = arr([5], special=False)
        o = {} if ordv is None else {"ord": enc_num(ordv, "float64") if ordv in (np.inf, -np.inf) else ordv}
        case("linalg.norm", [x], opts=o, ref=norm_ref, tol="lin")
    for ordv in [None, "fro", 1, -1, np.inf, 2, "nuc"]:
        x = arr([3, 3], special=False)
        o = {} if ordv is None else {"ord": enc_num(ordv, "float64") if ordv is np.inf else ordv}
        case("linalg.norm", [x], opts=o, ref=norm_ref, tol="lin")
    case("linalg.norm", [arr([2, 3], special=False)], opts={"axis": -1, "keepdims": True}, ref=norm_ref, tol="lin")
    case("linalg.matrixPower", [arr([3, 3], "int32", special=False), 3], ref=np.linalg.matrix_power)
    case("linalg.matrixRank", [np.array([[1, 2], [2, 4]], np.float32)], ref=np.linalg.matrix_rank)
    case("linalg.pinv", [arr([3, 2], special=False)], ref=np.linalg.pinv, tol="lin")


def gen_creation():
    for args in [[5], [2, 7], [1, 2, 0.25], [5, 1, -1.5], [0, 1, 0.1], [3, 3], [-2.5, 3], [10, 0, -3]]:
        case("arange", args, ref=np.arange)
    for dt in ["int32", "float32"]:
        case("arange", [1, 9, 2], opts={"dtype": dt}, ref=lambda *a, dtype: np.arange(*a, dtype=dtype))
    for args, o in [([0, 1, 5], {}), ([0, 1, 5], {"endpoint": False}), ([2, -3, 1], {}), ([1, 1, 0], {}),
                    ([0, 10, 4], {"dtype": "int32"}), ([-5, 5, 7], {"dtype": "int32"}), ([0, 1], {})]:
        case("linspace", args, opts=o, ref=lambda *a, **oo: np.linspace(*a, **oo), tol="f32r")
    case("logspace", [0, 2, 5], ref=np.logspace, tol="f32r")
    case("geomspace", [1, 1000, 4], ref=np.geomspace, tol="f32r")
    case("eye", [3], ref=np.eye)
    case("eye", [2, 4], opts={"k": 1}, ref=lambda n, m, k: np.eye(n, m, k=k))
    case("tri", [3, 4], opts={"k": -1}, ref=lambda n, m, k: np.tri(n, m, k=k))
    case("full", [[2, 2], Py(7)], ref=np.full)
    case("full", [[3], Py(1.5)], ref=np.full)
    for n in [0, 1, 5]:
        for w in ["hanning", "hamming", "blackman", "bartlett"]:
            case(w, [n], ref=getattr(np, w), tol="f32t")
    case("vander", [arr([4], "int32", special=False)], ref=np.vander)
    case("vander", [arr([3], special=False), 4], opts={"increasing": True}, ref=lambda x, n, increasing: np.vander(x, n, increasing=increasing))


def gen_misc():
    for mode in ["full", "same", "valid"]:
        a, v = arr([6], special=False), arr([3], special=False)
        case("convolve", [a, v], opts={"mode": mode}, ref=lambda a, v, mode: np.convolve(a, v, mode=mode), tol="f32r")
        case("correlate", [a, v], opts={"mode": mode}, ref=lambda a, v, mode: np.correlate(a, v, mode=mode), tol="f32r")
    case("cov", [arr([3, 5], special=False)], ref=np.cov, tol="f32r")
    case("corrcoef", [arr([3, 5], special=False)], ref=np.corrcoef, tol="f32r")
    case("trapezoid", [arr([2, 5], special=False)], ref=np.trapezoid, tol="f32r")
    case("polyval", [arr([3], special=False), arr([4], special=False)], ref=np.polyval, tol="f32r")
    case("ediff1d", [arr([5], "int32")], ref=np.ediff1d)


def evaluate(c):
    nargs = [to_np(a) for a in c["args"]]
    opts = {k: (np.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in c["opts"].items()}
    fn = c["ref"]
    in_dtypes = []
    for a in c["args"]:
        for x in (a if isinstance(a, list) else [a]):
            if isinstance(x, np.ndarray):
                in_dtypes.append(str(x.dtype))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(*nargs, **opts)
        except (ValueError, TypeError, np.linalg.LinAlgError, IndexError) as e:
            return {"error": type(e).__name__}
        # JAX converts integer and bool operands to the result's float type *before* computing
        # (promote_args_inexact): cos(int32 2147483647) is cos(2147483648.0f), and uint8 inputs
        # compute in float32, not NumPy's float16. Recompute NumPy's value the same way.
        outs = r if isinstance(r, (tuple, list)) else [r]
        if any(str(np.asarray(x).dtype) in ("float64", "float16") and jax_dtype(np.asarray(x).dtype, in_dtypes) == "float32"
               for x in outs) and any(d not in ("float32", "float16") for d in in_dtypes) and not c.get("no_recast"):
            cast = lambda a: a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind in "biu" else (
                [cast(x) for x in a] if isinstance(a, list) else a)
            try:
                r = fn(*[cast(a) for a in nargs], **{k: cast(v) for k, v in opts.items()})
            except TypeError:
                pass  # integer operands that are indices (bincount's x): NumPy's own value stands
    def one(x):
        x = np.asarray(x)
        return enc_array(x, jax_dtype(x.dtype, in_dtypes))
    if isinstance(r, (tuple, list)):
        return [one(x) for x in r]
    return one(r)


def encode_opts(o):
    return {k: (enc_array(v) if isinstance(v, np.ndarray) else v) for k, v in o.items()}


def main():
    for g in [gen_elementwise, gen_reductions, gen_shape, gen_indexing, gen_get, gen_edges, gen_quantiles, gen_names, gen_sorting, gen_linalg, gen_creation, gen_misc]:
        g()
    os.makedirs(OUT_DIR, exist_ok=True)
    groups = {}
    for i, c in enumerate(CASES):
        out = evaluate(c)
        entry = {"id": f"{c['fn']}#{i}", "fn": c["fn"], "args": [enc_arg(a) for a in c["args"]]}
        if c["opts"]:
            entry["opts"] = encode_opts(c["opts"])
        entry["tol"] = c["tol"]
        if c["eager_only"]:
            entry["eagerOnly"] = True
        if c["post"]:
            entry["post"] = c["post"]
        if c["note"]:
            entry["note"] = c["note"]
        entry["want"] = out
        group = "elementwise" if i < 0 else c.get("group", None)
        groups.setdefault(GROUP_OF[c["fn"]] if c["fn"] in GROUP_OF else "other", []).append(entry)
    total = 0
    for name, entries in groups.items():
        path = os.path.join(OUT_DIR, f"{name}.json")
        doc = {"numpy": np.__version__, "seed": SEED, "generator": "scripts/numpy-fixtures.py",
               "jaxDtypeRules": [r[0] for r in JAX_DTYPE_RULES], "cases": entries}
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
        with open(path, "w") as f:
            f.write(text + "\n")
        total += len(text)
        print(f"{path}: {len(entries)} cases, {len(text)} bytes", file=sys.stderr)
    print(f"total {len(CASES)} cases, {total} bytes", file=sys.stderr)


GROUP_OF = {}
for _name in list(UNARY_FLOAT) + list(UNARY_ANY) + list(BINARY) + list(INT_ONLY) + [
        "round", "invert", "modf", "leftShift", "rightShift", "divmod", "where", "clip", "select", "isclose"]:
    GROUP_OF[_name] = "elementwise"
for _name in ["sum", "prod", "mean", "max", "min", "all", "any", "var", "std", "nansum", "nanmean", "nanmax", "nanmin",
              "countNonzero", "logsumexp", "argmax", "argmin", "cumsum", "cumprod", "nancumsum", "average"]:
    GROUP_OF[_name] = "reductions"
for _name in ["quantile", "percentile", "nanquantile", "nanpercentile", "median", "nanmedian"]:
    GROUP_OF[_name] = "quantiles"
for _name in ["sort", "argsort", "searchsorted", "unique", "lexsort", "isin", "bincount", "histogram", "take", "takeAlongAxis",
              "get", "at.set", "at.add"]:
    GROUP_OF[_name] = "sorting-indexing"

if __name__ == "__main__":
    main()
