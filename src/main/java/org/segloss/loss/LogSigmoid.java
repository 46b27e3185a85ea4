package org.segloss.loss;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * {@code y = log σ(x) = -softplus(-x)}, elementwise, as one differentiable node for the sigmoid
 * losses (focal, Sudre WCE).
 *
 * <p>Forward in the stable form {@code min(x, 0) - log1p(exp(-|x|))}: the exponent is never
 * positive, so logits of any magnitude (±1e4) give a finite value, where {@code log(sigmoid(x))}
 * would give {@code log 0 = -inf} below about -104. Backward {@code dx = g · σ(-x)}, exact at
 * every x (a composition of relu/abs/clamp would need a subgradient choice at x = 0, where the
 * true slope is 1/2).
 */
final class LogSigmoid extends Function {

    /** log σ(x) of a Var. */
    static Var of(Var x) {
        return new LogSigmoid().apply(x);
    }

    /** log σ(x) of a plain tensor (no graph). */
    static Tensor of(Tensor x) {
        return x.minimum(Tensor.scalar(0f)).sub(x.abs().neg().exp().log1p());
    }

    @Override
    protected Tensor forward(Ctx ctx, Tensor... in) {
        ctx.saveForBackward(in[0]);
        return of(in[0]);
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor g) {
        return new Tensor[] {g.mul(ctx.saved(0).neg().sigmoid())};
    }
}
