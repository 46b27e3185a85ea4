package org.segloss.nn;

import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
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
 * five intermediates a composition keeps. Sums in double, per group in a fixed order; groups
 * in parallel, so results do not depend on the thread count.
 */
final class NormOp extends Function {
    private static final Ctx.Key<float[]> NORMALISED = new Ctx.Key<>("normalised input xh");
    private static final Ctx.Key<float[]> RSTD = new Ctx.Key<>("rstd");
    private static final Ctx.Key<float[]> GAMMA = new Ctx.Key<>("gamma");

    private final boolean perInstance;
    private final float eps;
    private final float[] fixedMean, fixedVar;   // both null: batch statistics
    /** Batch statistics of the last forward (per channel; batch norm only): mean, biased var. */
    float[] batchMean, batchVar;

    NormOp(boolean perInstance, float eps, float[] fixedMean, float[] fixedVar) {
        this.perInstance = perInstance;
        this.eps = eps;
        this.fixedMean = fixedMean;
        this.fixedVar = fixedVar;
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
        return Tensor.wrap(y, s.dims());
    }

    /** Forward of group g: its statistics (or the fixed ones), then xh and y. x's element i is x[xo + i]. */
    private void normaliseGroup(int g, int batch, int c, int n, float[] x, int xo, float[] gamma, float[] beta,
                                float[] xh, float[] y, float[] mean, float[] var, float[] rstd) {
        int blocks = perInstance ? 1 : batch, ch = perInstance ? g % c : g;
        double mu, vr;
        if (fixedMean != null) {
            mu = fixedMean[ch];
            vr = fixedVar[ch];
        } else {
            double sum = 0;
            for (int bl = 0; bl < blocks; bl++) sum += sum(x, xo + start(g, bl, c, n), n);
            mu = sum / ((double) n * blocks);
            double sq = 0;
            for (int bl = 0; bl < blocks; bl++) sq += squaredDeviations(x, xo + start(g, bl, c, n), n, mu);
            vr = sq / ((double) n * blocks);
        }
        double r = 1.0 / Math.sqrt(vr + eps);
        mean[g] = (float) mu;
        var[g] = (float) vr;
        rstd[g] = (float) r;
        float gm = gamma[ch], bt = beta[ch];
        for (int bl = 0; bl < blocks; bl++) {
            for (int j = start(g, bl, c, n), e = j + n; j < e; j++) {
                float h = (float) ((x[xo + j] - mu) * r);
                xh[j] = h;
                y[j] = gm * h + bt;
            }
        }
    }

    // The group sums below run in PARTIALS interleaved double partial sums (element i of the run
    // goes to partial i mod PARTIALS; a tail of fewer than PARTIALS in one more), added pairwise. One running double sum is a
    // chain of dependent adds (4 cycles each); eight independent chains keep the FP units busy,
    // about 4x faster. The order depends on n only, so the bits do not depend on the thread count.
    private static final int PARTIALS = 8;

    /** Sum of x[from, from + n) in double. */
    static double sum(float[] x, int from, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = from, bound = from + n - n % PARTIALS, end = from + n;
        for (; i < bound; i += PARTIALS) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        double tail = 0;     // fewer than 8 elements: one chain is fine
        for (; i < end; i++) tail += x[i];
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
    }

    /** Sum of (x[i] - mu)^2 over [from, from + n) in double. */
    static double squaredDeviations(float[] x, int from, int n, double mu) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = from, bound = from + n - n % PARTIALS, end = from + n;
        for (; i < bound; i += PARTIALS) {
            double d0 = x[i] - mu, d1 = x[i + 1] - mu, d2 = x[i + 2] - mu, d3 = x[i + 3] - mu;
            double d4 = x[i + 4] - mu, d5 = x[i + 5] - mu, d6 = x[i + 6] - mu, d7 = x[i + 7] - mu;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        double tail = 0;     // fewer than 8 elements: one chain is fine
        for (; i < end; i++) tail += (x[i] - mu) * (x[i] - mu);
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
    }

    /** Sum of (double) a[aFrom + i] * b[bFrom + i] over i in [0, n). */
    static double dot(float[] a, int aFrom, float[] b, int bFrom, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0, bound = n - n % PARTIALS;
        for (; i < bound; i += PARTIALS) {
            int p = aFrom + i, q = bFrom + i;
            s0 += (double) a[p] * b[q];
            s1 += (double) a[p + 1] * b[q + 1];
            s2 += (double) a[p + 2] * b[q + 2];
            s3 += (double) a[p + 3] * b[q + 3];
            s4 += (double) a[p + 4] * b[q + 4];
            s5 += (double) a[p + 5] * b[q + 5];
            s6 += (double) a[p + 6] * b[q + 6];
            s7 += (double) a[p + 7] * b[q + 7];
        }
        double tail = 0;
        for (; i < n; i++) tail += (double) a[aFrom + i] * b[bFrom + i];
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
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
        float[] xh = ctx.saved(NORMALISED), rstd = ctx.saved(RSTD), gamma = ctx.saved(GAMMA);
        float[] dx = new float[s.size()];
        double[] sdy = new double[groups], sdyx = new double[groups];
        boolean fixed = fixedMean != null, needX = ctx.needsInputGrad(0);
        gy.readInPlace((dy, dyo) -> Parallel.forRange(groups, 1, (g0, g1) -> {
            for (int g = g0; g < g1; g++) {
                double a = 0, b = 0;
                for (int bl = 0; bl < blocks; bl++) {
                    int i = start(g, bl, c, n);
                    a += sum(dy, dyo + i, n);
                    b += dot(dy, dyo + i, xh, i, n);
                }
                sdy[g] = a;
                sdyx[g] = b;
                if (!needX) continue;
                int ch = perInstance ? g % c : g;
                double cnt = (double) n * blocks, k = (double) gamma[ch] * rstd[g];
                double mdy = fixed ? 0 : a / cnt, mdyx = fixed ? 0 : b / cnt;
                for (int bl = 0; bl < blocks; bl++) {
                    for (int i = start(g, bl, c, n), e = i + n; i < e; i++) dx[i] = (float) (k * (dy[dyo + i] - mdy - xh[i] * mdyx));
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
