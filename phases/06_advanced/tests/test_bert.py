"""Visible tests for Exercise 6.7 (a character-level BERT). Run: make phase6"""
import math

import numpy as np
import pytest
from tinygrad import Tensor

from grader.target import exercise

bert = exercise("6.7")


def test_vocabulary_puts_special_tokens_first():
    vocab = bert.CharVocab("to be")
    assert (bert.PAD, bert.CLS, bert.SEP, bert.MASK) == (0, 1, 2, 3)
    assert vocab.chars == [" ", "b", "e", "o", "t"]                 # sorted, ids 4, 5, 6, 7, 8
    assert vocab.vocab_size == 9
    assert vocab.encode("bet") == [5, 6, 8]
    assert vocab.decode([1, 5, 3, 2]) == "[CLS]b[MASK][SEP]"
    rows = vocab.pack(["be", "to be"], 6)
    assert rows.tolist() == [[1, 5, 6, 2, 0, 0],                    # [CLS] b e [SEP] [PAD] [PAD]
                             [1, 8, 7, 4, 5, 2]]                    # cut to 4 characters


def test_mask_tokens_never_touches_special_tokens():
    ids = np.array([[1, 4, 5, 6, 2, 0, 0, 0]] * 500)                # [CLS] 3 characters [SEP] padding
    inputs, labels = bert.mask_tokens(ids, 10, np.random.default_rng(0), mask_prob=0.5)
    assert (inputs[:, [0, 4, 5, 6, 7]] == ids[:, [0, 4, 5, 6, 7]]).all()
    assert (labels[:, [0, 4, 5, 6, 7]] == -100).all()               # never chosen, never scored
    chosen = labels != -100
    assert 0.45 < chosen[:, 1:4].mean() < 0.55                      # about mask_prob of the characters
    assert (labels[chosen] == ids[chosen]).all()                    # the label is the original id
    assert (inputs[~chosen] == ids[~chosen]).all()                  # nothing else changes


def test_mask_tokens_80_10_10():
    ids = np.full((200, 50), 7)
    inputs, labels = bert.mask_tokens(ids, 12, 3, mask_prob=1.0)    # an int seed works too
    assert (labels == 7).all()                                      # every character chosen
    assert 0.77 < (inputs == bert.MASK).mean() < 0.83               # 80% [MASK]
    assert 0.17 < (inputs != bert.MASK).mean() < 0.23               # 10% random + 10% unchanged
    assert inputs.min() >= bert.MASK and inputs.max() < 12          # random ids are characters
    again, _ = bert.mask_tokens(ids, 12, 3, mask_prob=1.0)
    assert (again == inputs).all()                                  # same seed, same masking


def test_encoder_is_bidirectional():
    Tensor.manual_seed(0)
    model = bert.Bert(vocab_size=9, context=6, d_model=8, n_heads=2, n_layers=1)
    ids = np.array([[1, 4, 5, 6, 7, 2],
                    [1, 4, 5, 6, 8, 2]], dtype=np.int32)            # row 1: a LATER token changed
    out = model.encode(Tensor(ids)).numpy()
    assert out.shape == (2, 6, 8)                                   # (N, T, d)
    assert not np.allclose(out[0, 1], out[1, 1], atol=1e-6)         # position 1 sees position 4


def test_mlm_loss_averages_over_chosen_positions_only():
    logits = np.zeros((1, 3, 4), dtype=np.float32)
    logits[0, 0, 2] = 2.0
    labels = np.array([[2, -100, 1]])                               # position 1 is not scored
    loss = bert.mlm_loss(Tensor(logits), Tensor(labels)).item()
    p2 = math.exp(2) / (math.exp(2) + 3)
    assert loss == pytest.approx((-math.log(p2) + math.log(4)) / 2, rel=1e-4)   # / 2, not / 3


def test_classifier_gives_small_logits_per_sequence_at_init():
    Tensor.manual_seed(0)
    clf = bert.BertClassifier(bert.Bert(9, 6, 8, 2, 1), n_classes=3)
    logits = clf(Tensor(np.array([[1, 4, 5, 2, 0, 0], [1, 6, 2, 0, 0, 0]], dtype=np.int32)))
    assert logits.shape == (2, 3)
    assert np.abs(logits.numpy()).max() < 0.5                       # small weights: near-uniform guesses
