"""Which functions each stage's workbook asks for, where they live, and which tests grade them.

An exercise names one function (or one method, "Class.method") of a module by its
dotted path. The workbook copies its signature and docstring from that module, so it
follows the code as the code changes; the grader runs the listed tests (the stage's
own, or workbook/tests/ for the exercises the repo does not contain) with the
learner's function put in place of that one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    module: str  # the reference module, e.g. "stage04_im2col.im2col"
    name: str  # a function, or "Class.method"
    tests: tuple[str, ...]  # pytest node ids (file or file::test) that grade it
    section: str  # the heading, on the stage's page, that explains it
    hint: str  # kept in the stub, above the raise

    @property
    def file(self) -> str:
        """The learner's file for this exercise's module: "im2col.py"."""
        return self.module.rsplit(".", 1)[1] + ".py"


@dataclass(frozen=True)
class Stage:
    name: str  # "stage04"
    package: str  # "stage04_im2col"
    title: str
    exercises: tuple[Exercise, ...]

    @property
    def page(self) -> str:
        return f"docs/{self.name}.md"

    def modules(self) -> list[str]:
        return list(dict.fromkeys(e.module for e in self.exercises))


def tests(package, *names):
    """Node ids: "file" or "file::test" under package/tests/ ("workbook" for workbook/tests/)."""
    return tuple(f"{package}/tests/{n.replace(':', '.py::', 1) if ':' in n else n + '.py'}" for n in names)


S1 = "stage01_fc"
GRADIENTS1 = tests(S1, "test_gradients", "test_layers")
LEAKY = tests("workbook", "test_leaky_relu")
CONV2 = tests("stage02_naive_conv", "test_conv_naive")
POOL3 = tests("stage03_pooling", "test_pool_naive")
AVG = tests("workbook", "test_avgpool")
IM2COL = tests("stage04_im2col", "test_im2col")
POOL5 = tests("stage05_strided_pool", "test_pool")
OPT = "stage06_optimizers"
POOL_RELU = "test_model:test_pool_then_relu_equals_the_reference_relu_then_pool"
MODEL7 = tests("stage07_full_cnn", "test_model:test_reference_parameter_count_and_shapes")
BN = tests("stage08_regularization", "test_batchnorm_dropout")
AUG = tests("stage08_regularization", "test_augment")

STAGES = (
    Stage(
        "stage01",
        S1,
        "A fully connected network",
        (
            Exercise(
                f"{S1}.functional",
                "affine_forward",
                GRADIENTS1,
                "Affine",
                "one matrix product and a broadcast add; cache what backward needs: (x, w)",
            ),
            Exercise(
                f"{S1}.functional",
                "affine_backward",
                GRADIENTS1,
                "Affine",
                "three products; db sums dout over the batch axis",
            ),
            Exercise(f"{S1}.functional", "relu_forward", GRADIENTS1, "ReLU", "np.maximum; cache the mask out > 0"),
            Exercise(
                f"{S1}.functional", "relu_backward", GRADIENTS1, "ReLU", "the cache is the mask of positive inputs"
            ),
            Exercise(
                f"{S1}.functional",
                "softmax_cross_entropy",
                GRADIENTS1,
                "Softmax cross-entropy",
                "subtract each row's maximum first; the gradient of the MEAN loss is (p - onehot(y)) / N",
            ),
            Exercise(
                "workbook.solutions.leaky_relu",
                "leaky_relu_forward",
                LEAKY,
                "ReLU",
                "like relu_forward, with slope alpha below zero; cache the slope of every element",
            ),
            Exercise(
                "workbook.solutions.leaky_relu",
                "leaky_relu_backward",
                LEAKY,
                "ReLU",
                "dout times the slope each element had",
            ),
        ),
    ),
    Stage(
        "stage02",
        "stage02_naive_conv",
        "Naive convolution",
        (
            Exercise(
                "stage02_naive_conv.conv",
                "conv_forward_naive",
                CONV2,
                "The math",
                "pad x, then loop over n, f, i, j: the window starts at (i*stride, j*stride); "
                "check_conv_args gives (H', W'); cache: (x, w, stride, pad)",
            ),
            Exercise(
                "stage02_naive_conv.conv",
                "conv_backward_naive",
                CONV2,
                "The math",
                "the same four loops: each output sends dout * w[f] to its window of dx_pad "
                "and dout * window to dw[f]; then cut the padding off dx_pad",
            ),
        ),
    ),
    Stage(
        "stage03",
        "stage03_pooling",
        "Max pooling",
        (
            Exercise(
                "stage03_pooling.pool",
                "maxpool_forward_naive",
                POOL3,
                "The math",
                "loop over output pixels (i, j); window.max(axis=(2, 3)); cache: (x, size, stride)",
            ),
            Exercise(
                "stage03_pooling.pool",
                "maxpool_backward_naive",
                POOL3,
                "The tie rule",
                "each window's gradient goes to its FIRST maximum only (argmax over the flattened window); "
                "overlapping windows add up",
            ),
            Exercise(
                "workbook.solutions.avgpool",
                "avgpool_forward_naive",
                AVG,
                "The math",
                "like maxpool_forward_naive with mean instead of max; cache: (x.shape, size, stride)",
            ),
            Exercise(
                "workbook.solutions.avgpool",
                "avgpool_backward_naive",
                AVG,
                "The math",
                "every value of a window gets dout / size**2; overlapping windows add up",
            ),
        ),
    ),
    Stage(
        "stage04",
        "stage04_im2col",
        "im2col",
        (
            Exercise(
                "stage04_im2col.im2col",
                "im2col",
                IM2COL,
                "A worked example",
                "one row per output pixel (n, i, j), columns in (p, q, c) order, the order of "
                "weights_as_matrix's rows; windows() gives every window as a view",
            ),
            Exercise(
                "stage04_im2col.im2col",
                "col2im",
                IM2COL,
                "The math",
                "the adjoint of im2col: ADD each column entry back onto the pixel it came from "
                "(windows overlap), then cut the padding off",
            ),
            Exercise(
                "stage04_im2col.conv",
                "weights_as_matrix",
                IM2COL,
                "The math",
                "rows in im2col's (p, q, c) order, one column per filter",
            ),
            Exercise(
                "stage04_im2col.conv",
                "conv_forward",
                IM2COL,
                "The code",
                "cols = im2col(x, ...), out = cols @ weights_as_matrix(w) + b, reshaped to (N, H', W', F); "
                "cache: (cols, x.shape, w, stride, pad)",
            ),
            Exercise(
                "stage04_im2col.conv",
                "conv_backward",
                IM2COL,
                "The input gradient without the big matrix",
                "dout as an (N H' W', F) matrix: db its column sums, dw from cols.T @ dout_mat, "
                "dx = col2im(dout_mat @ W_mat.T, ...) (the textbook way is fine)",
            ),
        ),
    ),
    Stage(
        "stage05",
        "stage05_strided_pool",
        "Strided pooling",
        (
            Exercise(
                "stage05_strided_pool.pool",
                "maxpool_forward",
                POOL5,
                "Two paths, one rule",
                "no loop over pixels: sliding_window_view (or a reshape when the windows tile); "
                "cache: (x.shape, size, stride, winner), winner the offset p * size + q of each first maximum",
            ),
            Exercise(
                "stage05_strided_pool.pool",
                "maxpool_backward",
                POOL5,
                "Two paths, one rule",
                "one strided += per window offset k, of dout where that offset won",
            ),
        ),
    ),
    Stage(
        "stage06",
        OPT,
        "Optimizers",
        (
            Exercise(
                f"{OPT}.optimizers",
                "SGD.update",
                tests(OPT, "test_optimizers"),
                "The math",
                "plain: p -= lr * g; momentum: v = mu v + g (v = g at the first step), p -= lr * v; "
                "Nesterov: p -= lr * (g + mu v). Update p in place",
            ),
            Exercise(
                f"{OPT}.optimizers",
                "Adam.update",
                tests(OPT, "test_optimizers"),
                "The math",
                "use t = self.step_count (step() raises it once per step for all parameters); "
                "m and v start at zeros; update p in place",
            ),
            Exercise(
                "workbook.solutions.rmsprop",
                "RMSProp.update",
                tests("workbook", "test_rmsprop"),
                "The math",
                "v = alpha v + (1 - alpha) g^2 from zeros, then p -= lr * g / (sqrt(v) + eps), in place",
            ),
            Exercise(
                f"{OPT}.schedules",
                "step_decay",
                tests(OPT, "test_optimizers:test_schedules_at_chosen_steps"),
                "Schedules",
                "return a function of the step; refuse step_size < 1 with a ValueError",
            ),
            Exercise(
                f"{OPT}.schedules",
                "cosine",
                tests(OPT, "test_optimizers:test_schedules_at_chosen_steps"),
                "Schedules",
                "return a function of the step: linear warm-up, then half a cosine, then min_lr",
            ),
        ),
    ),
    Stage(
        "stage07",
        "stage07_full_cnn",
        "The full CNN",
        (
            Exercise(
                "stage07_full_cnn.model",
                "build_cnn",
                MODEL7 + tests("stage07_full_cnn", POOL_RELU),
                "The network",
                "a Sequential of the earlier stages' layers, in the order of the table above; "
                "conv1 needs no dx (need_dx=False)",
            ),
            Exercise(
                "stage07_full_cnn.model",
                "count_parameters",
                MODEL7,
                "The network",
                "the sizes of model.params() added up",
            ),
        ),
    ),
    Stage(
        "stage08",
        "stage08_regularization",
        "Regularization",
        (
            Exercise(
                "stage08_regularization.batchnorm",
                "batchnorm_forward",
                BN,
                "Batch normalization",
                "per-channel mean and biased variance over every axis but the last; "
                "cache: (xhat, inv_std, gamma, mu, var)",
            ),
            Exercise(
                "stage08_regularization.batchnorm",
                "batchnorm_backward",
                BN,
                "Batch normalization",
                "dx has three terms: through xhat, through the mean, through the variance",
            ),
            Exercise(
                "stage08_regularization.batchnorm",
                "batchnorm_eval_forward",
                BN,
                "Batch normalization",
                "a fixed per-channel affine map from the running statistics; keep x's dtype",
            ),
            Exercise(
                "stage08_regularization.dropout",
                "dropout_forward",
                BN,
                "Dropout",
                "keep each value with probability 1 - p and divide the kept ones by 1 - p; "
                "draw the mask with rng.random(x.shape, dtype=np.float32) >= p; the cache is the mask",
            ),
            Exercise(
                "stage08_regularization.dropout",
                "dropout_backward",
                BN,
                "Dropout",
                "the gradient goes through the same mask",
            ),
            Exercise(
                "stage08_regularization.augment",
                "affine_transform",
                AUG,
                "Data augmentation",
                "for every output pixel, its source point in the image (the inverse map), then bilinear()",
            ),
            Exercise(
                "stage08_regularization.augment",
                "bilinear",
                AUG,
                "Data augmentation",
                "the four pixels around each source point, weighted by closeness; fill outside the image",
            ),
            Exercise(
                "workbook.solutions.fold_batchnorm",
                "fold_batchnorm",
                tests("workbook", "test_fold_batchnorm"),
                "Batch normalization",
                "scale = gamma / sqrt(running_var + eps) per filter; the bias goes through the same affine map",
            ),
        ),
    ),
)

BY_NAME = {s.name: s for s in STAGES}
