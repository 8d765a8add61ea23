"""Hidden checks for Exercise 2.6: the pipeline never learns from the data it predicts; learning curves."""
import numpy as np

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.hidden.probes import CountingModel
from grader.target import exercise, reference

mine, ref = exercise("2.6"), reference("2.6")
rng = np.random.default_rng(26)


class Spy:
    """A transformer that logs every call: scales by the column std it saw in fit."""

    def __init__(self, log, name):
        self.log, self.name = log, name

    def fit(self, X):
        self.log.append((self.name, "fit", len(X)))
        self.scale = X.std(axis=0) + 1.0
        return self

    def transform(self, X):
        self.log.append((self.name, "transform", len(X)))
        return X / self.scale

    def fit_transform(self, X):
        return self.fit(X).transform(X)


class Handed:
    """A reference pipeline handed to the learner's code through this file (learner code that calls the
    reference itself is refused as delegating to it)."""

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def fit(self, X, y):
        self.pipeline.fit(X, y)
        return self

    def predict(self, X):
        return self.pipeline.predict(X)


class Shift:
    """A transformer that subtracts the column mean it saw in fit (it does not commute with Spy's scaling)."""

    def fit(self, X):
        self.mean = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - self.mean


class Nearest:
    """A 1-nearest-mean classifier (predict_proba: softmax of negative distances)."""

    def fit(self, X, y):
        self.classes = np.unique(y)
        self.means = np.array([X[y == c].mean(axis=0) for c in self.classes])
        return self

    def predict_proba(self, X):
        d = -((X[:, None, :] - self.means[None]) ** 2).sum(-1)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes[self.predict_proba(X).argmax(axis=1)]


X_TRAIN = rng.normal(size=(30, 3)) * [1.0, 5.0, 0.2]
Y_TRAIN = (X_TRAIN[:, 0] > 0).astype(int)
X_TEST = rng.normal(size=(8, 3)) * [4.0, 1.0, 3.0] + 1.0


def _run(module, log):
    p = module.Pipeline([Spy(log, "first"), Spy(log, "second"), Nearest()]).fit(X_TRAIN, Y_TRAIN)
    return p, np.asarray(p.predict(X_TEST)), np.asarray(p.predict_proba(X_TEST))


def test_transformers_are_fitted_on_training_rows_only():
    got_log, exp_log = [], []
    p, pred, proba = _run(mine, got_log)
    _, ref_pred, ref_proba = _run(ref, exp_log)
    fitted_on = [n for name, call, n in got_log if call == "fit"]
    if any(n != len(X_TRAIN) for n in fitted_on):
        raise Mismatch("Pipeline refitted a transformer on the rows it predicts: fit the transformers in fit only, "
                       "and only apply transform in predict (this leaks the test set)")
    if len(fitted_on) != 2:
        raise Mismatch(f"Pipeline.fit fitted {len(fitted_on)} transformers, expected each of the 2 exactly once")
    assert_matches(pred, ref_pred, what="Pipeline.predict on 8 test rows with two transformers", check_dtype=False)
    assert_matches(proba, ref_proba, what="Pipeline.predict_proba on 8 test rows", rtol=1e-9, atol=1e-12)
    assert_matches(p.score(X_TEST, ref_pred), 1.0, what="Pipeline.score against its own predictions")


def test_transformers_are_chained_in_order():
    got_log, exp_log = [], []
    _run(mine, got_log)
    _run(ref, exp_log)
    order = [(name, call) for name, call, _ in got_log]
    expected = [(name, call) for name, call, _ in exp_log]
    if order[:4] != expected[:4]:
        raise Mismatch("Pipeline.fit must fit and transform the first transformer before fitting the second "
                       "(the second one learns from the first one's output)")


def test_model_only_pipeline():
    p = mine.Pipeline([Nearest()]).fit(X_TRAIN, Y_TRAIN)
    assert_matches(np.asarray(p.predict(X_TEST)), ref.Pipeline([Nearest()]).fit(X_TRAIN, Y_TRAIN).predict(X_TEST),
                   what="a pipeline with only a model", check_dtype=False)


def test_learning_curve_matches_reference():
    acc = lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p)))
    sizes = [4, 9, 30]
    make = lambda: Handed(ref.Pipeline([Spy([], "s"), Nearest()]))
    got = mine.learning_curve(make, X_TRAIN, Y_TRAIN, X_TEST, (X_TEST[:, 0] > 1).astype(int), sizes, acc)
    exp = ref.learning_curve(make, X_TRAIN, Y_TRAIN, X_TEST, (X_TEST[:, 0] > 1).astype(int), sizes, acc)
    assert_matches(np.asarray(got[0]), exp[0], what="learning_curve train scores (fit and scored on the first n rows)", rtol=1e-12)
    assert_matches(np.asarray(got[1]), exp[1], what="learning_curve validation scores", rtol=1e-12)
    assert_raises(ValueError, mine.learning_curve, make, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], [31], acc,
                  what="learning_curve with a size larger than the training set")


def test_second_fit_refits_every_step():
    other_X = rng.normal(size=(25, 3)) * [3.0, 0.1, 2.0] - 2.0
    other_y = (other_X[:, 2] > -2.0).astype(int)
    p = mine.Pipeline([Spy([], "first"), Spy([], "second"), Nearest()])
    p.fit(X_TRAIN, Y_TRAIN).fit(other_X, other_y)
    fresh = ref.Pipeline([Spy([], "first"), Spy([], "second"), Nearest()]).fit(other_X, other_y)
    assert_matches(np.asarray(p.predict_proba(X_TEST)), fresh.predict_proba(X_TEST), what="Pipeline.predict_proba after a second "
                   "fit on other data (every transformer and the model are refitted by each fit)", rtol=1e-9, atol=1e-12)


def test_learning_curve_fresh_model_per_size_prefixes_and_dtypes():
    first_prediction = lambda t, p: p[0]       # an integer metric: the scores are still float64
    sizes = [1, 5, 12, 30]
    X_before, y_before = X_TRAIN.copy(), Y_TRAIN.copy()
    got = mine.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], sizes, first_prediction)
    exp = ref.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], sizes, first_prediction)
    assert_matches(np.asarray(got[0]), exp[0], what="learning_curve train scores with a model that counts the rows it was "
                   "fitted on (call make_model() for every size; scores are float64)")
    assert_matches(np.asarray(got[1]), exp[1], what="learning_curve validation scores with a model that counts its rows")
    assert np.array_equal(X_TRAIN, X_before) and np.array_equal(Y_TRAIN, y_before), "learning_curve changed the caller's training data"
    for bad in ([0], [5, 31], [-1]):
        assert_raises(ValueError, mine.learning_curve, CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], bad, first_prediction,
                      what=f"learning_curve with sizes {bad} (each size must be in 1..len(X_train))")
    # the first n rows, in their order: a model that remembers the first label it saw tells the prefix apart
    class FirstLabel:
        def fit(self, X, y):
            self.label = y[0]
            return self

        def predict(self, X):
            return np.full(len(X), self.label)
    y = np.arange(30) % 7
    got = mine.learning_curve(FirstLabel, X_TRAIN, y, X_TEST, y[:8], [3, 10, 30], first_prediction)
    assert_matches(np.asarray(got[0]), ref.learning_curve(FirstLabel, X_TRAIN, y, X_TEST, y[:8], [3, 10, 30], first_prediction)[0],
                   what="learning_curve train scores of a model that remembers its first training label (train on the first n "
                        "rows, unshuffled)")


def test_predict_applies_the_transformers_in_fit_order():
    make = lambda m: m.Pipeline([Shift(), Spy([], "scale"), Nearest()]).fit(X_TRAIN, Y_TRAIN)
    assert_matches(np.asarray(make(mine).predict_proba(X_TEST)), make(ref).predict_proba(X_TEST),
                   what="Pipeline.predict_proba with a centring then a scaling transformer (predict must apply the "
                        "transformers in the same order as fit)", rtol=1e-9, atol=1e-12)


def test_learning_curve_keeps_sizes_as_given_and_scores_all_validation_rows():
    sizes = [12, 3, 12, 30]  # unsorted, with a repeat: one score per entry, in this order
    first_prediction = lambda t, p: p[0]
    got = mine.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], sizes, first_prediction)
    exp = ref.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], sizes, first_prediction)
    for name, g, e in (("train", got[0], exp[0]), ("validation", got[1], exp[1])):
        if not isinstance(g, np.ndarray):
            raise Mismatch(f"learning_curve returned its {name} scores as {type(g).__name__}, expected a float64 "
                           "NumPy array")
        assert_matches(g, e,
                       what=f"learning_curve {name} scores for sizes {sizes} (one score per entry of sizes, in "
                            "the given order: no sorting, no removing repeats)")
    rows_scored = lambda t, p: len(t)
    got = mine.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], [4, 20], rows_scored)
    exp = ref.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], [4, 20], rows_scored)
    assert_matches(np.asarray(got[0]), exp[0],
                   what="learning_curve train scores of a metric that counts the rows it is given (the train "
                        "score uses exactly the n training rows)")
    assert_matches(np.asarray(got[1]), exp[1],
                   what="learning_curve validation scores of a metric that counts the rows it is given (the "
                        "validation score uses every validation row, whatever n is)")
    got = mine.learning_curve(CountingModel, X_TRAIN, Y_TRAIN, X_TEST, Y_TRAIN[:8], [], rows_scored)
    for name, g in zip(("train", "validation"), got):
        assert_matches(np.asarray(g), np.zeros(0), what=f"learning_curve {name} scores for an empty list of sizes")


def test_score_uses_predict_with_any_labels():
    # the model's labels are 3 and 7, and a model need not have predict_proba: score compares predict(X) with y
    class PredictOnly:
        def fit(self, X, y):
            self.inner = Nearest().fit(X, y)
            return self

        def predict(self, X):
            return self.inner.predict(X)
    y = np.where(Y_TRAIN == 1, 7, 3)
    y_test = np.where(X_TEST[:, 1] > 1.0, 7, 3)
    for make, label in ((Nearest, "a model with labels 3 and 7"), (PredictOnly, "a model without predict_proba")):
        got = mine.Pipeline([Shift(), make()]).fit(X_TRAIN, y).score(X_TEST, y_test)
        assert_matches(got, ref.Pipeline([Shift(), make()]).fit(X_TRAIN, y).score(X_TEST, y_test),
                       what=f"Pipeline.score with {label} (the accuracy of predict(X) against y)")
