"""The hint kept in each stub, above its raise: what to do, and the cache its partner expects."""

HINTS = {
    # stage01
    "affine_forward": "one matrix product and a broadcast add; cache what backward needs: (x, w)",
    "affine_backward": "three products; db sums dout over the batch axis",
    "relu_forward": "np.maximum; cache the mask out > 0",
    "relu_backward": "the cache is the mask of positive inputs",
    "softmax_cross_entropy": "subtract each row's maximum first; the gradient of the MEAN loss is (p - onehot(y)) / N",
    "leaky_relu_forward": "like relu_forward, with slope alpha below zero; cache the slope of every element",
    "leaky_relu_backward": "dout times the slope each element had",
    # stage02
    "conv_forward_naive": (
        "pad x, then loop over n, f, i, j: the window starts at (i*stride, j*stride); check_conv_args gives "
        "(H', W'); cache: (x, w, stride, pad)"
    ),
    "conv_backward_naive": (
        "the same four loops: each output sends dout * w[f] to its window of dx_pad and dout * window to "
        "dw[f]; then cut the padding off dx_pad"
    ),
    # stage03
    "maxpool_forward_naive": "loop over output pixels (i, j); window.max(axis=(2, 3)); cache: (x, size, stride)",
    "maxpool_backward_naive": (
        "each window's gradient goes to its FIRST maximum only (argmax over the flattened window); "
        "overlapping windows add up"
    ),
    "avgpool_forward_naive": "like maxpool_forward_naive with mean instead of max; cache: (x.shape, size, stride)",
    "avgpool_backward_naive": "every value of a window gets dout / size**2; overlapping windows add up",
    # stage04
    "im2col": (
        "one row per output pixel (n, i, j), columns in (p, q, c) order, the order of weights_as_matrix's rows; "
        "windows(x, KH, KW, stride, pad), given, is the view (N, H', W', KH, KW, C) of every window"
    ),
    "col2im": (
        "the adjoint of im2col: ADD each column entry back onto the pixel it came from (windows overlap), "
        "then cut the padding off"
    ),
    "weights_as_matrix": "rows in im2col's (p, q, c) order, one column per filter",
    "conv_forward": (
        "check_conv_args(x.shape, w.shape, stride, pad, channel_axis=3) gives (H', W') and the clear errors "
        "the tests expect; cols = im2col(x, ...), out = cols @ weights_as_matrix(w) + b, reshaped to "
        "(N, H', W', F); cache: (cols, x.shape, w, stride, pad)"
    ),
    "conv_backward": (
        "dout as an (N H' W', F) matrix: db its column sums, dw from cols.T @ dout_mat, dx = col2im(dout_mat "
        "@ W_mat.T, ...) (the textbook way is fine)"
    ),
    # stage05
    "maxpool_forward": (
        "no loop over pixels: sliding_window_view (or a reshape when the windows tile); cache: (x.shape, "
        "size, stride, winner), winner the offset p * size + q of each first maximum"
    ),
    "maxpool_backward": "one strided += per window offset k, of dout where that offset won",
    # stage06
    "SGD.update": (
        "plain: p -= lr * g; momentum: v = mu v + g (v = g at the first step), p -= lr * v; Nesterov: p -= lr"
        " * (g + mu v). Update p in place"
    ),
    "Adam.update": (
        "use t = self.step_count (step() raises it once per step for all parameters); m and v start at zeros;"
        " update p in place"
    ),
    "RMSProp.update": "v = alpha v + (1 - alpha) g^2 from zeros, then p -= lr * g / (sqrt(v) + eps), in place",
    "step_decay": "return a function of the step; refuse step_size < 1 with a ValueError",
    "cosine": "return a function of the step: linear warm-up, then half a cosine, then min_lr",
    # stage07
    "build_cnn": (
        "a Sequential of the earlier stages' layers, in the order of the table above; conv1 needs no dx (need_dx=False)"
    ),
    "count_parameters": "the sizes of model.params() added up",
    # stage08
    "batchnorm_forward": (
        "per-channel mean and biased variance over every axis but the last; cache: (xhat, inv_std, gamma, mu, var)"
    ),
    "batchnorm_backward": "dx has three terms: through xhat, through the mean, through the variance",
    "batchnorm_eval_forward": "a fixed per-channel affine map from the running statistics; keep x's dtype",
    "dropout_forward": (
        "keep each value with probability 1 - p and divide the kept ones by 1 - p; draw the mask with "
        "rng.random(x.shape, dtype=np.float32) >= p; the cache is the mask"
    ),
    "dropout_backward": "the gradient goes through the same mask",
    "affine_transform": "for every output pixel, its source point in the image (the inverse map), then bilinear()",
    "bilinear": "the four pixels around each source point, weighted by closeness; fill outside the image",
    "fold_batchnorm": "scale = gamma / sqrt(running_var + eps) per filter; the bias goes through the same affine map",
}
