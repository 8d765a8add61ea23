"""Hidden checks for Exercise 5.5: the learner's reversal batches, teacher-forced Seq2Seq, greedy decoding
and loss against a NumPy model of the same weights (cell: tinygrad.nn.LSTMCell, gates i, f, g, o)."""
import numpy as np
from tinygrad import Tensor

from grader.compare import Mismatch, assert_matches, assert_raises
from grader.target import exercise

mine = exercise("5.5")
N, S, L, E, H = 3, 3, 2, 5, 6          # batch, source length, decoder length, embedding, hidden


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


class NumpySeq2Seq:
    """The model of the docstrings in float64, on weights copied into the learner's model."""

    def __init__(self, rng):
        V = mine.VOCAB
        draw = lambda *shape: rng.normal(0, 0.8, size=shape).astype(np.float32)  # noqa: E731
        self.p32 = {"embedding.weight": draw(V, E), "head.weight": draw(V, H), "head.bias": draw(V)}
        for part in ("encoder", "decoder"):
            self.p32.update({f"{part}.weight_ih": draw(4 * H, E), f"{part}.weight_hh": draw(4 * H, H),
                             f"{part}.bias_ih": draw(4 * H), f"{part}.bias_hh": draw(4 * H)})
        self.p = {k: v.astype(np.float64) for k, v in self.p32.items()}

    def load(self, model):
        """Copy the weights into the learner's model, realized first: each forward is then one graph
        that later calls with other inputs reuse (a schedule cache hit)."""
        weights = {name: Tensor(value) for name, value in self.p32.items()}
        Tensor.realize(*weights.values())
        for name, value in weights.items():
            owner, attr = name.split(".")
            setattr(getattr(model, owner), attr, value)
        return model

    def step(self, part, x, h, c):
        p = self.p
        z = x @ p[f"{part}.weight_ih"].T + h @ p[f"{part}.weight_hh"].T + p[f"{part}.bias_ih"] + p[f"{part}.bias_hh"]
        i, f, g, o = np.split(z, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c

    def encode(self, source):
        h = c = np.zeros((len(source), H))
        for t in range(source.shape[1]):
            h, c = self.step("encoder", self.p["embedding.weight"][source[:, t]], h, c)
        return h, c

    def logits(self, h):
        return h @ self.p["head.weight"].T + self.p["head.bias"]

    def teacher_forced(self, source, decoder_input):
        h, c = self.encode(source)
        out = []
        for t in range(decoder_input.shape[1]):
            h, c = self.step("decoder", self.p["embedding.weight"][decoder_input[:, t]], h, c)
            out.append(self.logits(h))
        return np.stack(out, axis=1)

    def greedy(self, source, length, feed_back=True):
        """Tokens and the smallest gap between the two best logits (a tie would make argmax ambiguous).
        feed_back=False feeds BOS at every step (a misconception the check must tell apart)."""
        h, c = self.encode(source)
        token, out, gap = np.full(len(source), mine.BOS), [], np.inf
        for _ in range(length):
            h, c = self.step("decoder", self.p["embedding.weight"][token], h, c)
            z = np.sort(self.logits(h), axis=1)
            gap = min(gap, float((z[:, -1] - z[:, -2]).min()))
            out.append(self.logits(h).argmax(axis=1))
            token = out[-1] if feed_back else token
        return np.stack(out, axis=1), gap


def _model(seed, ref=None):
    Tensor.manual_seed(seed)
    ref = ref or NumpySeq2Seq(np.random.default_rng(seed))
    return ref.load(mine.Seq2Seq(mine.VOCAB, embed=E, hidden=H)), ref


def _sources(rng):
    return rng.integers(0, 10, size=(N, S)).astype(np.int32)


def test_make_batch_shapes_dtypes_and_alignment():
    for n, length in ((1, 1), (5, 2), (7, 9)):
        batch = mine.make_batch(n, length, np.random.default_rng(n))
        if not isinstance(batch, tuple) or len(batch) != 3:
            raise Mismatch("make_batch should return a tuple (source, decoder_input, target)")
        source, decoder_input, target = (np.asarray(a) for a in batch)
        for name, a in zip(("source", "decoder_input", "target"), (source, decoder_input, target)):
            if a.shape != (n, length) or a.dtype != np.int32:
                raise Mismatch(f"make_batch({n}, {length}): {name} has shape {a.shape} and dtype {a.dtype}; "
                               f"expected ({n}, {length}) int32")
        assert_matches(target, np.ascontiguousarray(source[:, ::-1]), what=f"target of make_batch({n}, {length}) "
                       "(the source reversed)")
        assert_matches(decoder_input[:, 0], np.full(n, mine.BOS, np.int32),
                       what=f"decoder_input[:, 0] of make_batch({n}, {length}) (BOS first)")
        assert_matches(decoder_input[:, 1:], target[:, :-1], what=f"decoder_input[:, 1:] of make_batch({n}, {length}) "
                       "(the target shifted right by one: step t sees token t - 1)")


def test_make_batch_draws_uniform_digits_from_the_given_rng():
    a = mine.make_batch(2000, 6, np.random.default_rng(7))[0]
    b = mine.make_batch(2000, 6, np.random.default_rng(7))[0]
    assert_matches(np.asarray(a), np.asarray(b), what="source of make_batch with two generators of the same seed")
    counts = np.bincount(np.asarray(a).ravel(), minlength=11)
    if counts[10:].any() or counts[:10].min() < 1000:    # 1200 expected per digit, sd about 33
        raise Mismatch(f"source digits are not uniform on 0..9 (counts per token {counts.tolist()})")
    assert_raises(ValueError, mine.make_batch, 0, 5, np.random.default_rng(0), what="make_batch(0, 5, rng)")


def test_teacher_forced_logits_match_numpy_decoder_started_from_the_encoder():
    rng = np.random.default_rng(11)
    model, ref = _model(11)
    source = _sources(rng)
    decoder_input = rng.integers(0, mine.VOCAB, size=(N, L)).astype(np.int32)
    got = model(Tensor(source), Tensor(decoder_input)).numpy()
    want = ref.teacher_forced(source, decoder_input).astype(np.float32)
    assert_matches(got, want, what=f"teacher-forced logits for a ({N}, {S}) source and a ({N}, {L}) decoder input",
                   rtol=1e-4, atol=1e-4)
    other = source.copy()
    other[:, 0] = (other[:, 0] + 1) % 10                 # change only the first source token
    changed = model(Tensor(other), Tensor(decoder_input)).numpy()
    if np.abs(changed - got).max() < 1e-6:
        raise Mismatch("the logits do not change when the source changes: does the decoder start from "
                       "the encoder's final state (h, c)?")
    # every call encodes from the zero state: nothing is carried over from the call before
    again = model(Tensor(source), Tensor(decoder_input)).numpy()
    assert_matches(again, got, rtol=1e-5, atol=1e-6,
                   what="teacher-forced logits of a third call with the first call's inputs\n"
                        "(a state kept from an earlier call?)")


def test_greedy_matches_a_step_by_step_numpy_decode():
    rng = np.random.default_rng(13)
    for seed in range(13, 33):      # weights on which feeding the argmax back makes a difference
        ref = NumpySeq2Seq(np.random.default_rng(seed))
        source = _sources(rng)
        want, gap = ref.greedy(source, L)
        if gap > 1e-3 and len(set(map(tuple, want))) > 1 and (ref.greedy(source, L, False)[0] != want).any():
            break
    model, _ = _model(seed, ref)
    got = model.greedy(Tensor(source), L)
    if not isinstance(got, Tensor):
        raise Mismatch(f"greedy returned {type(got).__name__}; expected a Tensor of tokens")
    assert_matches(got.numpy(), want.astype(np.int32), what=f"greedy({N}x{S} source, length {L}) on random weights "
                   "(argmax over the vocabulary, fed back as the next input after BOS)")


def test_sequence_loss_counts_every_token():
    rng = np.random.default_rng(17)
    logits = rng.normal(0, 2, size=(3, 3, mine.VOCAB)).astype(np.float32)
    target = np.array([[0, 0, 3], [0, 9, 0], [5, 0, 1]], np.int32)      # digit 0 is a real token
    z = logits.astype(np.float64) - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, target[..., None], -1).mean()
    got = mine.sequence_loss(Tensor(logits), Tensor(target))
    assert_matches(np.array([got.item()]), np.array([want]), what="sequence_loss over a 3x3 target with zeros",
                   rtol=1e-5, n=9)
    # the vocabulary is logits.shape[-1], whatever the module's VOCAB
    logits = rng.normal(0, 2, size=(1, 2, 20)).astype(np.float32)
    target = np.array([[15, 0]], np.int32)
    z = logits.astype(np.float64) - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    want = -np.take_along_axis(logp, target[..., None], -1).mean()
    try:
        got = mine.sequence_loss(Tensor(logits), Tensor(target)).item()
    except Exception as e:
        raise Mismatch(f"sequence_loss of (1, 2, 20) logits raised {type(e).__name__}: the\n"
                       "vocabulary is logits.shape[-1], not the module's VOCAB.") from None
    assert_matches(np.array([got]), np.array([want]), rtol=1e-5,
                   what="sequence_loss of (1, 2, 20) logits (V = 20), target [[15, 0]]")
