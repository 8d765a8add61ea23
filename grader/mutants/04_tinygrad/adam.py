"""Mutants and alternatives for Exercise 4.2 (Adam / AdamW)."""
from grader.mutants import Edit

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
]

ALTERNATIVES = [
    Edit("bias correction with Python floats (recompiles each step, same values)",
         find="            m_hat = m / (1.0 - self.b1_t)\n            v_hat = v / (1.0 - self.b2_t)",
         replace="            m_hat = m / (1.0 - self.b1 ** self.t)\n            v_hat = v / (1.0 - self.b2 ** self.t)"),
    Edit("step size folded into a corrected learning rate",
         find="            update = m_hat / (v_hat.sqrt() + self.eps) + self.wd * p.detach()\n            p.assign(p.detach() - self.lr * update)",
         replace="            p.assign(p.detach() * (1.0 - self.lr * self.wd) - self.lr * m_hat / (v_hat.sqrt() + self.eps))"),
]
