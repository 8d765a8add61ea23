"""Mutants and alternatives for Exercise 4.2 (Adam / AdamW)."""
from grader.mutants import Edit

UPDATE = ("            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()\n"
          "            p.assign(p.detach() - self.lr * update)")
MOMENTS = ("            m.assign(self.b1 * m + (1.0 - self.b1) * g)\n"
           "            v.assign(self.b2 * v + (1.0 - self.b2) * g * g)")
REALIZE = "        Tensor.realize(self.b1_t, self.b2_t, *self.params, *self.m, *self.v)"

MUTANTS = [
    Edit("bias correction off by one step (b^(t+1))", find="self.b1_t = Tensor.ones(1, device=self.params[0].device).contiguous()",
         replace="self.b1_t = Tensor.full((1,), self.b1, device=self.params[0].device).contiguous()",
         then=Edit("", find="self.b2_t = Tensor.ones(1, device=self.params[0].device).contiguous()",
                   replace="self.b2_t = Tensor.full((1,), self.b2, device=self.params[0].device).contiguous()")),
    Edit("no bias correction", find="            m_hat = m / (1.0 - self.b1_t)\n            v_hat = v / (1.0 - self.b2_t)",
         replace="            m_hat = m\n            v_hat = v"),
    Edit("L2 penalty in the gradient instead of decoupled weight decay",
         find="            g = p.grad\n", replace="            g = p.grad + self.wd * p.detach()\n",
         then=Edit("", find="update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()",
                   replace="update = m_hat / (v_hat.sqrt() + self.eps)")),
    Edit("eps inside the square root", find="update = m_hat / (v_hat.sqrt() + self.eps)", replace="update = m_hat / (v_hat + self.eps).sqrt()"),
    Edit("weight decay not scaled by lr", find="            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()\n            p.assign(p.detach() - self.lr * update)",
         replace="            update = m_hat / (v_hat.sqrt() + self.eps)\n            p.assign(p.detach() - self.lr * update - self.wd * p.detach())"),
    Edit("second moment of g, not g^2", find="(1.0 - self.b2) * g * g", replace="(1.0 - self.b2) * g.abs()"),
    Edit("no eps (0 / 0 for a zero gradient)", find="update = m_hat / (v_hat.sqrt() + self.eps)", replace="update = m_hat / v_hat.sqrt()"),
    Edit("bias-correction powers kept on the class (shared by every optimizer)",
         find="""        self.b1_t = Tensor.ones(1, device=self.params[0].device).contiguous()   # b1^t, kept on the device
        self.b2_t = Tensor.ones(1, device=self.params[0].device).contiguous()""",
         replace="""        if not hasattr(Adam, "b1_t"):
            Adam.b1_t = Tensor.ones(1, device=self.params[0].device).contiguous()
            Adam.b2_t = Tensor.ones(1, device=self.params[0].device).contiguous()""",
         then=Edit("", find="        self.b1_t.assign(self.b1_t * self.b1)\n        self.b2_t.assign(self.b2_t * self.b2)",
                   replace="        Adam.b1_t.assign(Adam.b1_t * self.b1)\n        Adam.b2_t.assign(Adam.b2_t * self.b2)")),
    Edit("zero_grad fills zeros instead of None", find="        for p in self.params:\n            p.grad = None",
         replace="        for p in self.params:\n            p.grad = p.zeros_like()"),
    Edit("step() also clears the gradients (zero_grad folded into step)", find=REALIZE,
         replace=REALIZE + "\n        for p in self.params:\n            p.grad = None"),
    Edit("decoupled decay applied after the Adam update, to the already-updated p", find=UPDATE,
         replace="            p.assign(p.detach() - self.lr * m_hat / (v_hat.sqrt() + self.eps))\n"
                 "            p.assign(p.detach() - self.lr * self.wd * p.detach())"),
    Edit("bias correction folded into the step size (eps no longer scaled, the paper's efficient form)",
         find="            m_hat = m / (1.0 - self.b1_t)\n            v_hat = v / (1.0 - self.b2_t)\n" + UPDATE,
         replace="            lr_t = self.lr * (1.0 - self.b2_t).sqrt() / (1.0 - self.b1_t)\n"
                 "            p.assign(p.detach() - lr_t * m / (v.sqrt() + self.eps)"
                 " - self.lr * self.wd * p.detach())"),
    Edit("each parameter realized inside the loop (later gradients see updated parameters)",
         find="            p.assign(p.detach() - self.lr * update)\n",
         replace="            p.assign(p.detach() - self.lr * update)\n"
                 "            Tensor.realize(p, m, v, self.b1_t, self.b2_t)\n"),
    Edit("beta weights the new value in the moving averages", find=MOMENTS,
         replace="            m.assign((1.0 - self.b1) * m + self.b1 * g)\n"
                 "            v.assign((1.0 - self.b2) * v + self.b2 * g * g)"),
    Edit("weight decay skipped for 1-D parameters (biases); the docstring decays every parameter",
         find="            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()",
         replace="            decay = self.wd * p.detach() if len(p.shape) > 1 else 0\n"
                 "            update = m_hat / (v_hat.sqrt() + self.eps) + decay"),
    Edit("bias-corrected moments written back into the state (the correction compounds every step)",
         find="            m_hat = m / (1.0 - self.b1_t)\n            v_hat = v / (1.0 - self.b2_t)",
         replace="            m.assign(m / (1.0 - self.b1_t))\n            v.assign(v / (1.0 - self.b2_t))\n"
                 "            m_hat, v_hat = m, v"),
    Edit("second moment corrected with b1^t instead of b2^t", find="            v_hat = v / (1.0 - self.b2_t)",
         replace="            v_hat = v / (1.0 - self.b1_t)"),
    Edit("eps as a floor on the denominator, max(sqrt(v_hat), eps)",
         find="update = m_hat / (v_hat.sqrt() + self.eps)", replace="update = m_hat / v_hat.sqrt().maximum(self.eps)"),
    Edit("zero_grad also resets the moments (zero_grad taken for a reset of the optimizer)",
         find="        for p in self.params:\n            p.grad = None",
         replace="        for p in self.params:\n            p.grad = None\n"
                 "        for s in (*self.m, *self.v):\n            s.assign(s.zeros_like())"),
]

ALTERNATIVES = [
    Edit("bias correction with Python floats (recompiles each step, same values)",
         find="            m_hat = m / (1.0 - self.b1_t)\n            v_hat = v / (1.0 - self.b2_t)",
         replace="            m_hat = m / (1.0 - self.b1 ** self.t)\n            v_hat = v / (1.0 - self.b2 ** self.t)"),
    Edit("step size folded into a corrected learning rate",
         find="            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()\n            p.assign(p.detach() - self.lr * update)",
         replace="            p.assign(p.detach() * (1.0 - self.lr * self.wd) - self.lr * m_hat / (v_hat.sqrt() + self.eps))"),
    Edit("state rebound in its lists each step (new tensors, realized at the end)",
         find="        for p, m, v in zip(self.params, self.m, self.v):\n            g = p.grad\n" + MOMENTS,
         replace="""        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = m = (self.b1 * self.m[i] + (1.0 - self.b1) * g).contiguous()
            self.v[i] = v = (self.b2 * self.v[i] + (1.0 - self.b2) * g.square()).contiguous()"""),
    Edit("state from zeros_like, square root as a power",
         find="".join(f"        self.{s} = [Tensor.zeros(*p.shape, dtype=p.dtype, device=p.device).contiguous()"
                      f" for p in self.params]\n" for s in "mv")[:-1],
         replace="""        self.m = [p.zeros_like().contiguous() for p in self.params]
        self.v = [p.zeros_like().contiguous() for p in self.params]""",
         then=Edit("", find="v_hat.sqrt()", replace="v_hat ** 0.5")),
    Edit("decay as a shrink of p by (1 - lr wd), then the Adam step", find="""\
            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()
            p.assign(p.detach() - self.lr * update)""", replace="""\
            shrunk = p.detach() * (1.0 - self.lr * self.wd)
            p.assign(shrunk - self.lr * (m_hat / (v_hat.sqrt() + self.eps)))"""),
    Edit("powers b1^t, b2^t rebound to new tensors each step instead of assigned",
         find="        self.b1_t.assign(self.b1_t * self.b1)\n        self.b2_t.assign(self.b2_t * self.b2)",
         replace="        self.b1_t = self.b1_t * self.b1\n        self.b2_t = self.b2_t * self.b2"),
    Edit("powers not named in the final realize (they are realized as inputs of the parameters)",
         find=REALIZE, replace="        Tensor.realize(*self.params, *self.m, *self.v)"),
    Edit("powers start as plain (non-contiguous) ones",
         find="self.b1_t = Tensor.ones(1, device=self.params[0].device).contiguous()   # b1^t, kept on the device\n"
              "        self.b2_t = Tensor.ones(1, device=self.params[0].device).contiguous()",
         replace="self.b1_t = Tensor.ones(1, device=self.params[0].device)\n"
                 "        self.b2_t = Tensor.ones(1, device=self.params[0].device)"),
]
