"""exp(x) inside numba kernels: vectorisable and branch-free (no Intel SVML needed), defined for every input.

Reduction x = k ln2 + r with |r| <= ln2 / 2, a Taylor polynomial of exp(r), and 2^k built from the exponent
bits (bit-cast intrinsics). Relative error <= 4e-16 + 3.5e-17 |x| (float64, degree 12) and
<= 2e-7 + 2e-8 |x| (float32, degree 7); the |x| term is the rounding of ln2 times k, harmless because every
weight is compared with the row's largest, exp(0) = 1. Arguments at or below -708 (float64) / -87 (float32)
give exactly 0, large arguments inf (2^k is capped at 2^1023 / 2^127 and the polynomial of the remainder
exceeds 2 beyond 709.78 / 88.72, where exp overflows), and NaN gives NaN, so a bad score can never turn into a
plausible weight (the kernels keep every argument <= 1 anyway, dense.py).
`_exp` is a Python stub whose overload numba inlines in jitted code; `_exp_array` exposes it to the tests.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

#: fastmath flags of every kernel: reassociation lets LLVM vectorise the sums over j; contraction gives FMAs.
#: Nothing else of fastmath is used (no 'nnan' / 'ninf').
_FM = {"reassoc", "contract", "nsz"}


@intrinsic
def _bits_f64(typingctx, i):
    """Reinterpret an int64 as the float64 with the same bits."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@intrinsic
def _bits_f32(typingctx, i):
    """Reinterpret an int32 as the float32 with the same bits."""
    sig = types.float32(types.int32)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return sig, codegen


def _exp(x):  # pragma: no cover - replaced by the overload inside jitted code
    return math.exp(x)


_L2E64, _LN2_64 = 1.4426950408889634, 0.6931471805599453
_L2E32, _LN2_32 = np.float32(1.4426950408889634), np.float32(0.6931471805599453)
_C64 = tuple(1.0 / math.factorial(k) for k in range(13))
_C32 = tuple(np.float32(1.0 / math.factorial(k)) for k in range(8))
_HALF32, _LO32, _ZERO32 = np.float32(0.5), np.float32(-87.0), np.float32(0.0)
#: largest arguments whose 2^k is a normal number: k = floor(x / ln2 + 1/2) <= 1023 (float64), 127 (float32).
_HI64, _HI32 = 709.43, np.float32(88.37)


@overload(_exp, inline="always")
def _exp_impl(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        c0, c1, c2, c3, c4, c5, c6, c7 = _C32

        def exp32(x):
            xc = x if x > _LO32 else _LO32          # k from x clamped to [LO, HI] (NaN -> LO): 2^k a normal number
            xc = xc if xc < _HI32 else _HI32
            k = np.floor(xc * _L2E32 + _HALF32)
            r = x - k * _LN2_32                     # NaN stays NaN; x > HI: p > 2, so p 2^127 overflows to inf
            p = c7
            p = p * r + c6
            p = p * r + c5
            p = p * r + c4
            p = p * r + c3
            p = p * r + c2
            p = p * r + c1
            p = p * r + c0
            e = _bits_f32(np.int32((np.int32(k) + np.int32(127)) << np.int32(23)))
            return _ZERO32 if x <= _LO32 else p * e

        return exp32
    if isinstance(x, types.Float):
        c = _C64

        def exp64(x):
            xc = x if x > -708.0 else -708.0        # k from x clamped to [LO, HI] (NaN -> LO): 2^k a normal number
            xc = xc if xc < _HI64 else _HI64
            k = np.floor(xc * _L2E64 + 0.5)
            r = x - k * _LN2_64                     # NaN stays NaN; x > HI: p > 2, so p 2^1023 overflows to inf
            p = c[12]
            p = p * r + c[11]
            p = p * r + c[10]
            p = p * r + c[9]
            p = p * r + c[8]
            p = p * r + c[7]
            p = p * r + c[6]
            p = p * r + c[5]
            p = p * r + c[4]
            p = p * r + c[3]
            p = p * r + c[2]
            p = p * r + c[1]
            p = p * r + c[0]
            e = _bits_f64((np.int64(k) + np.int64(1023)) << np.int64(52))
            return 0.0 if x <= -708.0 else p * e

        return exp64
    return None


@nb.njit(cache=True, fastmath=_FM, nogil=True)
def _exp_array(a, out):
    """out[:] = exp(a[:]) with the kernels' polynomial exp (used by the tests to bound its error)."""
    for i in range(a.shape[0]):
        out[i] = _exp(a[i])

