"""The probes that hidden checks use to watch how learner code works."""
import importlib.util

import pytest

from grader.hidden.probes import ForbiddenCall, attribute_uses, refuse_calls


class Box:
    def area(self):
        return 4


def test_a_refused_call_fails_even_when_the_caller_swallows_it():
    def sneaky(box):
        try:
            return box.area()
        except Exception:
            return 4
    with pytest.raises(ForbiddenCall, match="Box.area was called: build it yourself"):
        with refuse_calls(Box, ["area"], "build it yourself"):
            sneaky(Box())
    assert Box().area() == 4, "the method is restored after the block"


def test_methods_inherited_from_a_base_class_are_restored():
    class Square(Box):
        pass
    with refuse_calls(Square, ["area"], "no"):
        assert Box().area() == 4
    assert "area" not in Square.__dict__ and Square().area() == 4


def test_attribute_uses_finds_method_calls_but_not_definitions(tmp_path):
    (tmp_path / "learner.py").write_text("def conv2d(x, w):\n    return x.conv2d(w)\n")
    spec = importlib.util.spec_from_file_location("learner", tmp_path / "learner.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert attribute_uses(module, {"conv2d"}) == ["line 2: .conv2d"]
