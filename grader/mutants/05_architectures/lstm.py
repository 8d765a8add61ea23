"""Mutants and alternatives for Exercise 5.4 (LSTMCell, LSTM)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("gate order i and f swapped", find="""        i = gates[:, 0:H].sigmoid()
        f = gates[:, H:2 * H].sigmoid()""", replace="""        f = gates[:, 0:H].sigmoid()
        i = gates[:, H:2 * H].sigmoid()"""),
    Edit("tanh instead of sigmoid on the output gate", find="o = gates[:, 3 * H:4 * H].sigmoid()",
         replace="o = gates[:, 3 * H:4 * H].tanh()"),
    Edit("sigmoid instead of tanh on the candidate", find="g = gates[:, 2 * H:3 * H].tanh()",
         replace="g = gates[:, 2 * H:3 * H].sigmoid()"),
    Edit("cell state updated without the forget gate", find="c = f * c + i * g", replace="c = c + i * g"),
    Edit("h = o * c (tanh of the new cell state missing)", find="return o * c.tanh(), c", replace="return o * c, c"),
    Edit("h computed from the old cell state", find="""        c = f * c + i * g
        return o * c.tanh(), c""", replace="""        new_c = f * c + i * g
        return o * c.tanh(), new_c"""),
    Edit("state not carried between steps", find="            h, c = self.cell(xs[t], hc)\n            hc = (materialize(h), materialize(c))\n            hs.append(hc[0])",
         replace="            h, c = self.cell(xs[t])\n            hs.append(materialize(h))\n            hc = (materialize(h), materialize(c))"),
    Edit("forget bias 1 in both bias vectors (gate sum 2)", find="self.bias_hh = Tensor.zeros(4 * H).contiguous()",
         replace="self.bias_hh = Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)).contiguous()"),
    Edit("forget bias on the input gate's block", find="Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H))",
         replace="Tensor([1.0] * H + [0.0] * (3 * H))"),
    Edit("only one of the two biases added", find="gates = gates + self.bias_ih + self.bias_hh",
         replace="gates = gates + self.bias_ih"),
    Edit("hs keeps the cell state instead of h", find="            hs.append(hc[0])", replace="            hs.append(hc[1])"),
    Edit("weights initialised with randn", find="Tensor.uniform(4 * H, H, low=-bound, high=bound)",
         replace="(Tensor.randn(4 * H, H) * bound)"),
    Edit("tinygrad's nn.LSTMCell called inside", find="""        h, c = hc
        gates""", replace="""        from tinygrad import nn
        ref = nn.LSTMCell(self.input_size, H, bias=self.bias_ih is not None)
        ref.weight_ih, ref.weight_hh, ref.bias_ih, ref.bias_hh = self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        return ref(x, hc)
        h, c = hc
        gates"""),
    Edit("LSTM keeps its last state and starts from it when hc is None",
         find="""        hs = []
        for t in range(xs.shape[0]):""", replace="""        if hc is None:
            hc = getattr(self, "_state", None)
        hs = []
        for t in range(xs.shape[0]):""", then=Edit("(store the state)",
         find="        return Tensor.stack(*hs), hc\n",
         replace="        self._state = (hc[0].detach(), hc[1].detach())\n        return Tensor.stack(*hs), hc\n")),
    Edit("forget-gate 1s in bias_hh instead of bias_ih",
         find="""            self.bias_ih = Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)).contiguous()
            self.bias_hh = Tensor.zeros(4 * H).contiguous()""",
         replace="""            self.bias_ih = Tensor.zeros(4 * H).contiguous()
            self.bias_hh = Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)).contiguous()"""),
    Edit("parameters() lists the biases first",
         find="(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh) if t is not None]",
         replace="(self.bias_ih, self.bias_hh, self.weight_ih, self.weight_hh) if t is not None]"),
    Edit("forget bias built from Python ints (an int32 parameter)",
         find="self.bias_ih = Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)).contiguous()",
         replace="self.bias_ih = Tensor([0] * H + [1] * H + [0] * (2 * H)).contiguous()"),
    Edit("state detached between steps (truncated backprop)",
         find="hc = (materialize(h), materialize(c))", replace="hc = (h.detach(), c.detach())"),
    Edit("weights uniform on [0, 1/sqrt(H)]",
         find="""        self.weight_ih = Tensor.uniform(4 * H, self.input_size, low=-bound, high=bound).contiguous()
        self.weight_hh = Tensor.uniform(4 * H, H, low=-bound, high=bound).contiguous()""",
         replace="""        self.weight_ih = Tensor.uniform(4 * H, self.input_size, low=0, high=bound).contiguous()
        self.weight_hh = Tensor.uniform(4 * H, H, low=0, high=bound).contiguous()"""),
    Edit("cell caches the transposed weights on its first call (later weights ignored)",
         find="        gates = x @ self.weight_ih.T + h @ self.weight_hh.T",
         replace="        self._w = getattr(self, '_w', None) or (self.weight_ih.T, self.weight_hh.T)\n"
                 "        gates = x @ self._w[0] + h @ self._w[1]"),
    Edit("hs holds the state before each step (h0 .. h_{T-1}), not after",
         find="""            h, c = self.cell(xs[t], hc)
            hc = (materialize(h), materialize(c))
            hs.append(hc[0])""",
         replace="""            hs.append(hc[0] if hc is not None else Tensor.zeros(xs.shape[1], self.cell.hidden_size))
            h, c = self.cell(xs[t], hc)
            hc = (materialize(h), materialize(c))"""),
    Edit("gate blocks read as i, f, o, g (output gate third)",
         find="""        g = gates[:, 2 * H:3 * H].tanh()
        o = gates[:, 3 * H:4 * H].sigmoid()""",
         replace="""        o = gates[:, 2 * H:3 * H].sigmoid()
        g = gates[:, 3 * H:4 * H].tanh()"""),
]

ALTERNATIVES = [
    Edit("four separate matmuls, one per gate", find="""        gates = x @ self.weight_ih.T + h @ self.weight_hh.T
        if self.bias_ih is not None:
            gates = gates + self.bias_ih + self.bias_hh
        gates = gates.contiguous_backward()
        i = gates[:, 0:H].sigmoid()
        f = gates[:, H:2 * H].sigmoid()
        g = gates[:, 2 * H:3 * H].tanh()
        o = gates[:, 3 * H:4 * H].sigmoid()""", replace="""        def gate(k):
            z = x @ self.weight_ih[k * H:(k + 1) * H].T + h @ self.weight_hh[k * H:(k + 1) * H].T
            if self.bias_ih is not None:
                z = z + self.bias_ih[k * H:(k + 1) * H] + self.bias_hh[k * H:(k + 1) * H]
            return z
        i, f, g, o = gate(0).sigmoid(), gate(1).sigmoid(), gate(2).tanh(), gate(3).sigmoid()"""),
    Edit("one matmul of [x, h] with the stacked weights, chunk and the logistic written out",
         find="""        gates = x @ self.weight_ih.T + h @ self.weight_hh.T
        if self.bias_ih is not None:
            gates = gates + self.bias_ih + self.bias_hh
        gates = gates.contiguous_backward()
        i = gates[:, 0:H].sigmoid()
        f = gates[:, H:2 * H].sigmoid()""", replace="""        gates = x.cat(h, dim=1) @ self.weight_ih.cat(self.weight_hh, dim=1).T
        if self.bias_ih is not None:
            gates = gates + (self.bias_ih + self.bias_hh)
        i, f, _, _ = gates.chunk(4, dim=1)
        i, f = 1 / (1 + (-i).exp()), 1 / (1 + (-f).exp())"""),
    Edit("unroll that stacks hidden states after the loop from a list of states",
         find="""        hs = []
        for t in range(xs.shape[0]):
            h, c = self.cell(xs[t], hc)
            hc = (materialize(h), materialize(c))
            hs.append(hc[0])
        return Tensor.stack(*hs), hc""", replace="""        states = []
        for t in range(len(xs)):
            hc = tuple(materialize(s) for s in self.cell(xs[t], hc))
            states.append(hc)
        return Tensor.stack(*[h for h, _ in states], dim=0), states[-1]"""),
    Edit("weights from Tensor.rand scaled to [-b, b], biases from NumPy",
         find="""        bound = 1.0 / math.sqrt(H)
        self.weight_ih = Tensor.uniform(4 * H, self.input_size, low=-bound, high=bound).contiguous()
        self.weight_hh = Tensor.uniform(4 * H, H, low=-bound, high=bound).contiguous()
        if bias:
            self.bias_ih = Tensor([0.0] * H + [1.0] * H + [0.0] * (2 * H)).contiguous()""",
         replace="""        import numpy as np
        bound = 1.0 / math.sqrt(H)
        self.weight_ih = ((Tensor.rand(4 * H, self.input_size) * 2 - 1) * bound).contiguous()
        self.weight_hh = ((Tensor.rand(4 * H, H) * 2 - 1) * bound).contiguous()
        if bias:
            b = np.zeros(4 * H, np.float32)
            b[H:2 * H] = 1
            self.bias_ih = Tensor(b).contiguous()"""),
    Edit("zero state built with zeros_like of a gate slice",
         find="""        if hc is None:
            hc = (Tensor.zeros(x.shape[0], H), Tensor.zeros(x.shape[0], H))
        h, c = hc""", replace="""        if hc is None:
            h = (x @ self.weight_ih.T)[:, :H].zeros_like()
            hc = (h, h)
        h, c = hc"""),
    Edit("zero state of shape (1, H), broadcast over the batch by the first step",
         find="            hc = (Tensor.zeros(x.shape[0], H), Tensor.zeros(x.shape[0], H))",
         replace="            hc = (Tensor.zeros(1, H), Tensor.zeros(1, H))"),
]
