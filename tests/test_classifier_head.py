"""The exported numpy head equals its scikit-learn original, and classifying needs no sklearn/scipy."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifiers.model import INCIDENT, head_from_sklearn, load_head, save_head
from monitor.types import LABELS

ROOT = Path(__file__).resolve().parents[1]
needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None, reason="sklearn is a training-only extra")


def _fitted_votes(n_embedding: int = 12, n_cues: int = 8):
    sys.path.insert(0, str(ROOT / "scripts"))
    from train_classifier import make_model

    rng = np.random.default_rng(0)
    x = np.hstack([rng.normal(size=(160, n_embedding)), rng.integers(0, 4, size=(160, n_cues)).astype(float)])
    x[rng.random(160) < 0.1, n_embedding] = np.nan  # trees learn where a missing value goes
    x_linear = np.nan_to_num(x)  # logistic regression needs finite values
    targets = {name: (x_linear[:, n_embedding + j] + rng.normal(size=160) > 1.5).astype(int) for j, name in enumerate((*LABELS, INCIDENT))}
    models = {}
    for name, y in targets.items():
        vote = make_model(n_embedding).fit(x_linear, y)
        vote.named_estimators_["trees"].fit(x, y)  # same trees, trained with missing values
        models[name] = vote
    return models, x


@needs_sklearn
def test_numpy_head_matches_sklearn_probabilities(tmp_path):
    models, x = _fitted_votes()
    head = head_from_sklearn(models, dict.fromkeys(models, 0.5), {"note": "test"})
    save_head(head, tmp_path / "head.npz")
    loaded = load_head(tmp_path / "head.npz")
    expected = np.stack([
        (m.named_estimators_["linear"].predict_proba(np.nan_to_num(x))[:, 1] + m.named_estimators_["trees"].predict_proba(x)[:, 1]) / 2
        for m in models.values()
    ], axis=1)
    got = loaded.probabilities(x)
    finite = ~np.isnan(x).any(1)
    np.testing.assert_allclose(got[finite], expected[finite], atol=1e-9)
    trees_only = np.stack([m.named_estimators_["trees"].predict_proba(x)[:, 1] for m in models.values()], axis=1)
    np.testing.assert_allclose(1 / (1 + np.exp(-loaded.forest.raw(x))), trees_only, atol=1e-9)
    assert loaded.names == (*LABELS, INCIDENT) and loaded.meta == {"note": "test"}


def test_shipped_head_is_plain_arrays_with_a_threshold_per_name():
    info = json.loads((ROOT / "classifiers" / "data" / "head.json").read_text())
    with np.load(ROOT / "classifiers" / "data" / "head.npz", allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)
    assert set(info["thresholds"]) == {*LABELS, INCIDENT} and info["names"] == [*LABELS, INCIDENT]
    probs = load_head().probabilities(np.zeros((3, info["meta"]["features"])))
    assert probs.shape == (3, 5) and ((probs >= 0) & (probs <= 1)).all()


def test_classifying_needs_neither_sklearn_nor_scipy():
    # Blocked as if not installed: transformers imports scipy opportunistically when it is present.
    script = (
        "import sys\n"
        "sys.modules.update(dict.fromkeys(['sklearn', 'scipy', 'joblib']))\n"
        "from classifiers import build_classifier\n"
        "from monitor.config import ClassifierSettings\n"
        "from monitor.types import ClassifyInput\n"
        "c = build_classifier(ClassifierSettings(kind='cascade'))\n"
        "item = ClassifyInput(id='a', title='Authorities cut mobile internet in the capital', summary='Operators got a government order.')\n"
        "print(c.classify_many([item])[0].labels)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sklearn', 'scipy', 'joblib'} and sys.modules[m]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["('shutdown',)", "[]"]
