"""Which functions each stage's workbook asks for, where they live, and which tests grade them.

An exercise names one function (or one method, "Class.method") of a module by its
dotted path. The workbook copies its signature and docstring from that module, so it
follows the code as the code changes; the grader runs the listed tests (the stage's
own, or workbook/tests/ for the exercises the repo does not contain) with the
learner's function put in place of that one. Each exercise also names the heading of
the stage's page that explains it; its hint is in hints.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbook.hints import HINTS


@dataclass(frozen=True)
class Exercise:
    module: str  # the reference module, e.g. "stage04_im2col.im2col"
    name: str  # a function, or "Class.method"
    tests: tuple[str, ...]  # pytest node ids (file or file::test) that grade it
    section: str  # the heading, on the stage's page, that explains it

    @property
    def file(self) -> str:
        """The learner's file for this exercise's module: "im2col.py"."""
        return self.module.rsplit(".", 1)[1] + ".py"

    @property
    def hint(self) -> str:
        return HINTS[self.name]


@dataclass(frozen=True)
class Stage:
    name: str  # "stage04"
    title: str
    exercises: tuple[Exercise, ...]

    @property
    def page(self) -> str:
        return f"docs/{self.name}.md"

    def modules(self) -> list[str]:
        return list(dict.fromkeys(e.module for e in self.exercises))


def tests(package, *names):
    """Node ids under package/tests/ ("workbook" for workbook/tests/): "test_file" or "test_file:test"."""
    return tuple(f"{package}/tests/{n.replace(':', '.py::', 1) if ':' in n else n + '.py'}" for n in names)


def group(module, tests, *names_and_sections):
    """The exercises of one module graded by the same tests, from (name, section) pairs."""
    return tuple(Exercise(module, name, tests, section) for name, section in names_and_sections)


S1, S2, S3, S4 = "stage01_fc", "stage02_naive_conv", "stage03_pooling", "stage04_im2col"
S5, S6, S7, S8 = "stage05_strided_pool", "stage06_optimizers", "stage07_full_cnn", "stage08_regularization"
MINE = "workbook.solutions"  # the exercises the repo does not contain, with their tests in workbook/tests
SCHEDULES = tests(S6, "test_optimizers:test_schedules_at_chosen_steps")
MODEL = tests(S7, "test_model:test_reference_parameter_count_and_shapes")
POOL_RELU = tests(S7, "test_model:test_pool_then_relu_equals_the_reference_relu_then_pool")
BN = tests(S8, "test_batchnorm_dropout")

STAGES = (
    Stage(
        "stage01",
        "A fully connected network",
        group(
            f"{S1}.functional",
            tests(S1, "test_gradients", "test_layers"),
            ("affine_forward", "Affine"),
            ("affine_backward", "Affine"),
            ("relu_forward", "ReLU"),
            ("relu_backward", "ReLU"),
            ("softmax_cross_entropy", "Softmax cross-entropy"),
        )
        + group(
            f"{MINE}.leaky_relu",
            tests("workbook", "test_leaky_relu"),
            ("leaky_relu_forward", "ReLU"),
            ("leaky_relu_backward", "ReLU"),
        ),
    ),
    Stage(
        "stage02",
        "Naive convolution",
        group(
            f"{S2}.conv",
            tests(S2, "test_conv_naive"),
            ("conv_forward_naive", "The math"),
            ("conv_backward_naive", "The math"),
        ),
    ),
    Stage(
        "stage03",
        "Max pooling",
        group(
            f"{S3}.pool",
            tests(S3, "test_pool_naive"),
            ("maxpool_forward_naive", "The math"),
            ("maxpool_backward_naive", "The tie rule"),
        )
        + group(
            f"{MINE}.avgpool",
            tests("workbook", "test_avgpool"),
            ("avgpool_forward_naive", "The math"),
            ("avgpool_backward_naive", "The math"),
        ),
    ),
    Stage(
        "stage04",
        "im2col",
        group(f"{S4}.im2col", tests(S4, "test_im2col"), ("im2col", "A worked example"), ("col2im", "The math"))
        + group(
            f"{S4}.conv",
            tests(S4, "test_im2col"),
            ("weights_as_matrix", "The math"),
            ("conv_forward", "The math"),
            ("conv_backward", "The math"),
        ),
    ),
    Stage(
        "stage05",
        "Strided pooling",
        group(
            f"{S5}.pool",
            tests(S5, "test_pool"),
            ("maxpool_forward", "Two paths, one rule"),
            ("maxpool_backward", "Two paths, one rule"),
        ),
    ),
    Stage(
        "stage06",
        "Optimizers",
        group(f"{S6}.optimizers", tests(S6, "test_optimizers"), ("SGD.update", "The math"), ("Adam.update", "The math"))
        + group(f"{MINE}.rmsprop", tests("workbook", "test_rmsprop"), ("RMSProp.update", "The math"))
        + group(f"{S6}.schedules", SCHEDULES, ("step_decay", "Schedules"), ("cosine", "Schedules")),
    ),
    Stage(
        "stage07",
        "The full CNN",
        group(f"{S7}.model", MODEL + POOL_RELU, ("build_cnn", "The network"))
        + group(f"{S7}.model", MODEL, ("count_parameters", "The network")),
    ),
    Stage(
        "stage08",
        "Regularization",
        group(
            f"{S8}.batchnorm",
            BN,
            ("batchnorm_forward", "Batch normalization"),
            ("batchnorm_backward", "Batch normalization"),
            ("batchnorm_eval_forward", "Batch normalization"),
        )
        + group(f"{S8}.dropout", BN, ("dropout_forward", "Dropout"), ("dropout_backward", "Dropout"))
        + group(
            f"{S8}.augment",
            tests(S8, "test_augment"),
            ("affine_transform", "Data augmentation"),
            ("bilinear", "Data augmentation"),
        )
        + group(
            f"{MINE}.fold_batchnorm",
            tests("workbook", "test_fold_batchnorm"),
            ("fold_batchnorm", "Batch normalization"),
        ),
    ),
)

BY_NAME = {s.name: s for s in STAGES}
