package org.segloss.nn;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * y = x for x > 0, slope x otherwise (PyTorch's {@code LeakyReLU(negative_slope)}, default 0.01;
 * nnU-Net uses 0.01). One op: y = relu(x) + slope (x - relu(x)), and dx = g [x > 0] + slope (g - g [x > 0]),
 * i.e. exactly dy for x > 0 and slope dy otherwise (at 0 too, as PyTorch). NOTE: an op of its
 * own, not where(x > 0, x, slope x): that built a mask in a scalar loop and kept three full-size
 * temporaries per call, and the U-Net calls it ten times per forward. Each direction is one fused
 * kernel ({@code Kernels.leakyRelu}, {@code leakyReluGrad}) with the arithmetic of the formulas
 * above in their order, so it gives the bits of relu, sub, mul and add composed, in one pass
 * instead of four temporaries.
 */
public final class LeakyReLU extends Module {
    private final float slope;

    public LeakyReLU() {
        this(0.01f);
    }

    public LeakyReLU(float slope) {
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("LeakyReLU: slope must be finite, got " + slope);
        this.slope = slope;
    }

    public float slope() { return slope; }

    @Override
    public Var forward(Var x) {
        return leakyRelu(x, slope);
    }

    public static Var leakyRelu(Var x, float slope) {
        return new Op(slope).apply(x);
    }

    /** y = relu(x) + s (x - relu(x)); dx = g [x > 0] + s (g - g [x > 0]). */
    static final class Op extends Function {
        private final float s;

        Op(float s) { this.s = s; }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) {
            ctx.saveForBackward(in[0]);
            // x where x > 0 (exactly), else s x
            return in[0].elementwise("leakyRelu", (k, x, xo, out, oo, n) -> k.leakyRelu(x, xo, s, out, oo, n));
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor.PairKernel grad = (k, gr, go, x, xo, out, oo, n) -> k.leakyReluGrad(gr, go, x, xo, s, out, oo, n);
            if (ctx.ownsGradOutput(0)) {
                // g is the graph's alone: dx over it in place (elementwise), no new full-size array
                ctx.handOverGradient(0);
                return new Tensor[] {g.elementwisei("leakyReluGrad", ctx.saved(0), grad)};
            }
            ctx.handOverGradient(0);   // a new tensor nobody else holds
            return new Tensor[] {g.elementwise("leakyReluGrad", ctx.saved(0), grad)};
        }
    }
}
