#!/usr/bin/env python3
"""np.pad mode fixtures (test/np-pad.test.ts): NumPy's np.pad over every mode, pad widths
longer than the axis (NumPy's repeated reflection rounds), reflect_type="odd", stat_length,
end_values, per-axis constant values, float32 and int32. Run `python3 scripts/pad-fixtures.py`;
the file is committed, so CI needs no NumPy."""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "pad", "numpy.json")
cases = []
def add(x, pw, mode, **kw):
    x = np.asarray(x)
    r = np.pad(x, pw, mode=mode, **kw)
    cases.append(dict(x=x.tolist(), dtype=str(x.dtype), pw=pw, mode=mode, kw=kw, out=r.tolist(), shape=list(r.shape)))
a1 = np.array([1., 2., 3.], np.float32); a4 = np.array([1., 5., 2., 7.], np.float32)
m = np.arange(12, dtype=np.float32).reshape(3, 4) * 1.5 - 4
mi = np.arange(12, dtype=np.int32).reshape(3, 4) * 3 - 7
for mode in ["edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean", "median", "linear_ramp"]:
    for pw in [1, 2, 5, 9, [0, 3], [4, 1]]:
        add(a1, pw, mode); add(a4, pw, mode)
    add(m, [[1, 2], [3, 1]], mode); add(m, [[5, 0], [2, 7]], mode); add(mi, [[2, 1], [1, 3]], mode)
    add(np.array([4.], np.float32), 3, mode)
for t in ["odd"]:
    for mode in ["reflect", "symmetric"]:
        for pw in [1, 2, 5, 9, [0, 7]]:
            add(a4, pw, mode, reflect_type=t)
        add(m, [[3, 2], [5, 4]], mode, reflect_type=t)
for sl in [1, 2, [1, 3]]:
    for mode in ["maximum", "mean", "median", "minimum"]:
        add(a4, 2, mode, stat_length=sl); add(m, [[1, 2], [2, 1]], mode, stat_length=sl)
add(a4, [2, 3], "linear_ramp", end_values=[5, -2]); add(m, [[1, 2], [2, 1]], "linear_ramp", end_values=[[1, 2], [3, 4]]); add(mi, 2, "linear_ramp", end_values=10)
add(m, [[1, 2], [2, 1]], "constant", constant_values=[[1, 2], [3, 4]]); add(a4, [2, 1], "constant", constant_values=[7, 8])
add(mi, 1, "mean"); add(np.array([1, 2], np.int32), 3, "mean", stat_length=2)
with open(OUT, "w") as f:
    json.dump(cases, f, separators=(",", ":"))
print(len(cases), "cases ->", OUT)
