"""Mutants and alternatives for Exercise 3.3 (NeuralNetwork)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("bias gradient not summed over the batch", find="gW[i], gb[i] = hs[i].T @ dout, dout.sum(axis=0)", replace="gW[i], gb[i] = hs[i].T @ dout, dout.mean(axis=0)"),
    Edit("sigmoid derivative written as a(1 + a)", find="        return a * (1 - a)", replace="        return a * (1 + a)"),
    Edit("missing 1/N in the output gradient", find="        dout = p / len(y)", replace="        dout = p"),
    Edit("activation derivative at the wrong layer", find="* self._act_grad(zs[i - 1], hs[i])", replace="* self._act_grad(zs[i], hs[i])"),
    Edit("tanh derivative written as 1 - a", find="            return 1 - a * a", replace="            return 1 - a"),
    Edit("activation applied to the output layer", find="h = self._act(z) if i < len(self.weights) - 1 else z", replace="h = self._act(z)"),
    Edit("same permutation every epoch", find="            order, losses = rng.permutation(len(X)), []", replace="            order, losses = np.random.default_rng(seed).permutation(len(X)), []"),
    Edit("relu derivative 1 at exactly zero", find="            return (z > 0).astype(z.dtype)", replace="            return (z >= 0).astype(z.dtype)"),
    Edit("backward's softmax without the max-shift", find="        p = np.exp(logits - logits.max(axis=1, keepdims=True))", replace="        p = np.exp(logits)"),
]

ALTERNATIVES = [
    Edit("gradient of the output through a one-hot matrix",
         find="        p[np.arange(len(y)), y] -= 1\n        dout = p / len(y)",
         replace="        dout = (p - np.eye(p.shape[1])[y]) / len(y)"),
]
