"""Reduced models and closed forms: the equiangular ODE, the circle (Kuramoto form, growth rates), the
mean-field PDE on the circle, long context, metastability. Numerics only; imports `dynamics`, never views."""

from . import circle, equiangular, longcontext, meanfield, metastability

__all__ = ["circle", "equiangular", "longcontext", "meanfield", "metastability"]
