"""PyTorch (CPU) side of the benchmark: the same data file, architecture, epochs, batch size,
learning rate (Adam) and validation split as the two MLPlugins, trained with an idiomatic torch
loop. Usage: torch_bench.py train|predict DATA.json [SIZES.json]; prints one `@@RESULT {json}` line.

Like the plugins it min-max scales features (and numeric targets) over the training rows, holds the
last 20 % of them out for a per-epoch validation loss (as tfjs's validationSplit does), and
initialises like Keras (Glorot-uniform kernels, zero biases; LSTM: orthogonal recurrent kernel,
forget-gate bias 1), so that every system starts from the same kind of network.
"""

import json
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

torch.manual_seed(42)
RNG = np.random.default_rng(42)
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "elu": nn.ELU, "selu": nn.SELU, "linear": nn.Identity}


class Scaler:
    """Min-max scaling per column, fitted on the training rows (a constant column maps to 0.5)."""

    def __init__(self, values):
        self.lo = values.min(axis=0)
        span = values.max(axis=0) - self.lo
        self.constant = span == 0
        self.span = np.where(self.constant, 1.0, span)

    def scale(self, values):
        return np.where(self.constant, 0.5, (values - self.lo) / self.span)

    def unscale(self, values):
        return values * self.span + self.lo


def dense(inputs, units):
    layer = nn.Linear(inputs, units)
    nn.init.xavier_uniform_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


def mlp(inputs, hidden, outputs):
    """hidden: [(units, activation, dropout)] → Linear/activation/Dropout stack and a linear head."""
    layers, width = [], inputs
    for units, activation, dropout in hidden:
        layers += [dense(width, units), ACTIVATIONS[activation]()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = units
    layers.append(dense(width, outputs))
    return nn.Sequential(*layers)


class LstmNet(nn.Module):
    """LSTM (Keras-style input and recurrent dropout, one mask per sequence) → dense(relu) → dropout → 1.

    torch's fused nn.LSTM has no recurrent dropout, which upstream cannot switch off, so the
    cell is written out; with 7 steps the Python loop is a small share of the work.
    """

    def __init__(self, step_inputs, hidden, dense_units, dropout, recurrent_dropout):
        super().__init__()
        self.hidden, self.dropout, self.recurrent_dropout = hidden, dropout, recurrent_dropout
        self.kernel = nn.Parameter(torch.empty(step_inputs, 4 * hidden))
        self.recurrent = nn.Parameter(torch.empty(hidden, 4 * hidden))
        self.bias = nn.Parameter(torch.zeros(4 * hidden))
        nn.init.xavier_uniform_(self.kernel)
        nn.init.orthogonal_(self.recurrent)
        with torch.no_grad():
            self.bias[hidden : 2 * hidden] = 1.0  # gate order i, f, g, o: unit forget bias
        self.head = nn.Sequential(dense(hidden, dense_units), nn.ReLU(), nn.Dropout(dropout), dense(dense_units, 1))

    def _mask(self, like, rate):
        if not self.training or rate == 0:
            return None
        return torch.bernoulli(torch.full_like(like, 1 - rate)) / (1 - rate)

    def forward(self, x):
        batch, steps, _ = x.shape
        h = x.new_zeros(batch, self.hidden)
        c = x.new_zeros(batch, self.hidden)
        in_mask = self._mask(x[:, 0, :], self.dropout)
        rec_mask = self._mask(h, self.recurrent_dropout)
        for t in range(steps):
            xt = x[:, t, :] if in_mask is None else x[:, t, :] * in_mask
            ht = h if rec_mask is None else h * rec_mask
            i, f, g, o = (xt @ self.kernel + ht @ self.recurrent + self.bias).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return self.head(h)


def build(data, classes):
    cfg, n = data["modelConfig"], len(data["features"])
    kind = data["type"]
    if kind == "regression":
        return mlp(n, [], 1)  # polynomial: 1 is a single dense unit
    if kind == "classification":
        units = cfg["units"]
        return mlp(n, [(units, cfg["activation"], cfg["dropout"]), (units // 2, cfg["activation"], 0)], len(classes))
    if kind == "neural-network":
        hidden = [(l["units"], l.get("activation", "relu"), l.get("dropout", 0)) for l in cfg["layers"]]
        return mlp(n, hidden, 1)
    if kind == "timeseries":
        return LstmNet(n + 1, cfg["lstmUnits"], cfg["denseUnits"], cfg["dropout"], cfg["recurrentDropout"])
    raise ValueError(kind)


def prepare(data):
    """Scaled float32 inputs/targets for training, plus what prediction needs to undo the scaling."""
    feats, target, kind = data["features"], data["target"], data["type"]
    rows = data["train"]
    if kind == "timeseries":
        steps = np.array([[r[f] for f in feats] + [r[target]] for r in rows], dtype=np.float64)
        scaler = Scaler(steps)
        scaled = scaler.scale(steps)
        lookback = data["modelConfig"]["lookback"]
        x = np.stack([scaled[i : i + lookback] for i in range(len(rows) - lookback)])
        y = scaled[lookback:, -1:]
        return x.astype(np.float32), y.astype(np.float32), {"scaler": scaler}
    x = np.array([[r[f] for f in feats] for r in rows], dtype=np.float64)
    scaler = Scaler(x)
    if kind == "classification":
        classes = sorted({r[target] for r in rows})
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[r[target]] for r in rows], dtype=np.int64)
        return scaler.scale(x).astype(np.float32), y, {"scaler": scaler, "classes": classes}
    t = np.array([[r[target]] for r in rows], dtype=np.float64)
    target_scaler = Scaler(t)
    return scaler.scale(x).astype(np.float32), target_scaler.scale(t).astype(np.float32), {"scaler": scaler, "target": target_scaler}


def fit(model, x, y, cfg, loss_fn):
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    held_out = int(len(x) * cfg["validationSplit"])
    x_train, y_train, x_val, y_val = x[: len(x) - held_out], y[: len(y) - held_out], x[len(x) - held_out :], y[len(y) - held_out :]
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["learningRate"])
    batch = cfg["batchSize"]
    loss = val_loss = None
    for _ in range(cfg["epochs"]):
        model.train()
        order = torch.randperm(len(x_train)) if cfg.get("shuffle", True) else torch.arange(len(x_train))
        for start in range(0, len(x_train), batch):
            rows = order[start : start + batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[rows]), y_train[rows])
            loss.backward()
            optimizer.step()
        if held_out:
            model.eval()
            with torch.no_grad():
                val_loss = loss_fn(model(x_val), y_val).item()
    return loss.item(), val_loss


def predict_rows(model, data, state, inputs):
    """Predictions for held-out inputs, in the units of the target (labels for classification)."""
    model.eval()
    feats, target = data["features"], data["target"]
    with torch.no_grad():
        if data["type"] == "timeseries":
            windows = np.array([[[r[f] for f in feats] + [r[target]] for r in w] for w in inputs], dtype=np.float64)
            scaled = state["scaler"].scale(windows).astype(np.float32)
            out = model(torch.from_numpy(scaled)).numpy()[:, 0]
            return out * state["scaler"].span[-1] + state["scaler"].lo[-1]
        x = state["scaler"].scale(np.array([[r[f] for f in feats] for r in inputs], dtype=np.float64)).astype(np.float32)
        out = model(torch.from_numpy(x)).numpy()
        if data["type"] == "classification":
            return [state["classes"][i] for i in out.argmax(axis=1)]
        return state["target"].unscale(out[:, 0])


def held_out(data):
    """Mirror of metrics.js heldOutTasks: inputs and true values for the held-out rows."""
    actual = [r[data["target"]] for r in data["test"]]
    if data["type"] != "timeseries":
        return data["test"], actual
    lookback, series, start = data["modelConfig"]["lookback"], data["train"] + data["test"], len(data["train"])
    return [series[start + i - lookback : start + i] for i in range(len(data["test"]))], actual


def score(metric, actual, predicted):
    """Mirror of metrics.js: R², accuracy or MAPE (%)."""
    if metric == "accuracy":
        return sum(a == p for a, p in zip(actual, predicted)) / len(actual)
    a, p = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    if metric == "r2":
        return float(1 - ((a - p) ** 2).sum() / ((a - a.mean()) ** 2).sum())
    nonzero = a != 0
    return float(np.mean(np.abs((a[nonzero] - p[nonzero]) / a[nonzero])) * 100)


def warm_up():
    """One Adam step on a throwaway layer. torch imports much of itself lazily on the first
    optimizer step (about 1 s here): a once-per-process cost like importing the library, which the
    JavaScript systems pay before their timers start, so it stays out of the timing here too."""
    layer = nn.Linear(2, 1)
    optimizer = torch.optim.Adam(layer.parameters())
    layer(torch.zeros(1, 2)).sum().backward()
    optimizer.step()


def train(data):
    warm_up()
    started = time.perf_counter()
    x, y, state = prepare(data)
    model = build(data, state.get("classes"))
    loss_fn = nn.CrossEntropyLoss() if data["type"] == "classification" else nn.MSELoss()
    loss, val_loss = fit(model, x, y, data["modelConfig"], loss_fn)
    seconds = time.perf_counter() - started
    return model, state, {"train_s": seconds, "samples": len(data["train"]), "final_loss": loss, "val_loss": val_loss}


def task_train(data):
    model, state, result = train(data)
    inputs, actual = held_out(data)
    result["accuracy"] = {data["metric"]: score(data["metric"], actual, list(predict_rows(model, data, state, inputs)))}
    return result


def task_predict(data, sizes):
    """Single-row latency (a dict in, a float out, as a Python service would call it) and batch throughput."""
    model, state, _ = train(data)
    model.eval()
    feats, scaler, target = data["features"], state["scaler"], state["target"]

    def one(row):
        x = torch.tensor([[(row[f] - scaler.lo[i]) / scaler.span[i] for i, f in enumerate(feats)]], dtype=torch.float32)
        with torch.no_grad():
            return float(model(x)[0, 0]) * target.span[0] + target.lo[0]

    rows = data["test"]
    for i in range(sizes["warmup"]):
        one(rows[i % len(rows)])
    micros = []
    for i in range(sizes["calls"]):
        started = time.perf_counter_ns()
        one(rows[i % len(rows)])
        micros.append((time.perf_counter_ns() - started) / 1000)
    micros.sort()
    at = lambda q: micros[min(len(micros) - 1, int(q * len(micros)))]  # noqa: E731
    single = {"calls": len(micros), "p50_us": at(0.5), "p99_us": at(0.99), "mean_us": sum(micros) / len(micros)}

    batches = {}
    for n in sizes["batches"]:
        matrix = RNG.uniform([20, 50, 1], [500, 1000, 5], size=(n, len(feats)))
        runs = 5 if n <= 10_000 else 1
        timings = []
        for _ in range(runs + (1 if n <= 10_000 else 0)):
            started = time.perf_counter()
            with torch.no_grad():
                out = model(torch.from_numpy(scaler.scale(matrix).astype(np.float32))).numpy()[:, 0]
            target.unscale(out)
            timings.append(time.perf_counter() - started)
        timings = sorted(timings[-runs:])
        s = timings[runs // 2]
        batches[str(n)] = {"rows": n, "s": s, "rows_per_s": n / s}
    return {"single": single, "sync": None, "batches": batches}


def main():
    task, data_file = sys.argv[1], sys.argv[2]
    with open(data_file) as f:
        data = json.load(f)
    result = task_train(data) if task == "train" else task_predict(data, json.loads(sys.argv[3]))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.update(
        system="torch",
        cpu_s=usage.ru_utime + usage.ru_stime,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        max_rss_mb=usage.ru_maxrss / 1024,
    )
    print("@@RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
