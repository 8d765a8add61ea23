"""Mutants and alternatives for Exercise 3.1 (activations)."""
from grader.mutants import Edit

MUTANTS = [
    Edit("sigmoid derivative written as s(1 + s)", find="    s = sigmoid(z)\n    return s * (1 - s)", replace="    s = sigmoid(z)\n    return s * (1 + s)"),
    Edit("softmax derivative treated as element-wise", find="    return s * (grad_out - (grad_out * s).sum(axis=axis, keepdims=True))",
         replace="    return s * (1 - s) * grad_out"),
    Edit("sigmoid without the stable branches", find="    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)",
         replace="    return (1 / (1 + np.exp(-z))).astype(z.dtype)"),
    Edit("softmax without the max-shift", find="    e = np.exp(z - z.max(axis=axis, keepdims=True))\n    return e / e.sum(axis=axis, keepdims=True)",
         replace="    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)"),
    Edit("log_softmax as log(softmax)", find="    shifted = z - z.max(axis=axis, keepdims=True)\n    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))",
         replace="    return np.log(softmax(z, axis))"),
    Edit("tanh derivative without the square", find="    t = np.tanh(_float(z))\n    return 1 - t * t", replace="    t = np.tanh(_float(z))\n    return 1 - t"),
    Edit("leaky relu derivative zero for negatives", find="return np.where(z > 0, 1.0, alpha).astype(z.dtype)", replace="return np.where(z > 0, 1.0, 0.0).astype(z.dtype)"),
    Edit("softmax sums over a fixed axis", find="    return e / e.sum(axis=axis, keepdims=True)", replace="    return e / e.sum(axis=-1, keepdims=True)"),
    Edit("gelu derivative missing the inner chain factor", find="du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z ** 2)", replace="du = _SQRT_2_OVER_PI"),
    Edit("relu derivative 1 at exactly zero", find="    return (z > 0).astype(z.dtype)", replace="    return (z >= 0).astype(z.dtype)"),
    Edit("leaky relu derivative 1 at exactly zero", find="return np.where(z > 0, 1.0, alpha).astype(z.dtype)", replace="return np.where(z >= 0, 1.0, alpha).astype(z.dtype)"),
    Edit("relu derivative keeps an integer dtype", find="    z = _float(z)\n    return (z > 0).astype(z.dtype)",
         replace="    z = np.asarray(z)\n    return (z > 0).astype(z.dtype)"),
    Edit("exact gelu returned in float64 (erf computes in float64)", find="        return (z * 0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)",
         replace="        return z * 0.5 * (1 + _erf(z / math.sqrt(2)))"),
    Edit("softmax always computed in float64", find="    z = _float(z)\n    e = np.exp(z - z.max(axis=axis, keepdims=True))",
         replace="    z = np.asarray(z, dtype=np.float64)\n    e = np.exp(z - z.max(axis=axis, keepdims=True))"),
    Edit("sigmoid with both branches evaluated by np.where (exp overflows)",
         find="    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)",
         replace="    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z))).astype(z.dtype)"),
    Edit("softmax shifts the caller's z in place", find="""    z = _float(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))""", replace="""    z = _float(z)
    z -= z.max(axis=axis, keepdims=True)
    e = np.exp(z)"""),
    Edit("log_softmax shifts the caller's z in place",
         find="    shifted = z - z.max(axis=axis, keepdims=True)\n    return shifted",
         replace="    z -= z.max(axis=axis, keepdims=True)\n    shifted = z\n    return shifted"),
    Edit("log_softmax shifted by the maximum of the whole array",
         find="    shifted = z - z.max(axis=axis, keepdims=True)\n    return shifted",
         replace="    shifted = z - z.max()\n    return shifted"),
    Edit("relu zeroes the caller's negatives in place", find="""    z = _float(z)
    return np.maximum(z, 0).astype(z.dtype)""", replace="""    z = _float(z)
    z[z < 0] = 0
    return z"""),
    Edit("gelu silently computes the exact form for an unknown approximate",
         find="""    if approximate == "none":
        return (z * 0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)
    raise ValueError(f"approximate must be 'tanh' or 'none', got {approximate!r}")
    ### END SOLUTION


def gelu_grad""", replace="""    return (z * 0.5 * (1 + _erf(z / math.sqrt(2)))).astype(z.dtype)
    ### END SOLUTION


def gelu_grad"""),
    Edit("tanh from (e^z - e^-z) / (e^z + e^-z): nan once e^z overflows", find="    return np.tanh(_float(z))\n",
         replace="    z = _float(z)\n    with np.errstate(all='ignore'):\n"
                 "        return ((np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))).astype(z.dtype)\n"),
    Edit("softmax_jacobian always computed in float64",
         find="    s = softmax(z)\n    return np.diag(s) - np.outer(s, s)",
         replace="    s = softmax(z.astype(np.float64))\n    return np.diag(s) - np.outer(s, s)"),
    Edit("softmax_backward with its own softmax, without the max-shift",
         find="    s = softmax(z, axis)\n    return s * (grad_out",
         replace="    z = _float(z)\n    with np.errstate(all='ignore'):\n"
                 "        s = np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)\n    return s * (grad_out"),
    Edit("softmax_jacobian from an unshifted softmax",
         find="    s = softmax(z)\n    return np.diag(s) - np.outer(s, s)",
         replace="    with np.errstate(all='ignore'):\n        s = np.exp(z) / np.exp(z).sum()\n"
                 "    return np.diag(s) - np.outer(s, s)"),
]

ALTERNATIVES = [
    Edit("sigmoid through tanh", find="    e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype)",
         replace="    return (0.5 * (1 + np.tanh(0.5 * z))).astype(z.dtype)"),
    Edit("softmax backward through the explicit Jacobian",
         find="    return s * (grad_out - (grad_out * s).sum(axis=axis, keepdims=True))",
         replace="""    s_last, g_last = np.moveaxis(s, axis, -1), np.moveaxis(grad_out, axis, -1)
    jac = s_last[..., :, None] * (np.eye(s_last.shape[-1], dtype=s.dtype) - s_last[..., None, :])
    return np.moveaxis(np.einsum("...ij,...i->...j", jac, g_last), -1, axis)"""),
    Edit("leaky relu as max(z, alpha z); sigmoid' as e / (1 + e)^2 with e = exp(-|z|)",
         find="return np.where(z > 0, z, alpha * z).astype(z.dtype)",
         replace="return np.maximum(z, alpha * z).astype(z.dtype)",
         then=Edit("sigmoid_grad", find="    s = sigmoid(z)\n    return s * (1 - s)",
                   replace="    z = _float(z)\n    e = np.exp(-np.abs(z))\n"
                           "    return (e / (1 + e) ** 2).astype(z.dtype)")),
    Edit("tanh as 2 sigmoid(2z) - 1; tanh' as sech^2 from e^(-2|z|)", find="    return np.tanh(_float(z))\n",
         replace="    z = _float(z)\n    return (2 * sigmoid(2 * z) - 1).astype(z.dtype)\n",
         then=Edit("tanh_grad", find="    t = np.tanh(_float(z))\n    return 1 - t * t",
                   replace="    z = _float(z)\n    e = np.exp(-2 * np.abs(z))\n"
                           "    return (4 * e / (1 + e) ** 2).astype(z.dtype)")),
]
