"""The workload as the lecture ran it: Keras 3 on TensorFlow (CPU), a Sequential model of Dense and Dropout
layers with RandomNormal(0, 0.05) initializers, compile(Adam, "mse"), model.fit(batch_size=50) over the 50
points (one step per epoch), and validation_data for the history fit, whose validation pass runs in Keras'
default validation batches (the fit's batch size, 50). Each fit builds and compiles its own model, as the
lecture's cells do. Keras' Adam is the form pkg/kerasadam copies. TensorFlow's intra-op threads: all cores.
"""

import common  # noqa: I001 (first: starts the setup clock)

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(common.threads())

import keras  # noqa: E402


def main():
    args = common.parse_args(__doc__)
    data = common.Data(args.data)

    def build(defn, seed, init):
        keras.utils.set_random_seed(seed)
        rates = common.dropout_rates(defn)
        layers = [keras.Input((1,))]
        for i, w in enumerate(list(defn["hidden"]) + [1]):
            kinit = keras.initializers.RandomNormal(0.0, data.init_sd, seed=seed * 100 + 2 * i)
            binit = keras.initializers.RandomNormal(0.0, data.init_sd, seed=seed * 100 + 2 * i + 1)
            last = i == len(defn["hidden"])
            layers.append(keras.layers.Dense(w, activation="linear" if last else "relu",
                                             kernel_initializer=kinit, bias_initializer=binit))
            if not last and rates[i] > 0:
                layers.append(keras.layers.Dropout(rates[i]))
        model = keras.Sequential(layers)
        if init is not None and init.get("group") == defn.get("group"):
            model.set_weights([a for wb in common.initial_weights(defn, seed, data.init_sd, init) for a in wb])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=data.lr, beta_1=data.beta1, beta_2=data.beta2,
                                                      epsilon=data.eps), loss="mse")
        return model

    def fit(defn, epochs, seed, init):
        model = build(defn, seed, init)
        val = (data.val_x, data.val_y) if defn.get("history") else None
        model.fit(data.train_x, data.train_y, batch_size=50, epochs=epochs, validation_data=val, verbose=0)
        return model

    models = {}

    def micro_fit(defn, epochs, seed, init):
        # One compiled model per row, trained on by every call: model.fit's fixed cost (data adapter,
        # callbacks) cancels in the difference of two calls, and no call retraces.
        model = models.get(defn["row"]) or models.setdefault(defn["row"], build(defn, seed, init))
        model.fit(data.train_x, data.train_y, batch_size=50, epochs=epochs, verbose=0)
        return model

    def train_mse(model):
        return model.evaluate(data.train_x, data.train_y, batch_size=50, verbose=0)

    def val_pass(defn):
        model = build(defn, 3, None)
        return lambda: model.evaluate(data.val_x, data.val_y, batch_size=len(data.val_x), verbose=0)

    common.run("keras", f"keras {keras.__version__} on tensorflow {tf.__version__} cpu", args, data, fit, train_mse,
               val_pass, micro_fit)


if __name__ == "__main__":
    main()
