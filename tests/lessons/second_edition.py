"""Lessons in the second-edition format (issue 15). tests/lessons/test_lessons.py applies the stricter format checks
(test_second_edition_format) to these; each lesson helper adds its own lessons, one name per line."""

SECOND_EDITION = (
    "01_tokens_as_particles",
    "02_kuramoto",
    "03_collapse",
    "04_first_clusters",
    "05_metastability_time_scales",
    "06_normalization",
    "07_long_context",
    "08_real_transformer",
)
