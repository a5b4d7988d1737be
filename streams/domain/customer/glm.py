"""Small generalised linear models: logistic (a probability) and Poisson (a count), ridge-penalised.

Fitted by L-BFGS with the exact gradient (scipy.optimize), on standardised features; the result keeps
the standardisation so it applies to raw features. Deterministic, pure computation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from schemas.shop_model import GlmParams

__all__ = ["Glm", "fit_glm"]

Floats = NDArray[np.float64]
Family = Literal["logistic", "poisson"]


@dataclass(frozen=True)
class Glm:
    family: Family
    means: tuple[float, ...]
    scales: tuple[float, ...]
    intercept: float
    coefficients: tuple[float, ...]
    offset: int | None = None  # a feature added to the linear predictor as it is (coefficient 1)

    @classmethod
    def of(cls, params: GlmParams) -> Glm:
        return cls(**params.model_dump())

    def params(self) -> GlmParams:
        return GlmParams.model_validate(asdict(self))

    def linear(self, features: ArrayLike) -> Floats:
        X = np.asarray(features, dtype=np.float64)
        z = (X - np.asarray(self.means)) / np.asarray(self.scales)
        eta = self.intercept + z @ np.asarray(self.coefficients)
        if self.offset is not None:
            eta = eta + X[:, self.offset]
        return np.asarray(eta, dtype=np.float64)

    def predict(self, features: ArrayLike) -> Floats:
        """Probabilities (logistic) or expected counts (Poisson), one per row."""
        eta = self.linear(features)
        if self.family == "logistic":
            return np.asarray(special.expit(eta), dtype=np.float64)
        return np.asarray(np.exp(np.minimum(eta, 30.0)), dtype=np.float64)


def fit_glm(
    features: ArrayLike, target: ArrayLike, family: Family, ridge: float = 1.0, offset: int | None = None
) -> Glm:
    """Maximum penalised likelihood; ``ridge`` is the L2 weight on the standardised coefficients.

    ``offset``: the index of a feature that also enters the linear predictor as it is, so the model is a
    correction of it (with a large ridge, the offset alone: e.g. BG/NBD's own log expected count).
    """
    X = np.asarray(features, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    n, k = X.shape
    if n == 0:
        raise ValueError("no rows to fit")
    means = X.mean(axis=0)
    scales = X.std(axis=0)
    scales = np.where(scales > 1e-9, scales, 1.0)
    Z = (X - means) / scales
    base = X[:, offset] if offset is not None else np.zeros(n)

    def objective(theta: Floats) -> tuple[float, Floats]:
        eta = base + theta[0] + Z @ theta[1:]
        if family == "logistic":
            loss = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
            residual = special.expit(eta) - y
        else:
            eta = np.minimum(eta, 30.0)
            mu = np.exp(eta)
            loss = float(np.sum(mu - y * eta))
            residual = mu - y
        grad = np.concatenate(([residual.sum()], Z.T @ residual))
        loss += 0.5 * ridge * float(theta[1:] @ theta[1:])
        grad[1:] += ridge * theta[1:]
        return loss / n, np.asarray(grad / n, dtype=np.float64)

    mean_y = float(y.mean())
    if offset is not None:
        start = 0.0
    elif family == "logistic":
        start = float(special.logit(min(max(mean_y, 1e-6), 1 - 1e-6)))
    else:
        start = float(np.log(max(mean_y, 1e-6)))
    theta0 = np.concatenate(([start], np.zeros(k)))
    result = optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B")
    theta = np.asarray(result.x, dtype=np.float64)
    return Glm(
        family=family,
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        intercept=float(theta[0]),
        coefficients=tuple(float(v) for v in theta[1:]),
        offset=offset,
    )
