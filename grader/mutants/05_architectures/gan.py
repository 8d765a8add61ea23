"""Mutants and alternatives for Exercise 5.9 (GAN)."""
from grader.mutants import Edit

D_LOSS = "    return _softplus(-real_logits).mean() + _softplus(fake_logits).mean()"
G_LOSS = "    return _softplus(-fake_logits).mean()"
SOFTPLUS = "    return u.maximum(0) + (-u.abs()).exp().add(1).log()"
D_STEP = """        opt_d.zero_grad()
        fakes = generator(z).detach()
        loss = d_loss(discriminator(real), discriminator(fakes)).backward()
        return loss.realize(*opt_d.schedule_step())"""

MUTANTS = [
    Edit("minimax generator loss log(1 - D(G(z)))", find=G_LOSS, replace="    return -_softplus(fake_logits).mean()"),
    Edit("labels swapped in the discriminator loss", find=D_LOSS,
         replace="    return _softplus(real_logits).mean() + _softplus(-fake_logits).mean()"),
    Edit("one mean over the real and fake batches together", find=D_LOSS,
         replace="    return _softplus(-real_logits).cat(_softplus(fake_logits)).mean()"),
    Edit("softplus as log(1 + exp(u)): overflows for large logits", find=SOFTPLUS,
         replace="    return (1 + u.exp()).log()"),
    Edit("sigmoid applied twice: the discriminator outputs probabilities", find="        return self.layers[-1](x)",
         replace="        return self.layers[-1](x).sigmoid()"),
    Edit("missing tanh on the generator's output", find="        return self.layers[-1](z).tanh()",
         replace="        return self.layers[-1](z)"),
    Edit("leaky ReLU with the default slope 0.01", find="            x = layer(x).leaky_relu(0.2)",
         replace="            x = layer(x).leaky_relu()"),
    Edit("fake not detached in the D step", find="        fakes = generator(z).detach()", replace="        fakes = generator(z)"),
    Edit("no zero_grad in the D step: the G step's gradients leak in", find=D_STEP,
         replace=D_STEP.replace("        opt_d.zero_grad()\n", "")),
    Edit("loss returned lazily and read after the update", find=D_STEP,
         replace=D_STEP.replace("        return loss.realize(*opt_d.schedule_step())", "        opt_d.step()\n        return loss")),
    Edit("no zero_grad in the G step: its old gradients accumulate",
         find="        opt_g.zero_grad()\n", replace=""),
    Edit("fakes detached through a NumPy copy (frozen under TinyJit)", find="        fakes = generator(z).detach()",
         replace="        fakes = Tensor(generator(z).numpy())"),
    Edit("real copied through NumPy in the D step (frozen under TinyJit)",
         find="        loss = d_loss(discriminator(real), discriminator(fakes)).backward()",
         replace="        loss = d_loss(discriminator(Tensor(real.numpy())), discriminator(fakes)).backward()"),
    Edit("G step also descends D's gradients", find="        return loss.realize(*opt_g.schedule_step())",
         replace="        return loss.realize(*opt_g.schedule_step(),\n"
                 "                            *[p.assign(p.detach() - 0.01 * p.grad) for p in discriminator.parameters()])"),
    Edit("d_loss as BCE on sigmoid probabilities (log of 0 at large logits)", find=D_LOSS,
         replace="    return -(real_logits.sigmoid().log().mean() + (1 - fake_logits.sigmoid()).log().mean())"),
    Edit("G step returns the loss lazily, read after the update",
         find="        return loss.realize(*opt_g.schedule_step())",
         replace="        opt_g.step()\n        return loss"),
    Edit("D step draws its own noise instead of using z", find="        fakes = generator(z).detach()",
         replace="        fakes = generator(Tensor.randn(*z.shape)).detach()"),
    Edit("generator: ReLU after the first layer only (same as the spec for two layers)",
         find="""        for layer in self.layers[:-1]:
            z = layer(z).relu()
        return self.layers[-1](z).tanh()""",
         replace="""        z = self.layers[0](z).relu()
        for layer in self.layers[1:-1]:
            z = layer(z)
        return self.layers[-1](z).tanh()"""),
    Edit("discriminator: leaky ReLU after the first layer only",
         find="""        for layer in self.layers[:-1]:
            x = layer(x).leaky_relu(0.2)
        return self.layers[-1](x)""",
         replace="""        x = self.layers[0](x).leaky_relu(0.2)
        for layer in self.layers[1:-1]:
            x = layer(x)
        return self.layers[-1](x)"""),
    Edit("d_loss halved: the average of the real and fake terms", find=D_LOSS,
         replace="    return 0.5 * (_softplus(-real_logits).mean() + _softplus(fake_logits).mean())"),
    Edit("D step freezes G with requires_grad=False instead of detaching (never restored)",
         find="        fakes = generator(z).detach()",
         replace="        for p in generator.parameters():\n            p.requires_grad = False\n"
                 "        fakes = generator(z)"),
]

ALTERNATIVES = [
    Edit("losses through log-sigmoid identities", find=D_LOSS,
         replace="    return -(real_logits.logsigmoid().mean() + (-fake_logits).logsigmoid().mean())",
         then=Edit("g_loss through log-sigmoid", find=G_LOSS, replace="    return -fake_logits.logsigmoid().mean()")),
    Edit("D's gradients cleared by setting them to None", find="        opt_d.zero_grad()\n",
         replace="        for p in discriminator.parameters():\n            p.grad = None\n"),
    Edit("tinygrad's softplus", find=SOFTPLUS, replace="    return u.softplus()"),
    Edit("loss realized, then optimizer.step()", find="        return loss.realize(*opt_d.schedule_step())",
         replace="        loss.realize()\n        opt_d.step()\n        return loss"),
    Edit("one discriminator call on real and fake images concatenated",
         find="        loss = d_loss(discriminator(real), discriminator(fakes)).backward()",
         replace="        logits = discriminator(real.flatten(1).cat(fakes.flatten(1)))\n"
                 "        loss = d_loss(logits[:real.shape[0]], logits[real.shape[0]:]).backward()"),
    Edit("G step also clears D's gradients before its backward",
         find="        opt_g.zero_grad()\n        loss = g_loss",
         replace="        opt_g.zero_grad()\n        for p in discriminator.parameters():\n            p.grad = None\n"
                 "        loss = g_loss"),
]
