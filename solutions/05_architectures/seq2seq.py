"""Exercise 5.5: a sequence-to-sequence LSTM trained with teacher forcing, decoded greedily.

The task is a memory test in miniature: read a string of digits, then write it out reversed
("31415" -> "51413"). An encoder LSTM reads the source one token at a time; its final state (h, c)
is the only thing the decoder receives, so everything it needs must pass through that state. The
decoder is a second LSTM that writes the answer one token at a time, each step predicting the next
token from the tokens before it.

Training uses teacher forcing: the decoder's input at step t is the true token t - 1 (a BOS token
at step 0), not its own guess, so every step of a batch learns in one parallel pass:

    target         5 1 4 1 3
    decoder input  B 5 1 4 1      (BOS, then the target shifted right by one)

At test time there is no target: greedy decoding feeds the argmax of each step back as the next
input. The cell is a constructor argument, so the same model trains with `tinygrad.nn.LSTMCell` or
with the LSTMCell you wrote in Exercise 5.4 (the milestone passes yours).
"""
from __future__ import annotations

import numpy as np
from tinygrad import Tensor, dtypes, nn

DIGITS = 10           # tokens 0..9 are the digits
BOS = 10              # the begin-of-sequence token that starts every decoder input
VOCAB = DIGITS + 1


def materialize(t: Tensor) -> Tensor:
    """t as a buffer of its own in the forward and the backward pass (same value, same gradient).

    Apply it to h and c after every step of an unrolled LSTM: otherwise tinygrad fuses each step
    into the next one's kernels and code generation time explodes with the sequence length (the
    docstring of `materialize` in Exercise 5.4 has the measurements).
    """
    return t.contiguous().contiguous_backward()


def make_batch(n: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of the reversal task: (source, decoder_input, target), each (n, length) int32.

    source: digits drawn uniformly from 0..9 with `rng.integers`; target: each source row reversed;
    decoder_input: BOS followed by target[:, :-1] (the target shifted right by one position).
    Raises ValueError when n or length is below 1.
    """
    if n < 1 or length < 1:
        raise ValueError(f"n and length must be >= 1, got {n} and {length}")
    ### BEGIN SOLUTION
    source = rng.integers(0, DIGITS, size=(n, length)).astype(np.int32)
    target = np.ascontiguousarray(source[:, ::-1])
    decoder_input = np.concatenate([np.full((n, 1), BOS, np.int32), target[:, :-1]], axis=1)
    return source, decoder_input, target
    ### END SOLUTION


class Seq2Seq:
    """Embedding + LSTM encoder + LSTM decoder + linear head over a vocabulary of `vocab` tokens.

    Attributes (the hidden checks copy weights through them):
      embedding = nn.Embedding(vocab, embed), shared by source and decoder tokens;
      encoder = cell(embed, hidden) and decoder = cell(embed, hidden), two separate cells;
      head = nn.Linear(hidden, vocab), from a decoder hidden state to logits.
    `cell` is any class with the interface of `tinygrad.nn.LSTMCell`: `cell(input_size,
    hidden_size)`, and `cell_object(x, (h, c)) -> (h, c)` with x (N, E) and h, c (N, H).
    """

    def __init__(self, vocab: int = VOCAB, embed: int = 32, hidden: int = 64, cell=nn.LSTMCell):
        self.vocab, self.hidden = vocab, hidden
        self.embedding = nn.Embedding(vocab, embed)
        self.encoder = cell(embed, hidden)
        self.decoder = cell(embed, hidden)
        self.head = nn.Linear(hidden, vocab)

    def parameters(self) -> list[Tensor]:
        """Every trainable tensor: embedding, both cells and the head (for the optimizer)."""
        return nn.state.get_parameters(self)

    def encode(self, source: Tensor) -> tuple[Tensor, Tensor]:
        """The encoder's final state (h, c), each (N, hidden), after reading source (N, S) int32.

        Starts from the zero state; every step is embedding -> encoder cell, with `materialize`
        applied to h and c after the step.
        """
        ### BEGIN SOLUTION
        x = self.embedding(source)
        N = source.shape[0]
        hc = (Tensor.zeros(N, self.hidden), Tensor.zeros(N, self.hidden))
        for t in range(source.shape[1]):
            h, c = self.encoder(x[:, t], hc)
            hc = (materialize(h), materialize(c))
        return hc
        ### END SOLUTION

    def __call__(self, source: Tensor, decoder_input: Tensor) -> Tensor:
        """Teacher-forced logits (N, L, vocab) float32 for source (N, S) and decoder_input (N, L).

        The decoder starts from `encode(source)`; at step t it reads decoder_input[:, t] (which
        holds the true token t - 1, or BOS at t = 0), and logits[:, t] = head(h_t) scores token t.
        """
        ### BEGIN SOLUTION
        hc = self.encode(source)
        x = self.embedding(decoder_input)
        hs = []
        for t in range(decoder_input.shape[1]):
            h, c = self.decoder(x[:, t], hc)
            hc = (materialize(h), materialize(c))
            hs.append(hc[0])
        return self.head(Tensor.stack(*hs, dim=1))
        ### END SOLUTION

    def greedy(self, source: Tensor, length: int) -> Tensor:
        """Greedy decoding: tokens (N, length) int32, without any target.

        The decoder starts from `encode(source)` with BOS as its first input; at each step the
        token with the largest logit (argmax over the vocabulary) is the output and the next
        input. Here it is one lazy graph (the argmax is fed back without leaving the device, no
        realize inside the loop) that the caller realizes; a loop that realizes each step's token
        and feeds it back as a new Tensor computes the same tokens.
        """
        ### BEGIN SOLUTION
        hc = self.encode(source)
        token = Tensor.full((source.shape[0],), BOS, dtype=dtypes.int32)
        out = []
        for _ in range(length):
            h, c = self.decoder(self.embedding(token), hc)
            hc = (materialize(h), materialize(c))
            token = self.head(hc[0]).argmax(axis=-1).cast(dtypes.int32)
            out.append(token)
        return Tensor.stack(*out, dim=1)
        ### END SOLUTION


def sequence_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Mean cross-entropy over every position of every sequence: a scalar Tensor.

    logits (N, L, V) float, target (N, L) int. Every token counts, digit 0 included (there is no
    padding in this task, so nothing is ignored).
    """
    ### BEGIN SOLUTION
    return logits.reshape(-1, logits.shape[-1]).sparse_categorical_crossentropy(target.reshape(-1))
    ### END SOLUTION
