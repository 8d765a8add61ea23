"""Mutants and alternatives for Exercise 5.8 (VAE)."""
from grader.mutants import Edit

KL = "    return -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(axis=-1)"
REPARAM = "    return mu + (0.5 * logvar).exp() * eps"
BCE = "    per_pixel = logits.maximum(0) - logits * x + (-logits.abs()).exp().add(1).log()"

MUTANTS = [
    Edit("KL with sigma where sigma^2 belongs", find=KL,
         replace="    return -0.5 * (1 + logvar - mu * mu - (0.5 * logvar).exp()).sum(axis=-1)"),
    Edit("KL without the factor 1/2", find=KL, replace="    return -(1 + logvar - mu * mu - logvar.exp()).sum(axis=-1)"),
    Edit("KL with the sign flipped", find=KL, replace="    return 0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(axis=-1)"),
    Edit("KL summed over the batch too", find=KL, replace="    return -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum()"),
    Edit("logvar used as the standard deviation", find=REPARAM, replace="    return mu + logvar * eps"),
    Edit("exp(logvar) (the variance) as the standard deviation", find=REPARAM,
         replace="    return mu + logvar.exp() * eps"),
    Edit("eps ignored: fresh noise drawn inside", find=REPARAM,
         replace="    return mu + (0.5 * logvar).exp() * Tensor.randn(*mu.shape)"),
    Edit("mu detached: no gradient reaches the encoder's mean", find=REPARAM,
         replace="    return mu.detach() + (0.5 * logvar).exp() * eps"),
    Edit("BCE on probabilities without stabilisation", find=BCE,
         replace="    p = logits.sigmoid()\n    per_pixel = -(x * p.log() + (1 - x) * (1 - p).log())"),
    Edit("BCE without the log(1 + exp(-|z|)) term", find=BCE, replace="    per_pixel = logits.maximum(0) - logits * x"),
    Edit("BCE averaged over pixels", find="    return per_pixel.flatten(1).sum(axis=1)",
         replace="    return per_pixel.flatten(1).mean(axis=1)"),
    Edit("loss summed over the batch instead of averaged",
         find="    return (bce_with_logits_sum(logits, x) + gaussian_kl(mu, logvar)).mean()",
         replace="    return (bce_with_logits_sum(logits, x) + gaussian_kl(mu, logvar)).sum()"),
    Edit("decoder returns probabilities, not logits", find="        return self.out(self.hidden(z).relu())",
         replace="        return self.out(self.hidden(z).relu()).sigmoid()"),
    Edit("ReLU on the logvar head", find="        return self.mu(h), self.logvar(h)",
         replace="        return self.mu(h), self.logvar(h).relu()"),
    Edit("sample ignores the seed", find="    z = np.random.default_rng(seed).standard_normal((n, decoder.latent)).astype(np.float32)",
         replace="    z = np.random.default_rng(0).standard_normal((n, decoder.latent)).astype(np.float32)"),
    Edit("KL summed over axis 1: a (d,) input fails", find=KL,
         replace="    return -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(axis=1)"),
    Edit("latent grid spacing divides by n - 1 (NaN codes for n = 1)",
         find="    v = np.linspace(-span, span, n, dtype=np.float32)",
         replace="    v = (-span + 2 * span * np.arange(n) / (n - 1)).astype(np.float32)"),
    Edit("latent grid with rows and columns swapped", find="    z[:, :, a] = v[None, :]\n    z[:, :, b] = v[:, None]",
         replace="    z[:, :, a] = v[:, None]\n    z[:, :, b] = v[None, :]"),
    Edit("BCE on probabilities clamped to [1e-7, 1 - 1e-7] (caps the loss, kills the gradient)", find=BCE,
         replace="    p = logits.sigmoid().clip(1e-7, 1 - 1e-7)\n"
                 "    per_pixel = -(x * p.log() + (1 - x) * (1 - p).log())"),
    Edit("prior codes left in float64 (float64 images)",
         find="    z = np.random.default_rng(seed).standard_normal((n, decoder.latent)).astype(np.float32)",
         replace="    z = np.random.default_rng(seed).standard_normal((n, decoder.latent))"),
    Edit("latent grid rows run from +span at the top", find="    z[:, :, b] = v[:, None]",
         replace="    z[:, :, b] = v[::-1, None]"),
    Edit("BCE summed over the last two axes (images taken to be (N, H, W); flat rows collapse)",
         find="    return per_pixel.flatten(1).sum(axis=1)", replace="    return per_pixel.sum(axis=(-2, -1))"),
    Edit("latent_grid returns a Tensor, not a NumPy array",
         find="    return decoder(Tensor(z.reshape(n * n, -1))).sigmoid().numpy().reshape(n, n, -1)",
         replace="    return decoder(Tensor(z.reshape(n * n, -1))).sigmoid().reshape(n, n, -1)"),
    Edit("sample returns a Tensor, not a NumPy array",
         find="    return decoder(Tensor(z)).sigmoid().numpy()", replace="    return decoder(Tensor(z)).sigmoid()"),
    Edit("neg_elbo averages the KL over the latent dimensions",
         find="    return (bce_with_logits_sum(logits, x) + gaussian_kl(mu, logvar)).mean()",
         replace="    return (bce_with_logits_sum(logits, x) + gaussian_kl(mu, logvar) / mu.shape[-1]).mean()"),
]

ALTERNATIVES = [
    Edit("KL written with sigma^2 = exp(logvar) and its log", find=KL,
         replace="    var = logvar.exp()\n    return (0.5 * (var + mu.square() - 1) - 0.5 * var.log()).sum(axis=-1)"),
    Edit("BCE through softplus: log(1 + e^z) - z x", find=BCE, replace="    per_pixel = logits.softplus() - logits * x"),
    Edit("BCE through log-sigmoid identities", find=BCE,
         replace="    per_pixel = -(x * logits.logsigmoid() + (1 - x) * (-logits).logsigmoid())"),
    Edit("BCE with relu(z) for max(z, 0)", find=BCE,
         replace="    per_pixel = logits.relu() - logits * x + (-logits.abs()).exp().add(1).log()"),
    Edit("standard deviation as sqrt(exp(logvar))", find=REPARAM, replace="    return mu + logvar.exp().sqrt() * eps"),
    Edit("latent_grid from np.meshgrid, decoded row by row, sigmoid in NumPy",
         find="""    z = np.zeros((n, n, decoder.latent), np.float32)
    z[:, :, a] = v[None, :]
    z[:, :, b] = v[:, None]
    return decoder(Tensor(z.reshape(n * n, -1))).sigmoid().numpy().reshape(n, n, -1)""",
         replace="""    cols, rows = np.meshgrid(v, v)
    out = []
    for i in range(n):
        z = np.zeros((n, decoder.latent), np.float32)
        z[:, a], z[:, b] = cols[i], rows[i]
        out.append(1 / (1 + np.exp(-decoder(Tensor(z)).numpy().astype(np.float64))))
    return np.stack(out).astype(np.float32)"""),
    Edit("encoder flattens with reshape(-1, n_in)", find="        h = self.hidden(x.flatten(1)).relu()",
         replace="        h = self.hidden(x.reshape(-1, self.n_in)).relu()"),
    Edit("BCE rows flattened with reshape(N, -1)", find="    return per_pixel.flatten(1).sum(axis=1)",
         replace="    return per_pixel.reshape(per_pixel.shape[0], -1).sum(axis=1)"),
    Edit("sample's sigmoid in NumPy as exp(-softplus(-z)), float32 kept",
         find="    return decoder(Tensor(z)).sigmoid().numpy()",
         replace="    logits = decoder(Tensor(z)).numpy().astype(np.float64)\n"
                 "    return np.exp(-np.logaddexp(0.0, -logits)).astype(np.float32)"),
]
