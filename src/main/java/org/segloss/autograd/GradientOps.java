package org.segloss.autograd;

import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;

/**
 * The fused gradient formulas of the elementwise and along-axis primitives in
 * {@link Primitives}, one kernel pass each (the tensor layer knows nothing of gradients: these
 * run its kernels through {@link Tensor#elementwise} and {@link Tensor#alongAxis}). g is the
 * gradient of the primitive's output; x its input, y its output, all of one shape.
 */
public final class GradientOps {
    private GradientOps() {}

    /** Backward of relu (and LeakyReLU's positive part): g where x > 0, else 0 (subgradient 0 at x = 0). */
    public static Tensor reluGrad(Tensor g, Tensor x) { return g.elementwise("reluGrad", Binary.RELU_GRAD, x); }

    /** Backward of sigmoid from its output y: g * y * (1 - y). */
    public static Tensor sigmoidGrad(Tensor g, Tensor y) { return g.elementwise("sigmoidGrad", Binary.SIGMOID_GRAD, y); }

    /** Backward of tanh from its output y: g * (1 - y^2). */
    public static Tensor tanhGrad(Tensor g, Tensor y) { return g.elementwise("tanhGrad", Binary.TANH_GRAD, y); }

    /** Backward of abs: g * sign(x) (0 at x = 0). */
    public static Tensor absGrad(Tensor g, Tensor x) { return g.elementwise("absGrad", Binary.ABS_GRAD, x); }

    /** Backward of clamp(lo, hi): g where lo &lt;= x &lt;= hi, else 0. */
    public static Tensor clampGrad(Tensor x, Tensor g, float lo, float hi) {
        return x.elementwise("clampGrad", g, (k, xs, xo, gs, go, out, oo, n) -> k.clampGrad(gs, go, xs, xo, lo, hi, out, oo, n));
    }

    /** Backward of softmax along an axis from its output y: y * (g - sum_axis(g * y)). */
    public static Tensor softmaxBackward(Tensor y, Tensor g, int axis) {
        return softmaxBackward(y, g, axis, null);
    }

    /** {@link #softmaxBackward(Tensor, Tensor, int)} written into out (y's shape, not sharing y's or g's array), or new when null. */
    public static Tensor softmaxBackward(Tensor y, Tensor g, int axis, Tensor out) {
        return y.alongAxis("softmaxBackward", axis, g, Kernels::softmaxBackward, out);
    }

    /** Backward of logSoftmax along an axis from its output y: g - exp(y) * sum_axis(g). */
    public static Tensor logSoftmaxBackward(Tensor y, Tensor g, int axis) {
        return logSoftmaxBackward(y, g, axis, null);
    }

    /** {@link #logSoftmaxBackward(Tensor, Tensor, int)} written into out (y's shape, not sharing y's or g's array), or new when null. */
    public static Tensor logSoftmaxBackward(Tensor y, Tensor g, int axis, Tensor out) {
        return y.alongAxis("logSoftmaxBackward", axis, g, Kernels::logSoftmaxBackward, out);
    }
}
