"""Visible tests for Exercise 6.8 (deploy). Run: make phase6"""
import numpy as np
import onnx
import onnxruntime as ort
from tinygrad import Tensor, nn

from grader.target import exercise

deploy = exercise("6.8")


class TinyCNN:
    """The module contract of 5.2's MnistCNN, with (2, 3) channels: conv1, bn1, conv2, bn2, fc."""

    def __init__(self):
        self.conv1, self.bn1 = nn.Conv2d(1, 2, 5), nn.BatchNorm(2)
        self.conv2, self.bn2 = nn.Conv2d(2, 3, 5), nn.BatchNorm(3)
        self.fc = nn.Linear(16 * 3, 10)

    def __call__(self, x: Tensor) -> Tensor:
        x = self.bn1(self.conv1(x)).relu().max_pool2d(2)
        x = self.bn2(self.conv2(x)).relu().max_pool2d(2)
        return self.fc(x.flatten(1))


def _trained_looking_model() -> TinyCNN:
    """Weights from NumPy (no random kernels to compile) and running statistics far from (0, 1), as
    after training: folding them in must matter."""
    rng = np.random.default_rng(0)
    model = TinyCNN()
    for layer in (model.conv1, model.conv2, model.fc):
        layer.weight = Tensor(rng.normal(0.0, 0.3, layer.weight.shape).astype(np.float32))
        layer.bias = Tensor(rng.normal(0.0, 0.1, layer.bias.shape).astype(np.float32))
    for bn, mean, var in ((model.bn1, [0.2, -0.1], [0.5, 2.0]), (model.bn2, [0.1, 0.0, -0.2], [0.3, 1.5, 0.8])):
        bn.running_mean, bn.running_var = Tensor(np.array(mean, np.float32)), Tensor(np.array(var, np.float32))
    return model


def _images(n: int = 3) -> np.ndarray:
    return np.random.default_rng(0).random((n, 1, 28, 28), dtype=np.float32)


def test_fold_batchnorm_on_one_channel():
    # s = gamma / sqrt(var + eps) = 3 / sqrt(3 + 1) = 1.5
    w, b = deploy.fold_batchnorm(np.full((1, 1, 1, 1), 2.0), np.array([1.0]), gamma=np.array([3.0]),
                                 beta=np.array([0.5]), mean=np.array([0.0]), var=np.array([3.0]), eps=1.0)
    assert w.dtype == np.float32 and w.shape == (1, 1, 1, 1)
    assert w[0, 0, 0, 0] == 3.0            # 2 * 1.5
    assert b[0] == 2.0                     # (1 - 0) * 1.5 + 0.5


def test_numpy_runtime_reproduces_the_model_in_inference_mode():
    model = _trained_looking_model()
    weights = deploy.deployable_weights(model)
    assert sorted(weights) == sorted(deploy.WEIGHT_NAMES)
    assert weights["conv2.weight"].shape == (3, 2, 5, 5) and weights["fc.weight"].shape == (10, 48)
    x = _images()
    logits = deploy.numpy_forward(weights, x)
    assert logits.shape == (3, 10) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, model(Tensor(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_conv2d_numpy_small_examples():
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)     # 0 1 2 / 3 4 5 / 6 7 8
    ones = np.ones((1, 1, 2, 2), np.float32)
    np.testing.assert_array_equal(deploy.conv2d_numpy(x, ones), [[[[8, 12], [20, 24]]]])
    # padding 1 makes it 5x5; stride 2 keeps the windows at rows and columns 0 and 2
    np.testing.assert_array_equal(deploy.conv2d_numpy(x, ones, np.array([1.0]), stride=2, padding=1),
                                  [[[[1, 4], [10, 25]]]])


def test_max_pool_drops_the_window_that_does_not_fit():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    np.testing.assert_array_equal(deploy.max_pool2d_numpy(x), [[[[6, 8], [16, 18]]]])


def test_onnx_export_runs_in_onnxruntime_for_any_batch_size(tmp_path):
    model = _trained_looking_model()
    proto = deploy.export_onnx(model, tmp_path / "model.onnx")
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == deploy.OPSET
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    want = deploy.numpy_forward(deploy.deployable_weights(model), _images())
    for n in (1, 3):                                   # the batch dimension is symbolic
        got = session.run(None, {deploy.INPUT_NAME: _images()[:n]})[0]
        np.testing.assert_allclose(got, want[:n], rtol=1e-4, atol=1e-5)


def test_safetensors_round_trip_is_bit_identical(tmp_path):
    arrays = {"w": np.array([[1.5, -0.0], [np.float32(1e-40), 3.25]], np.float32), "q": np.array([-127, 0, 127], np.int8)}
    deploy.save_safetensors(arrays, tmp_path / "a.safetensors")
    back = deploy.load_safetensors(tmp_path / "a.safetensors")
    assert sorted(back) == ["q", "w"]
    assert back["q"].dtype == np.int8 and back["w"].dtype == np.float32
    assert back["w"].tobytes() == arrays["w"].tobytes()        # -0.0 and the subnormal survive
    np.testing.assert_array_equal(back["q"], arrays["q"])


def test_int8_has_one_scale_per_output_channel():
    weights = deploy.deployable_weights(_trained_looking_model())
    weights["fc.weight"][0] *= 100.0                   # one large row must not coarsen the others
    q = deploy.quantize_int8(weights)
    assert q["fc.weight"].dtype == np.int8 and q["fc.weight_scale"].shape == (10,)
    np.testing.assert_allclose(q["fc.weight_scale"], np.abs(weights["fc.weight"]).max(axis=1) / 127, rtol=1e-6)
    assert (np.abs(q["fc.weight"]).max(axis=1) == 127).all()   # every row uses the full range
    back = deploy.dequantize_int8(q)
    assert np.all(np.abs(back["fc.weight"] - weights["fc.weight"]) <= q["fc.weight_scale"][:, None] / 2 + 1e-7)
    # int8 weights are a quarter of float32; the scales and float biases add a little
    assert deploy.size_bytes(weights) == 4 * (50 + 2 + 150 + 3 + 480 + 10)
    assert deploy.size_bytes(q) == (50 + 150 + 480) + 4 * (2 + 3 + 10) + 4 * (2 + 3 + 10)


def test_percentile_is_nearest_rank():
    assert deploy.percentile([5.0, 1.0, 4.0, 2.0, 3.0], 50) == 3.0
    assert deploy.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0     # an observed value, not 2.5
    assert deploy.percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert deploy.percentile(list(range(1, 21)), 95) == 19        # ceil(0.95 * 20) = 19th value


def test_measure_latency_does_not_time_the_warm_up():
    now = [0.0]
    durations = iter([1.0, 1.0, 0.002, 0.004, 0.003])           # seconds: two slow warm-up calls first
    def infer():
        now[0] += next(durations)
    result = deploy.measure_latency(infer, warmup=2, repeats=3, clock=lambda: now[0])
    np.testing.assert_allclose(result["timings_ms"], [2.0, 4.0, 3.0])
    assert np.isclose(result["p50_ms"], 3.0) and np.isclose(result["p95_ms"], 4.0)


def test_report_table_fits_80_columns():
    rows = [dict(runtime="onnxruntime", weights="float32", size_bytes=36454, accuracy=0.9891, p50_ms=0.081, p95_ms=0.102),
            dict(runtime="numpy", weights="int8", size_bytes=9216, accuracy=None, p50_ms=1.5, p95_ms=None)]
    lines = deploy.report_table(rows).splitlines()
    assert len(lines) == 4 and all(len(line) == 76 for line in lines)
    assert lines[2] == "| onnxruntime        | float32 |     35.6 |   98.91% |    0.081 |    0.102 |"
    assert lines[3] == "| numpy              | int8    |      9.0 |        - |    1.500 |        - |"
