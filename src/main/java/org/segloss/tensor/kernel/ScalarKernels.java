package org.segloss.tensor.kernel;

/**
 * The reference kernels: plain loops, no tricks. This class is the specification that the
 * vector twin is tested against, and the fallback when the Vector API is unavailable.
 */
public final class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    private ScalarKernels() {}

    @Override public String name() { return "scalar"; }

    @Override public int lanes() { return 1; }

    /** The scalar definition of every unary op; the vector kernels must agree with it. */
    public static float apply(Unary op, float x) {
        return switch (op) {
            case NEG -> -x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case LOG1P -> (float) Math.log1p(x);
            case SQRT -> (float) Math.sqrt(x);
            case ABS -> Math.abs(x);
            case RELU -> x > 0f ? x : 0f;
            // NOTE: exp(-|x|) never overflows; the two branches are the same function.
            case SIGMOID -> x >= 0f ? (float) (1.0 / (1.0 + Math.exp(-x)))
                                    : (float) (Math.exp(x) / (1.0 + Math.exp(x)));
            case TANH -> (float) Math.tanh(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1f / x;
            case SIGN -> x > 0f ? 1f : (x < 0f ? -1f : 0f);
        };
    }

    /** The scalar definition of every binary op. */
    public static float apply(Binary op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            // NaN propagates, as Math.min/max do
            case MIN -> Math.min(a, b);
            case MAX -> Math.max(a, b);
            case RELU_GRAD -> b > 0f ? a : 0f;
            case SIGMOID_GRAD -> a * b * (1f - b);
            case TANH_GRAD -> a * (1f - b * b);
            case ABS_GRAD -> b > 0f ? a : (b < 0f ? -a : 0f);
        };
    }

    @Override
    public void map(Unary op, float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = apply(op, x[xOff + i]);
    }

    @Override
    public void zip(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = apply(op, a[aOff + i], b[bOff + i]);
    }

    @Override
    public void zipScalarRight(Binary op, float[] a, int aOff, float s, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = apply(op, a[aOff + i], s);
    }

    @Override
    public void zipScalarLeft(Binary op, float s, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = apply(op, s, b[bOff + i]);
    }

    @Override
    public void pow(float[] x, int xOff, float p, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = (float) Math.pow(x[xOff + i], p);
    }

    @Override
    public void clamp(float[] x, int xOff, float lo, float hi, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = Math.min(Math.max(x[xOff + i], lo), hi);
    }

    @Override
    public void clampGrad(float[] g, int gOff, float[] x, int xOff, float lo, float hi,
                          float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            out[outOff + i] = (v >= lo && v <= hi) ? g[gOff + i] : 0f;
        }
    }

    @Override
    public void select(int[] mask, int maskOff, float[] a, int aOff, float[] b, int bOff,
                       float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = mask[maskOff + i] != 0 ? a[aOff + i] : b[bOff + i];
    }

    @Override
    public void addWhereEqual(int[] labels, int labelsOff, int label, float v, float[] a, int aOff,
                              float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = labels[labelsOff + i] == label ? a[aOff + i] + v : a[aOff + i];
    }

    @Override
    public float sumWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            if (labels[labelsOff + i] == label) s += x[xOff + i];
        }
        return s;
    }

    @Override
    public float sumSquaredErrorWhereEqual(int[] labels, int labelsOff, int label, float[] p, int pOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) {
            if (labels[labelsOff + i] == label) {
                float e = 1f - p[pOff + i];
                s += e * e;
            }
        }
        return s;
    }

    @Override
    public void addSquaredErrorGradient(int[] labels, int labelsOff, int label, float atLabel, float elsewhere, float[] p, int pOff,
                                        float[] g, int gOff, int n) {
        for (int i = 0; i < n; i++) {
            float x = p[pOff + i];
            g[gOff + i] += labels[labelsOff + i] == label ? (1f - x) * atLabel : x * elsewhere;
        }
    }

    @Override
    public void selectWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] a, int aOff,
                                 float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = labels[labelsOff + i] == label ? x[xOff + i] : a[aOff + i];
    }

    @Override
    public int countEqual(int[] labels, int labelsOff, int label, int n) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (labels[labelsOff + i] == label) count++;
        }
        return count;
    }

    @Override
    public float softmaxLabelSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                  int[] labels, int labelsOff, int stats, float[] sums, int sumsOff, float[] softmaxStats, int statsOff) {
        java.util.Arrays.fill(sums, sumsOff, sumsOff + LABEL_SUM_SLOTS * n, 0f);
        float finite = 0f;
        float[] column = softmaxStats != null ? new float[2] : null;   // one column's m and log s
        for (int j = 0; j < cols; j++) {
            finite += checkedSoftmaxColumn(x, xOff + j, n, inner, out, outOff + j, column);
            if (column != null) {
                softmaxStats[statsOff + j] = column[0];
                softmaxStats[statsOff + cols + j] = column[1];
            }
            addLabelSums(out, outOff + j, n, inner, labels[labelsOff + j], stats, sums, sumsOff);
        }
        return finite;
    }

    /**
     * The softmax of one column (x(k) at xOff + k * stride) into out; returns its finiteness sum
     * Σ x - x, 0 or NaN exactly when some x(k) is NaN or infinite (read before out, which may be x);
     * with column (2 floats, or null) its m and log s as softmaxAndLogSum writes them.
     */
    private float checkedSoftmaxColumn(float[] x, int xOff, int n, int stride, float[] out, int outOff, float[] column) {
        float finite = 0f;
        for (int k = 0; k < n; k++) {
            float v = x[xOff + k * stride];
            finite += v - v;
        }
        softmaxAndLogSum(x, xOff, n, stride, 1, out, outOff, column, 0);
        return finite;
    }

    /** Adds one column's terms (p(k) at off + k * stride, the voxel's label y) to the sums of {@link #softmaxLabelSums}. */
    public static void addLabelSums(float[] p, int off, int n, int stride, int y, int stats, float[] sums, int sumsOff) {
        for (int k = 0; k < n; k++) {
            float v = p[off + k * stride];
            boolean at = y == k;
            if ((stats & SUM_AT_LABEL) != 0 && at) sums[sumsOff + k] += v;
            if ((stats & SUM_ALL) != 0) sums[sumsOff + n + k] += v;
            if ((stats & SUM_SQUARES) != 0) sums[sumsOff + 2 * n + k] = Math.fma(v, v, sums[sumsOff + 2 * n + k]);
            if ((stats & SUM_ERROR_AT_LABEL) != 0 && at) {
                float e = 1f - v;
                sums[sumsOff + 3 * n + k] += e * e;
            }
            if ((stats & SUM_SQUARES_OFF_LABEL) != 0 && !at) sums[sumsOff + 4 * n + k] += v * v;
            if ((stats & COUNT_AT_LABEL) != 0 && at) sums[sumsOff + 5 * n + k] += 1f;
        }
    }

    @Override
    public float softmaxConfusionSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                      int[] labels, int labelsOff, float[] sums, int sumsOff) {
        java.util.Arrays.fill(sums, sumsOff, sumsOff + n * n + 1, 0f);
        float finite = 0f;
        for (int j = 0; j < cols; j++) {
            finite += checkedSoftmaxColumn(x, xOff + j, n, inner, out, outOff + j, null);
            addConfusionSums(out, outOff + j, n, inner, labels[labelsOff + j], sums, sumsOff);
        }
        return finite;
    }

    /**
     * Adds one column (p(l) at off + l * stride, the voxel's label y) to the sums of
     * {@link #softmaxConfusionSums}: p into row y, one to the count; nothing for y outside [0, n).
     */
    public static void addConfusionSums(float[] p, int off, int n, int stride, int y, float[] sums, int sumsOff) {
        if (y < 0 || y >= n) return;
        for (int l = 0; l < n; l++) sums[sumsOff + y * n + l] += p[off + l * stride];
        sums[sumsOff + n * n] += 1f;
    }

    /**
     * One column of {@link #softmaxLabelSumsBackward} (p(k) at off + k * stride, label y): the
     * arithmetic of both twins; with labelTerm, {@link #labelSoftmaxGradientColumn}'s value for
     * the coefficient a added once at the end, each rounded as there (also the vector kernel's tail).
     */
    public static void labelSumsBackwardColumn(float[] p, int pOff, int n, int stride, int y, float[] coef, int coefOff,
                                               boolean labelTerm, float a, float[] out, int outOff) {
        float d = 0f;
        for (int k = 0; k < n; k++) {
            float v = p[pOff + k * stride];
            d = Math.fma(v, labelGradient(v, k, y, n, coef, coefOff), d);
        }
        for (int k = 0; k < n; k++) {
            float v = p[pOff + k * stride];
            float region = v * (labelGradient(v, k, y, n, coef, coefOff) - d);
            if (labelTerm) {
                float t = v * a;
                region = region + (k == y ? t - a : t);
            }
            out[outOff + k * stride] = region;
        }
    }

    @Override
    public void softmaxLabelSumsBackward(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                         float[] coef, int coefOff, float[] a, int aOff, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            labelSumsBackwardColumn(p, pOff + j, n, inner, labels[labelsOff + j], coef, coefOff, a != null, a != null ? a[aOff + j] : 0f,
                    out, outOff + j);
        }
    }

    /** gp of {@link #softmaxLabelSumsBackward} for p = v of class k at a voxel labelled y. */
    private static float labelGradient(float v, int k, int y, int n, float[] coef, int coefOff) {
        return y == k ? Math.fma(v, coef[coefOff + 3 * n + k], coef[coefOff + n + k])
                      : Math.fma(v, coef[coefOff + 2 * n + k], coef[coefOff + k]);
    }

    @Override
    public float softmaxWeightedSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                     float[] w, int wOff, int wStride, float[] sums, int sumsOff) {
        float finite = 0f;
        for (int j = 0; j < cols; j++) {
            for (int k = 0; k < n; k++) {
                float v = x[xOff + k * inner + j];
                finite += v - v;   // NaN exactly when v is NaN or infinite (read before out, which may be x, is written)
            }
        }
        softmax(x, xOff, n, inner, cols, out, outOff);
        for (int k = 0; k < n; k++) sums[sumsOff + k] = dot(out, outOff + k * inner, w, wOff + k * wStride, cols);
        return finite;
    }

    @Override
    public void softmaxWeightedSumsBackward(float[] p, int pOff, int n, int inner, int cols, float[] w, int wOff, int wStride,
                                            float[] g, int gOff, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            // softmaxBackward's column on gp = 0 + g_k w(k, j), recomputed in the second loop (out may be p)
            float d = 0f;
            for (int k = 0; k < n; k++) d += (0f + g[gOff + k] * w[wOff + k * wStride + j]) * p[pOff + k * inner + j];
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                out[outOff + i] = p[pOff + i] * ((0f + g[gOff + k] * w[wOff + k * wStride + j]) - d);
            }
        }
    }

    @Override
    public void triad(float[] a, int aOff, float s, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] + s * b[bOff + i];
    }

    @Override
    public void leakyRelu(float[] x, int xOff, float slope, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i], r = v > 0f ? v : 0f;
            out[outOff + i] = r + slope * (v - r);
        }
    }

    @Override
    public void leakyReluGrad(float[] g, int gOff, float[] x, int xOff, float slope, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float gv = g[gOff + i], p = x[xOff + i] > 0f ? gv : 0f;
            out[outOff + i] = p + slope * (gv - p);
        }
    }

    // ---- max pooling ---------------------------------------------------------------------------

    @Override
    public void maxPoolRow(float[] x, int r00, int r01, int r10, int r11, int xBase, int ow, float[] y, int yOff, int[] arg,
                           int argOff) {
        for (int j = 0; j < ow; j++) {
            int c = 2 * j, best = r00 + c, i;
            float m = x[best], v;
            // the seven later candidates in (kz, ky, kx) order, written out (a loop with a row
            // select per candidate was slower than this at the 8^3 level); strict: the first
            // maximum wins, and a NaN replaces a number (v != v: v is NaN)
            i = r00 + c + 1;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r01 + c;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r01 + c + 1;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r10 + c;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r10 + c + 1;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r11 + c;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            i = r11 + c + 1;
            v = x[i];
            if (v > m || (v != v && m == m)) { m = v; best = i; }
            y[yOff + j] = m;
            arg[argOff + j] = best - xBase;
        }
    }

    // ---- a normalisation's group statistics: eight interleaved double partials (GROUP_PARTIALS) ----

    @Override
    public double groupSum(float[] x, int xOff, int n) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = xOff, bound = xOff + n - n % GROUP_PARTIALS, end = xOff + n;
        for (; i < bound; i += GROUP_PARTIALS) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
            s4 += x[i + 4];
            s5 += x[i + 5];
            s6 += x[i + 6];
            s7 += x[i + 7];
        }
        double tail = 0;   // fewer than 8 elements: one chain is fine
        for (; i < end; i++) tail += x[i];
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
    }

    @Override
    public double groupSquaredDeviations(float[] x, int xOff, int n, double mean) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = xOff, bound = xOff + n - n % GROUP_PARTIALS, end = xOff + n;
        for (; i < bound; i += GROUP_PARTIALS) {
            double d0 = x[i] - mean, d1 = x[i + 1] - mean, d2 = x[i + 2] - mean, d3 = x[i + 3] - mean;
            double d4 = x[i + 4] - mean, d5 = x[i + 5] - mean, d6 = x[i + 6] - mean, d7 = x[i + 7] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
            s4 += d4 * d4;
            s5 += d5 * d5;
            s6 += d6 * d6;
            s7 += d7 * d7;
        }
        double tail = 0;
        for (; i < end; i++) {
            double d = x[i] - mean;
            tail += d * d;
        }
        return (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail;
    }

    @Override
    public void groupSumAndDot(float[] a, int aOff, float[] b, int bOff, int n, double[] out, int outOff) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
        int i = 0, bound = n - n % GROUP_PARTIALS;
        for (; i < bound; i += GROUP_PARTIALS) {
            int p = aOff + i, q = bOff + i;
            s0 += a[p];
            s1 += a[p + 1];
            s2 += a[p + 2];
            s3 += a[p + 3];
            s4 += a[p + 4];
            s5 += a[p + 5];
            s6 += a[p + 6];
            s7 += a[p + 7];
            d0 += (double) a[p] * b[q];
            d1 += (double) a[p + 1] * b[q + 1];
            d2 += (double) a[p + 2] * b[q + 2];
            d3 += (double) a[p + 3] * b[q + 3];
            d4 += (double) a[p + 4] * b[q + 4];
            d5 += (double) a[p + 5] * b[q + 5];
            d6 += (double) a[p + 6] * b[q + 6];
            d7 += (double) a[p + 7] * b[q + 7];
        }
        double sTail = 0, dTail = 0;
        for (; i < n; i++) {
            sTail += a[aOff + i];
            dTail += (double) a[aOff + i] * b[bOff + i];
        }
        out[outOff] = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + sTail;
        out[outOff + 1] = (((d0 + d1) + (d2 + d3)) + ((d4 + d5) + (d6 + d7))) + dTail;
    }

    @Override
    public void normalise(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta,
                          float[] xh, int xhOff, float[] y, int yOff) {
        for (int i = 0; i < n; i++) {
            float h = (float) ((x[xOff + i] - mean) * rstd);
            xh[xhOff + i] = h;
            y[yOff + i] = gamma * h + beta;
        }
    }

    @Override
    public void normaliseBackward(float[] dy, int dyOff, float[] xh, int xhOff, int n, double scale, double meanDy,
                                  double meanDyXh, float[] dx, int dxOff) {
        for (int i = 0; i < n; i++) dx[dxOff + i] = (float) (scale * ((dy[dyOff + i] - meanDy) - xh[xhOff + i] * meanDyXh));
    }

    @Override
    public void normaliseLeakyRelu(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta, float slope,
                                   float[] xh, int xhOff, float[] y, int yOff) {
        for (int i = 0; i < n; i++) {
            float h = (float) ((x[xOff + i] - mean) * rstd);
            xh[xhOff + i] = h;
            float t = gamma * h + beta, r = t > 0f ? t : 0f;   // normalise's y, then leakyRelu's formula
            y[yOff + i] = r + slope * (t - r);
        }
    }

    /** leakyReluGrad of g at the recomputed normalised output gamma · h + beta. */
    private static float leakyNormGrad(float g, float h, float gamma, float beta, float slope) {
        float t = gamma * h + beta, p = t > 0f ? g : 0f;
        return p + slope * (g - p);
    }

    @Override
    public void groupSumAndDotLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                        double[] out, int outOff) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
        int i = 0, bound = n - n % GROUP_PARTIALS;
        for (; i < bound; i += GROUP_PARTIALS) {
            int p = gOff + i, q = xhOff + i;
            float e0 = leakyNormGrad(g[p], xh[q], gamma, beta, slope), e1 = leakyNormGrad(g[p + 1], xh[q + 1], gamma, beta, slope);
            float e2 = leakyNormGrad(g[p + 2], xh[q + 2], gamma, beta, slope), e3 = leakyNormGrad(g[p + 3], xh[q + 3], gamma, beta, slope);
            float e4 = leakyNormGrad(g[p + 4], xh[q + 4], gamma, beta, slope), e5 = leakyNormGrad(g[p + 5], xh[q + 5], gamma, beta, slope);
            float e6 = leakyNormGrad(g[p + 6], xh[q + 6], gamma, beta, slope), e7 = leakyNormGrad(g[p + 7], xh[q + 7], gamma, beta, slope);
            s0 += e0;
            s1 += e1;
            s2 += e2;
            s3 += e3;
            s4 += e4;
            s5 += e5;
            s6 += e6;
            s7 += e7;
            d0 += (double) e0 * xh[q];
            d1 += (double) e1 * xh[q + 1];
            d2 += (double) e2 * xh[q + 2];
            d3 += (double) e3 * xh[q + 3];
            d4 += (double) e4 * xh[q + 4];
            d5 += (double) e5 * xh[q + 5];
            d6 += (double) e6 * xh[q + 6];
            d7 += (double) e7 * xh[q + 7];
        }
        double sTail = 0, dTail = 0;
        for (; i < n; i++) {
            float e = leakyNormGrad(g[gOff + i], xh[xhOff + i], gamma, beta, slope);
            sTail += e;
            dTail += (double) e * xh[xhOff + i];
        }
        out[outOff] = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + sTail;
        out[outOff + 1] = (((d0 + d1) + (d2 + d3)) + ((d4 + d5) + (d6 + d7))) + dTail;
    }

    @Override
    public void normaliseBackwardLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                           double scale, double meanDy, double meanDyXh, float[] dx, int dxOff) {
        for (int i = 0; i < n; i++) {
            float h = xh[xhOff + i], dy = leakyNormGrad(g[gOff + i], h, gamma, beta, slope);
            dx[dxOff + i] = (float) (scale * ((dy - meanDy) - h * meanDyXh));
        }
    }

    @Override
    public void fill(float[] out, int outOff, int n, float v) {
        java.util.Arrays.fill(out, outOff, outOff + n, v);
    }

    @Override
    public float sum(float[] x, int xOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += x[xOff + i];
        return (float) s;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) a[aOff + i] * b[bOff + i];
        return (float) s;
    }

    @Override
    public float max(float[] x, int xOff, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.max(m, x[xOff + i]);
        return m;
    }

    @Override
    public float min(float[] x, int xOff, int n) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) m = Math.min(m, x[xOff + i]);
        return m;
    }

    @Override
    public void softmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        softmaxAndLogSum(x, xOff, n, inner, cols, out, outOff, null, 0);
    }

    @Override
    public void softmaxAndLogSum(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff, float[] stats, int statsOff) {
        for (int j = 0; j < cols; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * inner + j]);
            float s = 0f;
            for (int k = 0; k < n; k++) {
                float e = (float) Math.exp(x[xOff + k * inner + j] - m);
                out[outOff + k * inner + j] = e;
                s += e;
            }
            float inv = 1f / s;
            for (int k = 0; k < n; k++) out[outOff + k * inner + j] *= inv;
            if (stats != null) {   // softmaxAndLogSum: m and log s of the column (logSoftmax's s: the same adds)
                stats[statsOff + j] = m;
                stats[statsOff + cols + j] = (float) Math.log(s);
            }
        }
    }

    @Override
    public float sumLogSoftmaxWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] stats, int mOff,
                                         int logSOff, int n) {
        float s = 0f;
        boolean finite = true;
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            finite &= Float.isFinite(v);
            if (labels[labelsOff + i] == label) s += (v - stats[mOff + i]) - stats[logSOff + i];
        }
        return finite ? s : Float.NaN;
    }

    @Override
    public void crossEntropyGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                     float[] scaledWeight, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) crossEntropyGradientColumn(p, pOff + j, n, inner, labels[labelsOff + j], scaledWeight, out, outOff + j);
    }

    @Override
    public boolean crossEntropyChunk(float[] x, int xOff, int n, int inner, int cols, int[] labels, int labelsOff, int ignoreIndex,
                                     float[] scaledWeight, float[] out, int outOff, float[] stats, int statsOff, float[] picked) {
        return Kernels.crossEntropyChunkComposed(this, x, xOff, n, inner, cols, labels, labelsOff, ignoreIndex, scaledWeight,
                out, outOff, stats, statsOff, picked);
    }

    @Override
    public float expLogTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float minLog, float[] f, int fOff,
                            float[] slope, int slopeOff, int n) {
        double s = 0;
        for (int j = 0; j < n; j++) {
            float l = -lp[lpOff + j];
            float h = Math.min(Math.max(l, minLog), Float.POSITIVE_INFINITY);   // clamp's expression
            float fj = gamma == 1f ? h : (float) Math.pow(h, gamma);
            f[fOff + j] = fj;
            s += (double) fj * w[wOff + j];   // dot's
            if (slope != null) {
                float d = gamma == 1f ? w[wOff + j] : w[wOff + j] * (fj / h) * gamma;
                slope[slopeOff + j] = l >= minLog && l <= Float.POSITIVE_INFINITY ? d : 0f;   // clampGrad's test
            }
        }
        return (float) s;
    }

    @Override
    public float focalTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float floor, float scale,
                           float[] e, float[] q, float[] f, float[] a, int aOff, int n) {
        if (gamma == 0f) {
            if (a != null) for (int j = 0; j < n; j++) a[aOff + j] = (-1f * w[wOff + j]) * -scale;   // fill, zip MUL, scalar MUL
            return dot(lp, lpOff, w, wOff, n);
        }
        for (int j = 0; j < n; j++) {
            float ej = (float) Math.exp(lp[lpOff + j]), qj = 1f - ej, cj = Math.min(Math.max(qj, floor), 1f);   // clamp's expression
            e[j] = ej;
            q[j] = qj;
            f[j] = (float) Math.pow(cj, gamma);   // pow's
            if (a != null) a[aOff + j] = cj;
        }
        if (a != null) {
            for (int j = 0; j < n; j++) {
                float qj = q[j];
                float d = (float) Math.pow(a[aOff + j], gamma - 1f) * gamma;
                d = (qj >= floor && qj <= 1f) ? d : 0f;   // clampGrad's test
                a[aOff + j] = ((((lp[lpOff + j] * d) * e[j]) - f[j]) * w[wOff + j]) * -scale;
            }
        }
        for (int j = 0; j < n; j++) lp[lpOff + j] = lp[lpOff + j] * f[j];
        return dot(lp, lpOff, w, wOff, n);
    }

    @Override
    public float pickLogSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] stats, int mOff, int logSOff,
                                int[] labels, int labelsOff, float[] coef, float[] lp, int lpOff, float[] w, int wOff) {
        boolean finite = true;
        for (int j = 0; j < cols; j++) {
            for (int k = 0; k < n; k++) finite &= Float.isFinite(x[xOff + k * inner + j]);
            pickLogSoftmaxColumn(x, xOff + j, n, inner, stats[mOff + j], stats[logSOff + j], labels[labelsOff + j], coef,
                    lp, lpOff + j, w, wOff + j);
        }
        return finite ? 0f : Float.NaN;
    }

    /** {@link #pickLogSoftmax} of one column with label y, stats m and logS (also the vector kernels' tail). */
    public static void pickLogSoftmaxColumn(float[] x, int xOff, int n, int inner, float m, float logS, int y, float[] coef,
                                            float[] lp, int lpAt, float[] w, int wAt) {
        boolean picked = y >= 0 && y < n && coef[y] != 0f;
        lp[lpAt] = picked ? (x[xOff + y * inner] - m) - logS : 0f;
        w[wAt] = picked ? coef[y] : 0f;
    }

    @Override
    public void labelSoftmaxGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                     float[] a, int aOff, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) labelSoftmaxGradientColumn(p, pOff + j, n, inner, labels[labelsOff + j], a[aOff + j], out, outOff + j);
    }

    /** {@link #labelSoftmaxGradient} of one column with label y and coefficient a (also the vector kernels' tail). */
    public static void labelSoftmaxGradientColumn(float[] p, int pOff, int n, int inner, int y, float a, float[] out, int outOff) {
        for (int k = 0; k < n; k++) {
            float t = p[pOff + k * inner] * a;
            out[outOff + k * inner] = k == y ? t - a : t;
        }
    }

    /** {@link #crossEntropyGradient} of one column with label y (also the vector kernels' tail). */
    public static void crossEntropyGradientColumn(float[] p, int pOff, int n, int inner, int y, float[] scaledWeight,
                                                  float[] out, int outOff) {
        float a = y >= 0 && y < n ? scaledWeight[y] : 0f;
        for (int k = 0; k < n; k++) {
            float t = p[pOff + k * inner] * a;
            out[outOff + k * inner] = k == y ? t - a : t;
        }
    }

    @Override
    public void logSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * inner + j]);
            float s = 0f;
            for (int k = 0; k < n; k++) s += (float) Math.exp(x[xOff + k * inner + j] - m);
            // (x - m) - log s, never x - (m + log s): at |m| >= 1e6 the sum m + log s rounds
            // log s away (1e8 + ln 3 == 1e8 in float), see spec/numerics.md
            float logS = (float) Math.log(s);
            for (int k = 0; k < n; k++) out[outOff + k * inner + j] = (x[xOff + k * inner + j] - m) - logS;
        }
    }

    @Override
    public void logSumExp(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) m = Math.max(m, x[xOff + k * inner + j]);
            if (m == Float.NEGATIVE_INFINITY) {   // all -inf: avoid (-inf) - (-inf) = NaN
                out[outOff + j] = m;
                continue;
            }
            float s = 0f;
            for (int k = 0; k < n; k++) s += (float) Math.exp(x[xOff + k * inner + j] - m);
            out[outOff + j] = m + (float) Math.log(s);
        }
    }

    @Override
    public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int gStride, int n, int inner, int cols,
                                float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            float dot = 0f;
            for (int k = 0; k < n; k++) dot += g[gOff + k * gStride + j] * y[yOff + k * inner + j];
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                out[outOff + i] = y[yOff + i] * (g[gOff + k * gStride + j] - dot);
            }
        }
    }

    @Override
    public void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                float[] out, int outOff) {
        softmaxBackward(y, yOff, g, gOff, inner, n, inner, cols, out, outOff);   // g with y's row stride
    }

    @Override
    public void softmaxBackwardByLabel(float[] y, int yOff, int n, int inner, int cols, int[] labels, int labelsOff, float[] table,
                                       float[] out, int outOff) {
        if (inner == 1) {
            // one voxel's contiguous row: softmaxBackward's row path on the looked-up row, as it is
            int r = labels[labelsOff];
            float[] g = java.util.Arrays.copyOfRange(table, (r >= 0 && r < n ? r : n) * n, (r >= 0 && r < n ? r : n) * n + n);
            softmaxBackward(y, yOff, g, 0, n, 1, 1, out, outOff);
            return;
        }
        for (int j = 0; j < cols; j++) softmaxBackwardByLabelColumn(y, yOff + j, n, inner, labels[labelsOff + j], table, out, outOff + j);
    }

    /** {@link #softmaxBackwardByLabel} of one column with label r (also the vector kernels' tail). */
    public static void softmaxBackwardByLabelColumn(float[] y, int yOff, int n, int inner, int r, float[] table, float[] out, int outOff) {
        int row = (r >= 0 && r < n ? r : n) * n;
        float dot = 0f;
        for (int k = 0; k < n; k++) dot += table[row + k] * y[yOff + k * inner];
        for (int k = 0; k < n; k++) out[outOff + k * inner] = y[yOff + k * inner] * (table[row + k] - dot);
    }

    @Override
    public void logSoftmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                                   float[] out, int outOff) {
        for (int j = 0; j < cols; j++) {
            float gs = 0f;
            for (int k = 0; k < n; k++) gs += g[gOff + k * inner + j];
            for (int k = 0; k < n; k++) {
                int i = k * inner + j;
                out[outOff + i] = g[gOff + i] - (float) Math.exp(y[yOff + i]) * gs;
            }
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? s : s + beta * c[ci];
            }
        }
    }

    @Override
    public void gemmShiftedB(int m, int n, int k, float[] a, int aOff, int lda,
                             float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * src[srcOff + offs[p] + j];
                c[cOff + i * ldc + j] = s;
            }
        }
    }

    /** The scalar layout: A's rows copied densely, [m, k]. */
    @Override
    public float[] packShiftedA(int m, int k, float[] a, int aOff, int lda) {
        float[] packed = new float[Math.max(0, m) * Math.max(0, k)];
        for (int i = 0; i < m; i++) System.arraycopy(a, aOff + i * lda, packed, i * k, k);
        return packed;
    }

    @Override
    public void gemmShiftedBPacked(int m, int n, int k, float[] packedA,
                                   float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc) {
        if (m > 0 && k > 0 && packedA.length < m * k) {
            throw new IllegalArgumentException("gemmShiftedBPacked: packedA must hold " + m * k
                    + " floats (packShiftedA(m = " + m + ", k = " + k + ")), got " + packedA.length);
        }
        gemmShiftedB(m, n, k, packedA, 0, k, src, srcOff, offs, c, cOff, ldc);
    }

    @Override
    public void gemmShiftedBRowsPacked(int m, int k, float[] packedA, float[] src, int srcOff,
                                       int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                       float[] c, int cOff, int ldc) {
        for (int r = 0; r < rows; r++) {
            gemmShiftedBPacked(m, len, k, packedA, src, srcOff + rowStarts[rowsOff + r], offs, c, cOff + r * len, ldc);
        }
    }

    @Override
    public void gemmShiftedBt(int m, int k, int n, float[] a, int aOff, int lda,
                              float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                float s = 0f;
                for (int q = 0; q < n; q++) s += a[aOff + i * lda + q] * src[srcOff + offs[j] + q];
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? s : c[ci] + s;
            }
        }
    }

    @Override
    public void gemmShiftedBtChain(int m, int k, int n, float[] a, int aOff, int lda,
                                   float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                int ci = cOff + i * ldc + j, ai = aOff + i * lda, bj = srcOff + offs[j];
                float s = beta == 0f ? 0f : c[ci];
                for (int q = 0; q < n; q++) s = Math.fma(src[bj + q], a[ai + q], s);
                c[ci] = s;
            }
        }
    }

    @Override
    public void gemmShiftedBtChainRows(int m, int k, float[] a, int aOff, int lda, float[] src, int srcOff,
                                       int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                       float beta, float[] c, int cOff, int ldc) {
        if (rows <= 0) gemmShiftedBtChain(m, k, 0, a, aOff, lda, src, srcOff, offs, beta, c, cOff, ldc);
        for (int r = 0; r < rows; r++) {
            int q = rowStarts[rowsOff + r];
            gemmShiftedBtChain(m, k, len, a, aOff + q, lda, src, srcOff + q, offs, r == 0 ? beta : 1f, c, cOff, ldc);
        }
    }
}
