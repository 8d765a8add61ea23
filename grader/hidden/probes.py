"""Probes for hidden checks: stand-ins and watchers that reveal how the learner's code did its work."""
import ast
import contextlib
import inspect

import numpy as np


class CountingModel:
    """Counts every row it was ever fitted on and predicts that count for every row: one object reused
    across folds or training sizes predicts a growing count, a fresh one the size of its own training set."""

    def __init__(self):
        self.rows_seen = 0

    def fit(self, X, y):
        self.rows_seen += len(X)
        return self

    def predict(self, X):
        return np.full(len(X), self.rows_seen)


class ForbiddenCall(AssertionError):
    pass


@contextlib.contextmanager
def _replaced(cls, values: dict):
    """While the block runs, `cls.<name>` is `values[name]`; afterwards each is what it was (or inherited)."""
    saved = {name: cls.__dict__[name] for name in values if name in cls.__dict__}
    for name, value in values.items():
        setattr(cls, name, value)
    try:
        yield
    finally:
        for name in values:
            if name in saved:
                setattr(cls, name, saved[name])
            else:
                delattr(cls, name)


@contextlib.contextmanager
def refuse_calls(cls, names, rule: str):
    """While the block runs, calling `cls.<name>` for any of `names` raises ForbiddenCall with `rule`, and the
    block fails at its end even when the learner's code caught the error and carried on. Use it around the
    learner's call only: the oracle may call the same methods outside the block."""
    calls = []

    def refusing(name):
        def method(*args, **kwargs):
            calls.append(name)
            raise ForbiddenCall(f"{cls.__name__}.{name} was called: {rule}")
        return method

    with _replaced(cls, {name: refusing(name) for name in names}):
        yield
    if calls:
        raise ForbiddenCall(f"{cls.__name__}.{calls[0]} was called: {rule}")


def attribute_uses(module, names) -> list[str]:
    """Lines of the module's source that reach one of `names` as an attribute (`x.conv2d(...)`,
    `Tensor.scaled_dot_product_attention`): the static half of a forbidden-call check. `module` may be
    what `grader.target.exercise` returns."""
    tree = ast.parse(inspect.getsource(getattr(module, "_module", module)))
    return [f"line {node.lineno}: .{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in names]


def built_with_constant_weights(cls, *args):
    """cls(*args) with every random initial tensor filled with 0.5, for a check that overwrites every
    weight or reads only shapes: building tinygrad's random-number graph for each tensor is most of a
    model's construction time. Tensor.rand (under randn, uniform, kaiming_uniform, ...) still checks its
    arguments and advances its counter; only the bits are constant."""
    from tinygrad import Tensor

    constant = classmethod(lambda c, key, counter, shape, dtype, contiguous=True:
                           c.full(shape, 0.5, dtype=dtype, device=counter.device))
    with _replaced(Tensor, {"_rand": constant}):
        return cls(*args)
