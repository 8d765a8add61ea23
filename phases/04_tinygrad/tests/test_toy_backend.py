"""Visible tests for Exercise 4.6 (devices and the TOY backend). Run: make phase4"""
import numpy as np
from tinygrad import Device, Tensor
from tinygrad.codegen import to_program
from tinygrad.engine.realize import run_linear
from tinygrad.helpers import Target

from grader import toy_device
from grader.target import exercise

toy = exercise("4.6")


def lowered(t: Tensor):
    """The linearized UOps of the single kernel of t, lowered for the TOY renderer (the schedule is run on CPU)."""
    lin = t.schedule_linear()
    prg = to_program(lin.src[-1].src[0], toy_device.ToyRenderer(Target(device="TOY")))
    run_linear(lin)
    return list(prg.src[1].src)


def test_compare_devices_same_result_on_cpu_and_virtual_cpu():
    res = toy.compare_devices(lambda dev: (Tensor([1.0, 2.0, 3.0], device=dev) * 2).sum(), ["CPU", "CPU:1"], repeats=1)
    assert set(res) == {"CPU", "CPU:1"}
    for value, seconds in res.values():
        assert float(value) == 12.0 and seconds > 0


def test_interpret_an_elementwise_kernel():
    a = Tensor(np.arange(6, dtype=np.float32)).realize()
    uops = lowered((a * 2 + 1).relu())
    out = np.zeros(6, np.float32)
    toy.interpret(uops, [out.view(np.uint8), a.numpy().view(np.uint8).copy()])
    np.testing.assert_allclose(out, np.arange(6) * 2 + 1)


def test_interpret_a_matmul_kernel_with_loops():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(5, 4)).astype(np.float32)
    a, b = Tensor(A).realize(), Tensor(B).realize()
    uops = lowered(a @ b)
    out = np.zeros(12, np.float32)
    toy.interpret(uops, [out.view(np.uint8), A.ravel().view(np.uint8).copy(), B.ravel().view(np.uint8).copy()])
    np.testing.assert_allclose(out.reshape(3, 4), A @ B, rtol=1e-5, atol=1e-6)


def test_toy_device_trains_like_cpu():
    toy_device.register(toy.interpret)                  # the given device shell runs your interpreter
    assert type(Device["TOY"]).__name__ == "ToyDevice"
    np.testing.assert_allclose((Tensor([1.0, 2.0], device="TOY") * 2).numpy(), [2.0, 4.0])   # one kernel first
    # the same two SGD steps on CPU gave toy_device.CPU_LOSSES
    np.testing.assert_allclose(toy_device.train_losses("TOY", steps=2, numpy_init=True), toy_device.CPU_LOSSES, rtol=1e-5)
