"""The learned half of the intake matcher: per-label logistic regression over a clause's character
n-grams and its lexicon hits.

Features: character 1-3-grams of the clause with its numbers masked, hashed into 2^13 slots, tf-idf
weighted and L2-normalised, plus a block of 0/1 features, one per code the lexicon found in the clause,
kept out of that scaling so a hit weighs the same in a long clause as in a short one (the model
learns when to trust the lexicon and, from corrections, the words it lacks). Each lexicon code has a
column of its own (the codes seen in training, listed on the card as ``lexicon_codes``), so two codes
never share a weight; needs-model-v1, trained before, hashed them into 2^9 slots, where two pairs
collided (tag:financial_investigation with equip:drone), and is still read that way. Labels: ``line`` (the clause asks for
officers), ``module:<m>``, ``tag:<t>``, ``cert:<c>``, ``equip:<e>``; one binary classifier each,
trained together by full-batch gradient descent (Adam, L2). Trained in about a second on this machine;
stored as ``models/needs-model-v<N>.npz`` (weights in float16) beside a JSON card with its version,
training data and held-out figures. Pure apart from `save` and `load`.
"""
from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

NGRAM_DIM = 1 << 13
LEX_DIM = 1 << 9  # needs-model-v1's hashed block of lexicon codes (newer models: a column per code)
NGRAMS = (1, 2, 3)
MASK = re.compile(r"\d+|[零〇一二两三四五六七八九十百千万]+(?=[余多来]?[名人位个台架辆套部只班排组队])")
MODEL_DIR = Path(__file__).resolve().parent / "models"
VERSION = re.compile(r"^needs-model-v(\d+)$")


def _slot(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (NGRAM_DIM - 1)


def _lex_slot(code: str) -> int:
    """Where needs-model-v1 (no ``lexicon_codes`` on its card) put a lexicon code: hashed, 2^9 slots."""
    return NGRAM_DIM + (zlib.crc32(code.encode("utf-8")) & (LEX_DIM - 1))


def features(clause: str, lexicon_codes: list[str]) -> dict:
    """Hashed n-gram counts of one clause (numbers masked, int keys) and the codes the lexicon found
    in it (str keys, 1.0; the model gives each code its column)."""
    text = MASK.sub("#", clause)
    out: dict = {}
    padded = f"^{text}$"
    for n in NGRAMS:
        for i in range(len(padded) - n + 1):
            k = _slot(padded[i:i + n])
            out[k] = out.get(k, 0.0) + 1.0
    for code in lexicon_codes:
        out[code] = 1.0
    return out


def _columns(row: dict, lex_index: dict | None) -> dict[int, float]:
    """A feature row with its lexicon codes put in their columns (hashed for a model without a list)."""
    out = {}
    for k, v in row.items():
        if isinstance(k, str):
            col = _lex_slot(k) if lex_index is None else lex_index.get(k)
            if col is not None:
                out[col] = v
        else:
            out[k] = v
    return out


@dataclass
class Model:
    version: str
    labels: list[str]
    idf: np.ndarray       # n-gram slots + lexicon columns
    weights: np.ndarray   # (n-gram slots + lexicon columns) × labels
    bias: np.ndarray      # labels
    card: dict
    lexicon_codes: list[str] | None = None  # a column each after the n-grams; None: hashed (needs-model-v1)

    def matrix(self, rows: list[dict]) -> sparse.csr_matrix:
        index = None if self.lexicon_codes is None else {c: NGRAM_DIM + j for j, c in enumerate(self.lexicon_codes)}
        return _matrix([_columns(r, index) for r in rows], self.idf)

    def predict(self, rows: list[dict[int, float]]) -> list[dict[str, float]]:
        if not rows:
            return []
        z = self.matrix(rows) @ self.weights + self.bias
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return [dict(zip(self.labels, row.tolist())) for row in p]


def _matrix(rows, idf) -> sparse.csr_matrix:
    data, cols, ptr = [], [], [0]
    for r in rows:
        cols += list(r)
        data += [v * idf[k] for k, v in r.items()]
        ptr.append(len(cols))
    x = sparse.csr_matrix((np.array(data, dtype=np.float32), np.array(cols, dtype=np.int32), np.array(ptr)),
                          shape=(len(rows), len(idf)))
    grams, lex = x[:, :NGRAM_DIM], x[:, NGRAM_DIM:]
    norms = np.sqrt(np.asarray(grams.multiply(grams).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.hstack([sparse.diags(1.0 / norms).dot(grams), lex]).tocsr()


def train(rows: list[dict], targets: list[set[str]], *, version: str, card: dict,
          epochs: int = 300, l2: float = 1e-4, lr: float = 0.05, seed: int = 7) -> Model:
    """Fit one logistic classifier per label on (features, label set) pairs."""
    labels = sorted({label for t in targets for label in t} | {"line"})
    codes = sorted({k for r in rows for k in r if isinstance(k, str)})
    index = {c: NGRAM_DIM + j for j, c in enumerate(codes)}
    rows = [_columns(r, index) for r in rows]
    df = np.zeros(NGRAM_DIM + len(codes))
    for r in rows:
        df[list(r)] += 1
    idf = np.log((1 + len(rows)) / (1 + df)) + 1.0
    idf[NGRAM_DIM:] = 1.0
    x = _matrix(rows, idf)
    y = np.zeros((len(rows), len(labels)), dtype=np.float32)
    index = {label: j for j, label in enumerate(labels)}
    for i, t in enumerate(targets):
        for label in t:
            y[i, index[label]] = 1.0
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.01, (x.shape[1], len(labels))).astype(np.float32)
    b = np.zeros(len(labels), dtype=np.float32)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    xt = x.T.tocsr()
    n = max(1, len(rows))
    for step in range(1, epochs + 1):
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = (p - y) / n
        gw = xt @ g + l2 * w
        gb = g.sum(axis=0)
        for param, grad, m, v in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return Model(version=version, labels=labels, idf=idf.astype(np.float32), weights=w, bias=b, card=card,
                 lexicon_codes=codes)


def save(model: Model, directory: Path | None = None) -> Path:
    directory = directory or MODEL_DIR
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / model.version
    # written aside and moved into place, weights before the card: a running demand that sees the card
    # (versions() needs both files) reads a whole model
    part = base.with_name(base.name + ".part.npz")
    np.savez_compressed(part, idf=model.idf.astype(np.float16), weights=model.weights.astype(np.float16),
                        bias=model.bias)
    os.replace(part, base.with_suffix(".npz"))
    card = dict(model.card, version=model.version, labels=model.labels)
    if model.lexicon_codes is not None:
        card["lexicon_codes"] = model.lexicon_codes
    part = base.with_name(base.name + ".part.json")
    part.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, base.with_suffix(".json"))
    return base.with_suffix(".json")


def load(card_path: Path | str) -> Model:
    card_path = Path(card_path)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    with np.load(card_path.with_suffix(".npz")) as arrays:
        return Model(version=card["version"], labels=list(card["labels"]), idf=arrays["idf"].astype(np.float32),
                     weights=arrays["weights"].astype(np.float32), bias=arrays["bias"].astype(np.float32), card=card,
                     lexicon_codes=card.get("lexicon_codes"))


def versions(directory: Path | None = None) -> list[tuple[int, Path]]:
    """(number, card path) of every stored model version, oldest first."""
    directory = directory or MODEL_DIR
    out = []
    for p in directory.glob("needs-model-v*.json"):
        m = VERSION.match(p.stem)
        if m and p.with_suffix(".npz").exists():
            out.append((int(m.group(1)), p))
    return sorted(out)


def next_version(directory: Path | None = None) -> str:
    found = versions(directory)
    return f"needs-model-v{(found[-1][0] + 1) if found else 1}"
