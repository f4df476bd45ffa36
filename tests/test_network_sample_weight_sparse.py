"""Network.fit and evaluate with sample weights, and with SciPy sparse input."""

import numpy as np
import pytest
import scipy.sparse

import plainnet as pn


@pytest.fixture
def data(rng):
    X = rng.normal(size=(40, 6)) * (rng.uniform(size=(40, 6)) < 0.3)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def test_integer_weights_train_as_repeated_samples(data):
    """Full batch: weight 2 is the sample twice, weight 0 is no sample."""
    X, y = data
    w = np.tile([0, 1, 2, 3], 10)
    weighted = pn.mlp([6, 5, 2], dtype="float64", seed=0)
    repeated = pn.mlp([6, 5, 2], dtype="float64", seed=0)
    h1 = weighted.fit(X, y, epochs=5, batch_size=None, verbose=0, sample_weight=w)
    h2 = repeated.fit(np.repeat(X, w, axis=0), np.repeat(y, w), epochs=5, batch_size=None,
                      verbose=0)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    np.testing.assert_allclose(h1["accuracy"], h2["accuracy"], rtol=1e-12)
    for a, b in zip(weighted.get_weights(), repeated.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    ev1, ev2 = weighted.evaluate(X, y, sample_weight=w), repeated.evaluate(
        np.repeat(X, w, axis=0), np.repeat(y, w))
    assert ev1 == pytest.approx(ev2, rel=1e-12)


def test_bad_sample_weights_name_themselves(data):
    X, y = data
    net = pn.mlp([6, 2], seed=0)
    for w, match in (([1.0] * 3, r"shape \(40,\)"), (-np.ones(40), "non-negative"),
                     (np.zeros(40), "weights are all zero"),
                     (np.full(40, np.nan), "NaN or infinity")):
        with pytest.raises(ValueError, match=match):
            net.fit(X, y, verbose=0, sample_weight=w)
        with pytest.raises(ValueError, match=match):
            net.evaluate(X, y, sample_weight=w)


@pytest.mark.parametrize("fmt", ["csr_matrix", "csc_matrix", "csr_array", "csc_array"])
def test_sparse_input_trains_and_predicts_as_dense(data, fmt):
    X, y = data
    dense = pn.mlp([6, 5, 2], dtype="float64", seed=0)
    sparse = pn.mlp([6, 5, 2], dtype="float64", seed=0)
    Xs = getattr(scipy.sparse, fmt)(X)
    h1 = dense.fit(X, y, epochs=3, batch_size=8, verbose=0, seed=1)
    h2 = sparse.fit(Xs, y, epochs=3, batch_size=8, verbose=0, seed=1)
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-12)
    # the first layer saw a sparse batch, never a dense copy
    assert scipy.sparse.issparse(sparse.layers[0]._x)
    np.testing.assert_allclose(sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-12)
    assert sparse.evaluate(Xs, y) == pytest.approx(dense.evaluate(X, y), rel=1e-12)


def test_sparse_input_is_checked(data):
    X, _ = data
    with pytest.raises(ValueError, match="has 6 features, but the network expects 4"):
        pn.mlp([4, 2], seed=0).predict(scipy.sparse.csr_matrix(X))
    bad = scipy.sparse.csr_matrix(X)
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        pn.mlp([6, 2], seed=0).predict(bad)
    net = pn.Network([pn.Dropout(0.1), pn.Dense(6, 2), pn.Softmax()],
                     loss="categorical_crossentropy", seed=0)
    with pytest.raises(ValueError, match="only a Dense first layer takes"):
        net.predict(scipy.sparse.csr_matrix(X))
