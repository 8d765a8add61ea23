"""Mutants and alternatives for Exercise 4.1 (TinygradNN)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("Kaiming scale 1/fan_in instead of 2/fan_in", find="math.sqrt(2.0 / n_in)", replace="math.sqrt(1.0 / n_in)"),
    Edit("Kaiming with fan-out", find="math.sqrt(2.0 / n_in)", replace="math.sqrt(2.0 / n_out)"),
    Edit("ReLU after the output layer too", find="            if k < len(self.weights) - 1:\n                x = x.relu()",
         replace="            x = x.relu()"),
    Edit("bias dropped in the forward pass", find="x = x @ w + b", replace="x = x @ w"),
    Edit("no zero_grad: gradients accumulate across steps", find="        optimizer.zero_grad()\n", replace=""),
    Edit("step without Context(TRAINING=1)", find="    @TinyJit\n    @Context(TRAINING=1)\n", replace="    @TinyJit\n"),
    Edit("summed instead of mean loss", find="loss = model(x).sparse_categorical_crossentropy(y).backward()",
         replace="loss = model(x).sparse_categorical_crossentropy(y, reduction=\"sum\").backward()"),
    Edit("evaluate divides by the number of batches' rows seen in full batches",
         find="    return correct / len(X)", replace="    return correct / (len(X) // batch_size * batch_size)"),
    Edit("weights drawn with NumPy in float64", find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in)).contiguous()",
         replace="Tensor(np.random.default_rng(0).normal(0.0, math.sqrt(2.0 / n_in), (n_in, n_out))).contiguous()"),
]

ALTERNATIVES = [
    Edit("Kaiming-uniform with the same variance (bound sqrt(6 / fan_in))",
         find="(Tensor.randn(n_in, n_out) * math.sqrt(2.0 / n_in))",
         replace="(Tensor.uniform(n_in, n_out, low=-1.0, high=1.0) * math.sqrt(6.0 / n_in))"),
    Edit("forward with an explicit layer list and linear()", find="""        x = x.flatten(1)
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = x @ w + b
            if k < len(self.weights) - 1:
                x = x.relu()
        return x""", replace="""        x = x.reshape(x.shape[0], -1)
        *hidden, (w_out, b_out) = list(zip(self.weights, self.biases))
        for w, b in hidden:
            x = x.linear(w, b).relu()
        return x.linear(w_out, b_out)"""),
    Edit("step that realizes the loss, then calls optimizer.step()", find="        return loss.realize(*optimizer.schedule_step())",
         replace="        loss.realize()\n        optimizer.step()\n        return loss"),
]
