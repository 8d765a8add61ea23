"""Visible tests for Exercise 6.6 (a YOLO-style detector). Run: make phase6"""
import numpy as np
from tinygrad import Tensor

from grader.target import exercise

det = exercise("6.6")


def test_iou_of_overlapping_touching_and_identical_boxes():
    a = np.array([[0.0, 0.0, 2.0, 2.0]])
    b = np.array([[1.0, 0.0, 3.0, 2.0],      # half of each: 2 / (4 + 4 - 2)
                  [2.0, 0.0, 4.0, 2.0],      # touches along x = 2: no shared area
                  [0.0, 0.0, 2.0, 2.0],      # identical
                  [1.0, 1.0, 1.0, 1.0]])     # a point: area 0
    np.testing.assert_allclose(det.box_iou(a, b), [[1 / 3, 0.0, 1.0, 0.0]])
    assert det.box_iou(a, np.zeros((0, 4))).shape == (1, 0)


def test_nms_keeps_the_best_box_and_spares_other_classes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [30, 30, 40, 40]], dtype=float)
    scores = np.array([0.6, 0.9, 0.8, 0.5])
    classes = np.array([1, 1, 2, 1])
    # box 1 (best) suppresses box 0 (same class, IoU 0.82); box 2 is another class; box 3 is far away
    np.testing.assert_array_equal(det.nms(boxes, scores, classes, iou_threshold=0.5), [1, 2, 3])


def test_nms_breaks_score_ties_by_index():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
    np.testing.assert_array_equal(det.nms(boxes, [0.7, 0.7], [0, 0]), [0])


def test_encode_targets_fills_the_cell_of_the_centre():
    # 64x64 image, 4x4 grid: cells of 16 pixels. Centre (26, 12) lies in row 0, column 1.
    target, class_map = det.encode_targets(np.array([[20.0, 4.0, 32.0, 20.0]]), np.array([7]), grid=4, image_size=64)
    assert target.shape == (4, 4, 5) and class_map.shape == (4, 4)
    np.testing.assert_allclose(target[0, 1], [1.0, 26 / 16 - 1, 12 / 16, np.sqrt(12 / 64), np.sqrt(16 / 64)], rtol=1e-6)
    assert target[..., 0].sum() == 1.0
    assert class_map[0, 1] == 7 and (class_map == -100).sum() == 15


def test_decode_inverts_encode_for_a_confident_output():
    boxes, classes = np.array([[20.0, 4.0, 32.0, 20.0], [40.0, 36.0, 60.0, 64.0]]), np.array([7, 2])
    target, class_map = det.encode_targets(boxes, classes, grid=4, image_size=64)
    out = np.zeros((4, 4, 15))
    out[..., 0] = np.where(target[..., 0] == 1, 12.0, -12.0)            # objectness logits
    out[..., 1:5] = target[..., 1:5]
    out[..., 5:] = 12.0 * np.eye(10)[np.maximum(class_map, 0)]          # class logits
    got_boxes, got_scores, got_classes = det.decode(out, image_size=64, score_threshold=0.5)
    np.testing.assert_allclose(got_boxes, boxes, atol=1e-4)
    np.testing.assert_array_equal(got_classes, classes)
    assert (got_scores > 0.99).all()


def test_network_output_has_one_row_of_predictions_per_cell():
    model = det.TinyYolo(channels=(4, 4, 4, 4), n_classes=10)
    out = model(Tensor(np.zeros((2, 1, 64, 64), np.float32)))
    assert out.shape == (2, 4, 4, 15)                                   # 64 / 2^4 = 4 cells a side


def test_loss_terms_on_one_cell():
    pred = np.zeros((1, 1, 1, 7), np.float32)                           # 1x1 grid, 2 classes
    pred[0, 0, 0, 1] = 0.5                                              # tx off by 0.5
    target = np.array([[[[1.0, 0.0, 0.0, 0.0, 0.0]]]], np.float32)
    class_map = Tensor(np.array([[[1]]], np.int32))
    obj, box, cls = det.loss_terms(Tensor(pred), Tensor(target), class_map)
    total = det.detection_loss(Tensor(pred), Tensor(target), class_map, lambda_coord=5.0)
    Tensor.realize(obj, box, cls, total)                                # one schedule: compiles faster
    assert np.isclose(obj.item(), np.log(2))                            # BCE(sigmoid(0), 1)
    assert np.isclose(box.item(), 0.25)                                 # 0.5 squared
    assert np.isclose(cls.item(), np.log(2))                            # two equal logits
    assert np.isclose(total.item(), 2 * np.log(2) + 5 * 0.25)


def test_average_precision_uses_every_recall_level():
    # ranked hits: yes, no, yes, no with 3 objects -> precision 1, 1/2, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3
    # the interpolated curve is 1 up to recall 1/3 and 2/3 up to 2/3: AP = 1/3 + 2/9
    assert np.isclose(det.average_precision([0.9, 0.8, 0.7, 0.6], [True, False, True, False], n_gt=3), 1 / 3 + 2 / 9)
    assert det.average_precision([], [], n_gt=2) == 0.0


def test_a_duplicate_detection_is_a_false_positive():
    gt = np.array([[0.0, 0.0, 10.0, 10.0]])
    boxes = np.array([[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 9.0]])
    np.testing.assert_array_equal(det.match_detections(boxes, [0.8, 0.9], gt), [False, True])


def test_mean_average_precision_skips_classes_without_ground_truth():
    box = np.array([[0.0, 0.0, 8.0, 8.0]])
    detections = [(box, np.array([0.9]), np.array([3]))]
    ground_truth = [(box, np.array([3]))]
    m, per_class = det.mean_average_precision(detections, ground_truth, n_classes=5)
    assert m == 1.0 and per_class[3] == 1.0 and np.isnan(per_class[[0, 1, 2, 4]]).all()
