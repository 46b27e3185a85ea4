package org.segloss.nn;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * The fused normalisation behind {@link InstanceNorm3d} and {@link BatchNorm3d}: inputs x
 * {@code [B, C, S...]}, gamma {@code [C]}, beta {@code [C]}. A group is the set of elements that
 * share statistics: one (b, c) slice for instance norm, one channel c over the batch for batch
 * norm; N is its size.
 * <pre>
 * forward   mu = mean_group(x);  var = mean_group((x - mu)^2) (biased);  r = 1 / sqrt(var + eps)
 *           xh = (x - mu) r;  y = gamma[c] xh + beta[c]
 * backward  dx = gamma[c] r (dy - mean_group(dy) - xh mean_group(dy xh))
 *           dgamma[c] = sum_{groups of c} sum dy xh;  dbeta[c] = sum dy
 * fixed stats (batch norm in eval): mu, var given; dx = gamma[c] r dy (mu and var are constants)
 * </pre>
 * NOTE: fused rather than composed from mean/sub/mul so that one saved tensor (xh) replaces the
 * five intermediates a composition keeps. Sums in double, per group in a fixed order (eight
 * interleaved partials, {@link Kernels#GROUP_PARTIALS}); groups in parallel, so results do not
 * depend on the thread count. The passes over a group are the {@code Kernels} norm kernels
 * (double lanes in the vector twin, the same bits as the scalar twin): the backward's two sums
 * in one pass.
 */
final class NormOp extends Function {
    private static final Ctx.Key<float[]> NORMALISED = new Ctx.Key<>("normalised input xh");
    private static final Ctx.Key<float[]> RSTD = new Ctx.Key<>("rstd");
    private static final Ctx.Key<float[]> GAMMA = new Ctx.Key<>("gamma");
    private static final Ctx.Key<float[]> BETA = new Ctx.Key<>("beta");

    private final boolean perInstance;
    private final float eps;
    private final float[] fixedMean, fixedVar;   // both null: batch statistics
    /**
     * NaN, or the slope of a leaky ReLU applied to y in the same pass ({@code Sequential}'s
     * InstanceNorm3d + LeakyReLU): out = leakyRelu(y), and backward takes dy = leakyReluGrad(g, y)
     * with y recomputed from x̂ (the same float operations: the same bits), so y is never stored
     * and no pass of its own runs for the activation in either direction.
     */
    private final float leakySlope;
    /** Batch statistics of the last forward (per channel; batch norm only): mean, biased var. */
    float[] batchMean, batchVar;

    NormOp(boolean perInstance, float eps, float[] fixedMean, float[] fixedVar) {
        this(perInstance, eps, fixedMean, fixedVar, Float.NaN);
    }

    /** With a finite {@code leakySlope}: the output is LeakyReLU(leakySlope) of the normalised output (one op). */
    NormOp(boolean perInstance, float eps, float[] fixedMean, float[] fixedVar, float leakySlope) {
        this.perInstance = perInstance;
        this.eps = eps;
        this.fixedMean = fixedMean;
        this.fixedVar = fixedVar;
        this.leakySlope = leakySlope;
    }

    @Override
    protected Tensor forward(Ctx ctx, Tensor... t) {
        Shape s = t[0].shape();
        int batch = s.dim(0), c = s.dim(1), n = s.size() / (batch * c);
        int groups = perInstance ? batch * c : c;
        float[] gamma = t[1].toArray(), beta = t[2].toArray();
        // xh is this op's own (every element written below): from the pool, handed back by backward
        float[] y = new float[s.size()], xh = ScratchPool.take(s.size()), rstd = new float[groups];
        float[] mean = new float[groups], var = new float[groups];
        // x read in place (a copy of it cost as much as a pass of the statistics)
        t[0].readInPlace((x, xo) -> Parallel.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) normaliseGroup(g, batch, c, n, x, xo, gamma, beta, xh, y, mean, var, rstd);
        }));
        if (!perInstance && fixedMean == null) {
            batchMean = mean;
            batchVar = var;
        }
        // xh is this op's own array: saved as is, read in place by backward
        if (ctx.needsInputGrad(0) || ctx.needsInputGrad(1) || ctx.needsInputGrad(2)) {   // every backward reads xh
            ctx.save(NORMALISED, xh);
        } else {
            ScratchPool.give(xh);   // no backward reads it
        }
        ctx.save(RSTD, rstd);
        ctx.save(GAMMA, gamma);
        ctx.save(BETA, beta);
        return Tensor.wrap(y, s.dims());
    }

    /** Forward of group g: its statistics (or the fixed ones), then xh and y. x's element i is x[xo + i]. */
    private void normaliseGroup(int g, int batch, int c, int n, float[] x, int xo, float[] gamma, float[] beta,
                                float[] xh, float[] y, float[] mean, float[] var, float[] rstd) {
        int blocks = perInstance ? 1 : batch, ch = perInstance ? g % c : g;
        Kernels kernels = Backend.kernels();
        double mu, vr;
        if (fixedMean != null) {
            mu = fixedMean[ch];
            vr = fixedVar[ch];
        } else {
            double sum = 0;
            for (int bl = 0; bl < blocks; bl++) sum += kernels.groupSum(x, xo + start(g, bl, c, n), n);
            mu = sum / ((double) n * blocks);
            double sq = 0;
            for (int bl = 0; bl < blocks; bl++) sq += kernels.groupSquaredDeviations(x, xo + start(g, bl, c, n), n, mu);
            vr = sq / ((double) n * blocks);
        }
        double r = 1.0 / Math.sqrt(vr + eps);
        mean[g] = (float) mu;
        var[g] = (float) vr;
        rstd[g] = (float) r;
        for (int bl = 0; bl < blocks; bl++) {
            int j = start(g, bl, c, n);
            if (Float.isNaN(leakySlope)) kernels.normalise(x, xo + j, n, mu, r, gamma[ch], beta[ch], xh, j, y, j);
            else kernels.normaliseLeakyRelu(x, xo + j, n, mu, r, gamma[ch], beta[ch], leakySlope, xh, j, y, j);
        }
    }

    /** Offset of block bl of group g in [B, C, n]. */
    private int start(int g, int bl, int c, int n) {
        return perInstance ? g * n : (bl * c + g) * n;
    }

    @Override
    protected Tensor[] backward(Ctx ctx, Tensor gy) {
        Shape s = gy.shape();
        int batch = s.dim(0), c = s.dim(1), n = s.size() / (batch * c);
        int groups = perInstance ? batch * c : c, blocks = perInstance ? 1 : batch;
        float[] xh = ctx.saved(NORMALISED), rstd = ctx.saved(RSTD), gamma = ctx.saved(GAMMA), beta = ctx.saved(BETA);
        boolean leaky = !Float.isNaN(leakySlope);
        float[] dx = new float[s.size()];
        double[] sdy = new double[groups], sdyx = new double[groups];
        boolean fixed = fixedMean != null, needX = ctx.needsInputGrad(0);
        Kernels kernels = Backend.kernels();
        gy.readInPlace((dy, dyo) -> Parallel.forRange(groups, 1, (g0, g1) -> {
            double[] sums = new double[2];   // Σ dy, Σ dy·xh of one block
            for (int g = g0; g < g1; g++) {
                double a = 0, b = 0;
                int ch = perInstance ? g % c : g;
                for (int bl = 0; bl < blocks; bl++) {
                    int i = start(g, bl, c, n);
                    if (leaky) kernels.groupSumAndDotLeakyRelu(dy, dyo + i, xh, i, n, gamma[ch], beta[ch], leakySlope, sums, 0);
                    else kernels.groupSumAndDot(dy, dyo + i, xh, i, n, sums, 0);
                    a += sums[0];
                    b += sums[1];
                }
                sdy[g] = a;
                sdyx[g] = b;
                if (!needX) continue;
                double cnt = (double) n * blocks, k = (double) gamma[ch] * rstd[g];
                double mdy = fixed ? 0 : a / cnt, mdyx = fixed ? 0 : b / cnt;
                for (int bl = 0; bl < blocks; bl++) {
                    int i = start(g, bl, c, n);
                    if (leaky) kernels.normaliseBackwardLeakyRelu(dy, dyo + i, xh, i, n, gamma[ch], beta[ch], leakySlope, k, mdy, mdyx, dx, i);
                    else kernels.normaliseBackward(dy, dyo + i, xh, i, n, k, mdy, mdyx, dx, i);
                }
            }
        }));
        float[] dgamma = new float[c], dbeta = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double a = 0, b = 0;
            if (perInstance) {
                for (int bi = 0; bi < batch; bi++) {    // batch order: fixed
                    a += sdyx[bi * c + ch];
                    b += sdy[bi * c + ch];
                }
            } else {
                a = sdyx[ch];
                b = sdy[ch];
            }
            dgamma[ch] = (float) a;
            dbeta[ch] = (float) b;
        }
        ScratchPool.give(xh);   // its last use: the next forward writes into it
        for (int i = 0; i < 3; i++) ctx.handOverGradient(i);   // dx, dgamma, dbeta: new arrays nobody else holds
        return new Tensor[] {
            needX ? Tensor.wrap(dx, s.dims()) : null,
            ctx.needsInputGrad(1) ? Tensor.wrap(dgamma, c) : null,
            ctx.needsInputGrad(2) ? Tensor.wrap(dbeta, c) : null};
    }
}
