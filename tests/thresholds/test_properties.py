"""Property tests of the threshold and decoding layer over arbitrary inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sklearn_multilabel.thresholds._decoding import apply_thresholds, decode
from sklearn_multilabel.thresholds._search import STRATEGIES, tune_thresholds

SETTINGS = settings(max_examples=40, deadline=None)
NEVER = np.nextafter(1.0, 2.0)
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)
SHAPE = st.tuples(st.integers(1, 6), st.integers(1, 4))


@SETTINGS
@given(data=st.data(), shape=SHAPE)
def test_non_finite_scores_are_refused(data, shape):
    """Check that scores with NaN or infinity are refused, never decoded."""
    scores = data.draw(hnp.arrays(np.float64, shape, elements=ANY_FLOAT))
    if np.isfinite(scores).all():
        scores[0, 0] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    with pytest.raises(ValueError, match="scores contains NaN or infinity"):
        decode(scores, 0.5)


@SETTINGS
@given(data=st.data(), shape=SHAPE)
def test_thresholds_nan_refused_infinities_decided(data, shape):
    """Check that a NaN threshold is refused and +-inf are decisions: never
    and always."""
    scores = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1e6, 1e6)))
    thresholds = data.draw(hnp.arrays(np.float64, shape[1], elements=ANY_FLOAT))
    if np.isnan(thresholds).any():
        with pytest.raises(ValueError, match=r"thresholds contains NaN \(label"):
            apply_thresholds(scores, thresholds)
        return
    Y_pred = apply_thresholds(scores, thresholds)
    assert not Y_pred[:, thresholds == np.inf].any()
    assert Y_pred[:, thresholds == -np.inf].all()


@SETTINGS
@given(
    data=st.data(),
    shape=SHAPE,
    strategy=st.sampled_from(STRATEGIES),
    use_train=st.booleans(),
)
def test_tuned_thresholds_are_in_range_and_decode_respects_bounds(
    data, shape, strategy, use_train
):
    """Check that tuning arbitrary probabilities and 0/1 targets gives no NaN,
    thresholds in [0, 1] or the never values, and that decode meets bounds."""
    scores = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))
    Y_true = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(0, 1)))
    search = tune_thresholds(
        Y_true, scores, strategy, Y_train=Y_true if use_train else None
    )
    thresholds = search.thresholds
    assert not np.isnan(thresholds).any()
    assert np.all(
        ((thresholds >= 0) & (thresholds <= 1)) | np.isin(thresholds, [NEVER, np.inf])
    )
    if use_train:
        assert (thresholds[Y_true.sum(axis=0) == 0] == NEVER).all()
        assert (thresholds[Y_true.sum(axis=0) == shape[0]] == 0).all()
    min_labels = data.draw(st.integers(0, shape[1]))
    max_labels = data.draw(st.none() | st.integers(min_labels, shape[1]))
    counts = decode(scores, thresholds, min_labels=min_labels, max_labels=max_labels)
    counts = counts.sum(axis=1)
    assert counts.min() >= min_labels
    assert counts.max() <= (shape[1] if max_labels is None else max_labels)
