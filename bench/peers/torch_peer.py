"""The workload in PyTorch, eager mode on CPU: one forward, torch.autograd.grad and a Keras-form Adam step
(torch's own Adam adds ε after bias correction, so it is written out with torch._foreach_* ops, as
torch.optim.Adam's foreach path does) per epoch, float32, torch.set_num_threads(all cores), denormals flushed to zero (torch.set_flush_denormal), as TensorFlow's CPU
thread pools do, so that slow denormal arithmetic late in a fit cannot decide the comparison.
"""

import common  # noqa: I001 (first: starts the setup clock)

import warnings

import torch
import torch.nn.functional as F


def main():
    args = common.parse_args(__doc__)
    warnings.filterwarnings("ignore", message=".*CUDA.*")
    torch.set_num_threads(common.threads())
    ftz = torch.set_flush_denormal(True)
    data = common.Data(args.data)
    b1, b2, eps, lr = data.beta1, data.beta2, data.eps, data.lr
    x, y = torch.from_numpy(data.train_x), torch.from_numpy(data.train_y)
    vx, vy = torch.from_numpy(data.val_x), torch.from_numpy(data.val_y)

    def forward(params, h, rates, training):
        for i in range(0, len(params) - 2, 2):
            h = torch.relu(torch.addmm(params[i + 1], h, params[i]))
            if training and rates[i // 2] > 0:
                h = F.dropout(h, rates[i // 2], training=True)  # Inverted dropout.
        return torch.addmm(params[-1], h, params[-2])

    def start(defn, seed, init):
        params = []
        for w, b in common.initial_weights(defn, seed, data.init_sd, init):
            params += [torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_()]
        return params

    def fit(defn, epochs, seed, init):
        rates, history = common.dropout_rates(defn), bool(defn.get("history"))
        torch.manual_seed(seed)
        params = start(defn, seed, init)
        m = [torch.zeros_like(p) for p in params]
        v = [torch.zeros_like(p) for p in params]
        losses, val_losses = [], []
        for t in range(1, epochs + 1):
            loss = torch.mean(torch.square(forward(params, x, rates, True) - y))
            grads = torch.autograd.grad(loss, params)
            lr_t = lr * (1 - b2**t) ** 0.5 / (1 - b1**t)  # Keras' Adam.
            with torch.no_grad():
                torch._foreach_mul_(m, b1)
                torch._foreach_add_(m, grads, alpha=1 - b1)
                torch._foreach_mul_(v, b2)
                torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
                denom = torch._foreach_sqrt(v)
                torch._foreach_add_(denom, eps)
                torch._foreach_addcdiv_(params, m, denom, value=-lr_t)
                losses.append(loss.detach())
                if history:
                    val_losses.append(torch.mean(torch.square(forward(params, vx, rates, False) - vy)))
        return params

    def train_mse(params):
        with torch.no_grad():
            return torch.mean(torch.square(forward(params, x, (), False) - y)).item()

    def val_pass(defn):
        params = start(defn, 3, None)

        def call():
            with torch.no_grad():
                return torch.mean(torch.square(forward(params, vx, (), False) - vy)).item()

        return call

    common.run("torch", f"torch {torch.__version__.split('+')[0]} cpu, {torch.get_num_threads()} threads" + (", FTZ" if ftz else ""), args,
               data, fit, train_mse, val_pass)


if __name__ == "__main__":
    main()
