"""Checkable exercises for the lessons: each `check_*` function compares a student's answer with an independent
computation (the theory engines or the reference solver) and prints whether it is right, with a hint if not.

One module per lesson (`mftx_widgets.exercises.lesson01`, ...); shared printing in `_check`. Numerics only: no
front-end import.
"""
