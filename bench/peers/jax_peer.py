"""The workload in JAX on CPU, in two variants (--variant):

  jit   one jitted call per epoch (a Keras-form Adam step), as a Python training loop writes it; losses stay
        on the device until the fit ends, so JAX may dispatch the next step while one runs;
  scan  the epochs of a fit inside one jitted lax.scan: a single call per fit, compiled per epoch count.

Compiled functions are cached per architecture (per architecture and epoch count for scan), so an
ensemble's members share them, as the Go side shares its graphs.
"""

import common  # noqa: E402,I001 (first: starts the setup clock)

import functools
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def main():
    args = common.parse_args(__doc__, lambda p: p.add_argument("--variant", choices=("jit", "scan"), default="jit"))
    variant = args.variant
    data = common.Data(args.data)
    b1, b2, eps, lr = (jnp.float32(v) for v in (data.beta1, data.beta2, data.eps, data.lr))
    x, y = jnp.asarray(data.train_x), jnp.asarray(data.train_y)
    vx, vy = jnp.asarray(data.val_x), jnp.asarray(data.val_y)
    jax.block_until_ready((x, y, vx, vy))

    def forward(params, h, rates, key):
        for i, (w, b) in enumerate(params[:-1]):
            h = jax.nn.relu(h @ w + b)
            if key is not None and rates[i] > 0:  # Inverted dropout.
                key, sub = jax.random.split(key)
                keep = jax.random.bernoulli(sub, 1.0 - rates[i], h.shape)
                h = jnp.where(keep, h / (1.0 - rates[i]), 0.0)
        w, b = params[-1]
        return h @ w + b

    def mse(params, xs, ys):
        return jnp.mean(jnp.square(forward(params, xs, (), None) - ys))

    def step(rates, history, state, _=None):
        params, m, v, t, key = state
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(lambda p: jnp.mean(jnp.square(forward(p, x, rates, sub) - y)))(params)
        t = t + 1.0
        lr_t = lr * jnp.sqrt(1.0 - b2**t) / (1.0 - b1**t)  # Keras' Adam.
        m = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, m, g)
        v = jax.tree.map(lambda v, g: b2 * v + (1.0 - b2) * g * g, v, g)
        params = jax.tree.map(lambda p, m, v: p - lr_t * m / (jnp.sqrt(v) + eps), params, m, v)
        out = (loss, mse(params, vx, vy)) if history else loss
        return (params, m, v, t, key), out

    @functools.cache
    def step_fn(rates, history):
        return jax.jit(functools.partial(step, rates, history), donate_argnums=0)

    @functools.cache
    def scan_fn(rates, history, epochs):
        return jax.jit(lambda s: lax.scan(functools.partial(step, rates, history), s, None, length=epochs),
                       donate_argnums=0)

    mse_fn = jax.jit(mse)

    def start(defn, seed, init):
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in common.initial_weights(defn, seed, data.init_sd, init)]
        zeros = jax.tree.map(jnp.zeros_like, params)
        return (params, zeros, jax.tree.map(jnp.zeros_like, params), jnp.float32(0), jax.random.key(seed))

    def fit(defn, epochs, seed, init):
        rates, history = common.dropout_rates(defn), bool(defn.get("history"))
        state = start(defn, seed, init)
        if variant == "scan":
            state, losses = scan_fn(rates, history, epochs)(state)
        else:
            f, losses = step_fn(rates, history), []
            for _ in range(epochs):
                state, loss = f(state)
                losses.append(loss)
        jax.block_until_ready((state, losses))
        return state[0]

    def val_pass(defn):
        params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in common.initial_weights(defn, 3, data.init_sd)]
        return lambda: float(mse_fn(params, vx, vy))

    common.run(f"jax-{variant}", f"jax {jax.__version__} {jax.default_backend()}", args, data, fit,
               lambda p: mse_fn(p, x, y), val_pass)


if __name__ == "__main__":
    main()
