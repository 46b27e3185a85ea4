package org.segloss.autograd;

import org.segloss.tensor.Tensor;

/**
 * A real operation with one planted error: its own forward and backward run, and one term is
 * then scaled by {@code factor} (1.01 or 0.99 in the planted-error suites). Where:
 * <ul>
 * <li>{@link Site#INPUT_GRADIENT}: the gradient returned for input {@code index} (e.g. the divisor
 *     term of a division, dw of a convolution);</li>
 * <li>{@link Site#OUTPUT_GRADIENT}: the gradient of output {@code index} as it enters the backward,
 *     i.e. that output's term in an operation with several outputs (the intersection term of the
 *     fused region statistics);</li>
 * <li>{@link Site#FORWARD_OUTPUT}: output {@code index} of the forward (a wrong value, y of Conv3d).</li>
 * </ul>
 * Public so that the planted-error suites of other packages (nn, loss) can wrap their
 * package-private operations; it lives in this package because only here may it call the
 * protected forwardAll and backwardAll of another {@link MultiFunction}.
 */
public final class PlantedFault extends MultiFunction {
    public enum Site { INPUT_GRADIENT, OUTPUT_GRADIENT, FORWARD_OUTPUT }

    private final MultiFunction real;
    private final Site site;
    private final int index;
    private final float factor;

    public PlantedFault(MultiFunction real, Site site, int index, float factor) {
        this.real = real;
        this.site = site;
        this.index = index;
        this.factor = factor;
    }

    @Override
    public String name() { return real.name() + " (planted)"; }

    @Override
    protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
        Tensor[] out = real.forwardAll(ctx, in);
        if (site == Site.FORWARD_OUTPUT) out[index] = out[index].mul(factor);
        return out;
    }

    @Override
    protected Tensor[] backwardAll(Ctx ctx, Tensor... g) {
        Tensor[] gIn = g.clone();
        if (site == Site.OUTPUT_GRADIENT && gIn[index] != null) gIn[index] = gIn[index].mul(factor);
        Tensor[] out = real.backwardAll(ctx, gIn);
        if (site == Site.INPUT_GRADIENT && out[index] != null) out[index] = out[index].mul(factor);
        return out;
    }
}
