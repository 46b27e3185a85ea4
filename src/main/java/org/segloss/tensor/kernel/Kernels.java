package org.segloss.tensor.kernel;

/**
 * The hot loops of segloss, on raw {@code float[]} ranges. Two implementations share this
 * interface: {@link ScalarKernels}, the readable reference ("the spec"), and the Vector API
 * twin in {@code org.segloss.tensor.simd}, the only package that imports
 * {@code jdk.incubator.vector}. Tests compare the two at awkward sizes and every vector width.
 *
 * <p>Contract for every method: kernels never validate their arguments (the tensor layer does);
 * they are single-threaded over the range they are given ({@link Parallel} splits work);
 * {@code out} may alias an input exactly (same array and offset) but never partially.
 * Offsets and lengths are in elements.
 */
public interface Kernels {

    /** A short name for logs and reports, e.g. {@code "scalar"} or {@code "vector-512"}. */
    String name();

    /** Float lanes per vector; 1 for the scalar kernels. */
    int lanes();

    /** Elementwise functions of one argument: {@code out[i] = f(x[i])}. */
    enum Unary {
        NEG, EXP, LOG, LOG1P, SQRT, ABS,
        /** max(x, 0). */
        RELU,
        /** 1 / (1 + exp(-x)), computed without overflow for large |x|. */
        SIGMOID,
        TANH,
        /** x * x. */
        SQUARE,
        /** 1 / x. */
        RECIPROCAL,
        /** -1, 0 or +1 (0 for +-0 and NaN). */
        SIGN
    }

    /** Elementwise functions of two arguments: {@code out[i] = f(a[i], b[i])}. */
    enum Binary {
        ADD, SUB, MUL, DIV, MIN, MAX,
        /** Backward of relu given the input: a if b > 0 else 0. */
        RELU_GRAD,
        /** Backward of sigmoid given the output y = b: a * b * (1 - b). */
        SIGMOID_GRAD,
        /** Backward of tanh given the output y = b: a * (1 - b * b). */
        TANH_GRAD,
        /** Backward of abs given the input: a * sign(b), with sign(0) = 0. */
        ABS_GRAD
    }

    // ---- elementwise ---------------------------------------------------------------------

    /** out[i] = op(x[i]) for i in [0, n). */
    void map(Unary op, float[] x, int xOff, float[] out, int outOff, int n);

    /** out[i] = op(a[i], b[i]). */
    void zip(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n);

    /** out[i] = op(a[i], s): the second operand is broadcast. */
    void zipScalarRight(Binary op, float[] a, int aOff, float s, float[] out, int outOff, int n);

    /** out[i] = op(s, b[i]): the first operand is broadcast. */
    void zipScalarLeft(Binary op, float s, float[] b, int bOff, float[] out, int outOff, int n);

    /** out[i] = x[i] ^ p (Math.pow semantics). */
    void pow(float[] x, int xOff, float p, float[] out, int outOff, int n);

    /** out[i] = min(max(x[i], lo), hi). */
    void clamp(float[] x, int xOff, float lo, float hi, float[] out, int outOff, int n);

    /** Backward of clamp: out[i] = g[i] if lo &lt;= x[i] &lt;= hi else 0. */
    void clampGrad(float[] g, int gOff, float[] x, int xOff, float lo, float hi,
                   float[] out, int outOff, int n);

    /** out[i] = mask[i] != 0 ? a[i] : b[i]. */
    void select(int[] mask, int maskOff, float[] a, int aOff, float[] b, int bOff,
                float[] out, int outOff, int n);

    /**
     * out[i] = a[i] + (labels[i] == label ? v : 0): adds v at the voxels of one class (the
     * fused cross-entropy's one-hot terms, without a one-hot tensor). Exact: one add or none.
     */
    void addWhereEqual(int[] labels, int labelsOff, int label, float v, float[] a, int aOff,
                       float[] out, int outOff, int n);

    /**
     * out[i] = labels[i] == label ? x[i] : a[i]: picks one class's row at the voxels of that class
     * (a gather of the true class's value, class by class, without a one-hot tensor). Exact.
     */
    void selectWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] a, int aOff,
                          float[] out, int outOff, int n);

    /** out[i] = a[i] + s * b[i] (the STREAM triad; also the gradient-accumulation step). */
    void triad(float[] a, int aOff, float s, float[] b, int bOff, float[] out, int outOff, int n);

    /** out[i] = v. */
    void fill(float[] out, int outOff, int n, float v);

    /**
     * Leaky ReLU, out[i] = r + slope * (x[i] - r) with r = (x[i] > 0 ? x[i] : 0), rounded in that
     * order (mul, then add; no FMA): x for x > 0, slope * x otherwise (+0 at -0, NaN for NaN).
     * One pass instead of the four tensors of relu, sub, mul and add, with the same bits.
     */
    void leakyRelu(float[] x, int xOff, float slope, float[] out, int outOff, int n);

    /**
     * Backward of {@link #leakyRelu} given the input x: out[i] = p + slope * (g[i] - p) with
     * p = (x[i] > 0 ? g[i] : 0), rounded in that order: g where x > 0, slope * g elsewhere.
     */
    void leakyReluGrad(float[] g, int gOff, float[] x, int xOff, float slope, float[] out, int outOff, int n);

    // ---- reductions over a contiguous range ----------------------------------------------
    // Callers keep n moderate (the tensor layer feeds blocks of a few thousand elements and
    // adds the block results in double), so float lane accumulators are accurate enough.

    /** Sum of x[0..n); 0 for n = 0. */
    float sum(float[] x, int xOff, int n);

    /** Sum of a[i] * b[i]; 0 for n = 0. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** Σ x[i] over the i where labels[i] == label (the fused cross-entropy's pick of log p at the label). */
    float sumWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, int n);

    /**
     * Σ (1 - p[i])² over the i with labels[i] == label: the squared error at the voxels of a class,
     * in one pass; the same bits as {@code sumWhereEqual} over the row (1 - p) * (1 - p).
     */
    float sumSquaredErrorWhereEqual(int[] labels, int labelsOff, int label, float[] p, int pOff, int n);

    /**
     * g[i] += labels[i] == label ? atLabel * (1 - p[i]) : elsewhere * p[i], in place over g: the
     * gradient of a squared error at a class's voxels and of the squares elsewhere, in one pass; the
     * same bits as computing both rows, selecting and adding.
     */
    void addSquaredErrorGradient(int[] labels, int labelsOff, int label, float atLabel, float elsewhere, float[] p, int pOff,
                                 float[] g, int gOff, int n);

    /** The number of i in [0, n) where labels[i] == label (a class's voxel count, without a one-hot row). Exact. */
    int countEqual(int[] labels, int labelsOff, int label, int n);

    // ---- softmax fused with per-class label sums (the region losses' statistics) -------------
    // Layout of the axis kernels below: element (k, j) at off + k*inner + j, k < n classes, columns
    // j < cols (voxels), labels[labelsOff + j] the voxel's class.

    /** {@link #softmaxLabelSums} statistic, slot 0: I_k = Σ_{y=k} p. */
    int SUM_AT_LABEL = 1;
    /** Slot 1: P_k = Σ p. */
    int SUM_ALL = 1 << 1;
    /** Slot 2: Q_k = Σ p². */
    int SUM_SQUARES = 1 << 2;
    /** Slot 3: E_k = Σ_{y=k} (1 - p)². */
    int SUM_ERROR_AT_LABEL = 1 << 3;
    /** Slot 4: F_k = Σ_{y≠k} p². */
    int SUM_SQUARES_OFF_LABEL = 1 << 4;
    /** Slot 5: G_k = Σ_{y=k} 1, the count (exact as a float below 2^24). */
    int COUNT_AT_LABEL = 1 << 5;
    /** The number of statistic slots of {@link #softmaxLabelSums}. */
    int LABEL_SUM_SLOTS = 6;

    /**
     * {@link #softmax(float[], int, int, int, int, float[], int)} into out, the same bits, and in the
     * same call (from p while it is in the cache), per class k with p = out(k, j) summed over the columns j, the statistics whose
     * bits are set in {@code stats} ({@link #SUM_AT_LABEL}, ..., {@link #COUNT_AT_LABEL}), each into
     * {@code sums[sumsOff + slot * n + k]} (slot = the bit's position; the slots not asked for are
     * set to 0). The region losses' sums of one chunk in one call instead of a softmax, C finiteness
     * passes and 2-3 passes per class. inner == 1 is one column (cols == 1) of n contiguous values, whose softmax
     * is the contiguous-row softmax's. Sums in float (callers keep cols at a few thousand), each
     * in a fixed order for fixed arguments. out may be x.
     *
     * @return Σ (x - x) over every element read: 0, or NaN exactly when some x is NaN or infinite
     *         (the finiteness check of the logits, made while they are loaded anyway)
     */
    default float softmaxLabelSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                                   int[] labels, int labelsOff, int stats, float[] sums, int sumsOff) {
        return softmaxLabelSums(x, xOff, n, inner, cols, out, outOff, labels, labelsOff, stats, sums, sumsOff, null, 0);
    }

    /**
     * {@link #softmaxLabelSums(float[], int, int, int, int, float[], int, int[], int, int, float[], int)}
     * (the same p, sums and return value, bit for bit), and per column the two parts of the
     * softmax's log-sum-exp as {@link #softmaxAndLogSum} writes them, the same bits: m_j into
     * {@code softmaxStats[statsOff + j]}, log s_j into {@code softmaxStats[statsOff + cols + j]}
     * (no stats written when softmaxStats is null). The region sums and the log-softmax of a
     * cross-entropy term (the exp-log loss) from one exponential per element. out may be x.
     */
    float softmaxLabelSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                           int[] labels, int labelsOff, int stats, float[] sums, int sumsOff, float[] softmaxStats, int statsOff);

    /**
     * {@link #softmax(float[], int, int, int, int, float[], int)} into out, the same bits, and in the
     * same call the confusion sums of the columns (the generalised Wasserstein Dice loss's statistics):
     * <pre>
     *   sums[sumsOff + g * n + l] = Σ_{j: labels[j] = g} out(l, j)      (g, l in [0, n))
     *   sums[sumsOff + n * n]     = the number of columns j with labels[j] in [0, n)
     * </pre>
     * a label outside [0, n) counts for no g (the caller decides whether it is allowed). Each sum
     * is {@link #sumWhereEqual} of row l of out against label g, bit for bit (the same lane partial
     * sums in the same order, the same final reduction): n * n such calls, a softmax and C
     * finiteness passes in one. The count is exact as a float below 2^24. inner == 1 is one column
     * (cols == 1) of n contiguous values, whose softmax is the contiguous-row softmax's. out may be x.
     *
     * @return Σ (x - x) over every element read: 0, or NaN exactly when some x is NaN or infinite
     */
    float softmaxConfusionSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                               int[] labels, int labelsOff, float[] sums, int sumsOff);

    /**
     * The backward of softmax statistics that are linear or quadratic in p with label-chosen
     * coefficients, over the softmax p in one pass: per element the gradient with respect to p is
     * <pre>
     *   gp(k, j) = labels[j] == k ? fma(p, coef[3n + k], coef[n + k]) : fma(p, coef[2n + k], coef[k])
     * </pre>
     * (coef at coefOff: off-label constants, at-label constants, off-label slopes, at-label slopes,
     * n each), and out(k, j) = p(k, j) * (gp(k, j) - d_j) with d_j = Σ_k p(k, j) gp(k, j) (each
     * term an FMA, k in order) through the softmax. out may be p (in place). inner == 1 is one
     * column (cols == 1). No gp array is made.
     */
    default void softmaxLabelSumsBackward(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                          float[] coef, int coefOff, float[] out, int outOff) {
        softmaxLabelSumsBackward(p, pOff, n, inner, cols, labels, labelsOff, coef, coefOff, null, 0, out, outOff);
    }

    /**
     * {@link #softmaxLabelSumsBackward(float[], int, int, int, int, int[], int, float[], int, float[], int)}
     * plus {@link #labelSoftmaxGradient}'s term in the same pass, as the autograd would add the two
     * gradients of one input (one float add):
     * <pre>
     *   out(k, j) = p(k, j) (gp(k, j) - d_j)  +  (p(k, j) · a_j - [y_j = k] · a_j)
     * </pre>
     * each part rounded exactly as in its own kernel, a_j = a[aOff + j]: the region sums' and a
     * label cross-entropy term's gradients (the exp-log loss) from one pass over p. out may be p.
     * A null a leaves the label term out: the kernel above, the same bits.
     */
    void softmaxLabelSumsBackward(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                  float[] coef, int coefOff, float[] a, int aOff, float[] out, int outOff);

    // ---- softmax fused with per-class weighted sums (the boundary loss's Σ p φ) ----------------
    // The layout above; the weights w(k, j) at wOff + k*wStride + j: one weight row per class
    // (e.g. the rows of a [B, C, S] map, wStride = S, while the logits are a compact chunk).

    /**
     * {@link #softmax(float[], int, int, int, int, float[], int)} into out, the same bits, and in the
     * same call per class k {@code sums[sumsOff + k] = Σ_j out(k, j) · w(k, j)}, the bits of
     * {@link #dot}{@code (out, outOff + k*inner, w, wOff + k*wStride, cols)} on that out: a chunk's
     * softmax and its weighted class sums without a finiteness pass of their own (the weights need
     * no check here: a NaN or infinite weight makes its class's sum NaN or infinite, as p is finite).
     * inner == 1 is one column (cols == 1). out may be x.
     *
     * @return Σ (x - x) over every element read: 0, or NaN exactly when some x is NaN or infinite
     */
    float softmaxWeightedSums(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff,
                              float[] w, int wOff, int wStride, float[] sums, int sumsOff);

    /**
     * The backward of {@link #softmaxWeightedSums} from g = dL/dS (g[gOff + k], one per class) over
     * the softmax p in one pass: the gradient with respect to p is {@code gp(k, j) = 0 + g_k · w(k, j)}
     * (the product, then added to +0: a −0 product gives +0, the bits of filling gp with 0 and
     * adding {@link #triad}{@code (gp, g_k, w)}), and out is
     * {@link #softmaxBackward(float[], int, float[], int, int, int, int, float[], int)} on that gp,
     * the same bits: {@code out(k, j) = p(k, j) (gp(k, j) - Σ_k' gp(k', j) p(k', j))}. No gp array is
     * made (but one of n for inner == 1, one column, cols == 1, which takes softmaxBackward's row
     * path). out may be p (in place).
     */
    void softmaxWeightedSumsBackward(float[] p, int pOff, int n, int inner, int cols, float[] w, int wOff, int wStride,
                                     float[] g, int gOff, float[] out, int outOff);

    /** Largest element; -Infinity for n = 0; NaN if any element is NaN. */
    float max(float[] x, int xOff, int n);

    /** Smallest element; +Infinity for n = 0; NaN if any element is NaN. */
    float min(float[] x, int xOff, int n);

    // ---- a normalisation's group statistics (instance and batch norm), in double -------------

    /**
     * The summation order of the group sums below ({@value}): element i of a run of n goes to
     * partial sum {@code s[i mod 8]} (each a running double sum in index order) while
     * {@code i < n - n mod 8}, the rest to a running sum {@code tail}; the result is
     * {@code (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))) + tail}. Eight independent add
     * chains instead of one (a double add's 4-cycle latency bounds one chain); the order depends
     * on n only, so a norm's statistics do not depend on the thread count, and both twins produce
     * the same bits.
     */
    int GROUP_PARTIALS = 8;

    /** Σ x[xOff + i] over i in [0, n), in double, in the {@link #GROUP_PARTIALS} order. */
    double groupSum(float[] x, int xOff, int n);

    /**
     * Σ (x[xOff + i] - mean)² over i in [0, n), in double (the difference rounded to double, then
     * squared and rounded, then added; no FMA), in the {@link #GROUP_PARTIALS} order.
     */
    double groupSquaredDeviations(float[] x, int xOff, int n, double mean);

    /**
     * Both sums of a norm's backward in one pass: {@code out[outOff] = Σ a[aOff + i]} and
     * {@code out[outOff + 1] = Σ (double) a[aOff + i] · b[bOff + i]} (the float product is exact
     * in double), each in the {@link #GROUP_PARTIALS} order: the bits of {@link #groupSum} and of
     * two separate passes.
     */
    void groupSumAndDot(float[] a, int aOff, float[] b, int bOff, int n, double[] out, int outOff);

    /**
     * A group's normalisation: {@code h = (float) ((x[i] - mean) · rstd)} in double, then
     * {@code xh[i] = h} and {@code y[i] = gamma · h + beta} in float (mul, then add; no FMA).
     */
    void normalise(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta,
                   float[] xh, int xhOff, float[] y, int yOff);

    /**
     * A group's input gradient: {@code dx[i] = (float) (scale · ((dy[i] - meanDy) - xh[i] · meanDyXh))},
     * every operation in double, in that order (no FMA).
     */
    void normaliseBackward(float[] dy, int dyOff, float[] xh, int xhOff, int n, double scale, double meanDy, double meanDyXh,
                           float[] dx, int dxOff);

    /**
     * {@link #normalise} followed by {@link #leakyRelu} in one pass: xh as there, and
     * {@code y[i] = leakyRelu(gamma · h + beta)} with leakyRelu's rounding: the bits of the two
     * kernels one after the other, without the normalised output written in between.
     */
    void normaliseLeakyRelu(float[] x, int xOff, int n, double mean, double rstd, float gamma, float beta, float slope,
                            float[] xh, int xhOff, float[] y, int yOff);

    /**
     * {@link #groupSumAndDot} of {@code dy = leakyReluGrad(g, t)} and xh, where
     * {@code t = gamma · xh[i] + beta} (float, mul then add: the normalised output that
     * {@link #normaliseLeakyRelu} fed to the leaky ReLU, recomputed bit for bit): the bits of
     * leakyReluGrad into an array, then groupSumAndDot over it.
     */
    void groupSumAndDotLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                 double[] out, int outOff);

    /**
     * {@link #normaliseBackward} of {@code dy = leakyReluGrad(g, gamma · xh + beta)} (as in
     * {@link #groupSumAndDotLeakyRelu}): the bits of the two kernels one after the other.
     */
    void normaliseBackwardLeakyRelu(float[] g, int gOff, float[] xh, int xhOff, int n, float gamma, float beta, float slope,
                                    double scale, double meanDy, double meanDyXh, float[] dx, int dxOff);

    // ---- max pooling ---------------------------------------------------------------------------

    /**
     * One output row of a 2×2×2 max pooling with stride 2. For j in [0, ow) the candidates are
     * {@code x[r + 2j + kx]} for the input rows r = r00, r01, r10, r11 (offsets (kz, ky) = (0, 0),
     * (0, 1), (1, 0), (1, 1)) and kx in {0, 1}, taken in (kz, ky, kx) lexicographic order: a
     * later candidate replaces the current maximum when it is greater, or when it is NaN and the
     * current one is not, so the first maximum wins ties (PyTorch's rule) and NaN propagates.
     * Writes the maximum to {@code y[yOff + j]} and its flat index {@code r - xBase + 2j + kx}
     * (xBase: the array offset of the tensor's element 0) to {@code arg[argOff + j]}.
     */
    void maxPoolRow(float[] x, int r00, int r01, int r10, int r11, int xBase, int ow, float[] y, int yOff, int[] arg, int argOff);

    // ---- along an axis ---------------------------------------------------------------------
    // One outer slice of a tensor viewed as [n, inner]: element (k, j) is at off + k*inner + j.
    // The axis has length n >= 1 and stride inner >= 1; the kernels handle the columns j in
    // [0, cols), cols <= inner (a caller splits long rows of columns over threads by moving off
    // and shrinking cols). inner == 1 means the axis is one contiguous row (then cols == 1).
    // For the channel axis of [B, C, D, H, W], n = C and inner = D*H*W: vectorised along j.

    /** out(k, j) = exp(x(k, j) - m_j) / sum_k' exp(x(k', j) - m_j), with m_j = max_k x(k, j). */
    void softmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff);

    /**
     * out(k, j) = (x(k, j) - m_j) - log(sum_k' exp(x(k', j) - m_j)), in that order: the max first,
     * then log s (m_j + log s would round log s away at |m_j| >= 1e6).
     */
    void logSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff);

    /**
     * {@link #softmax} into out, and per column the two parts of its log-sum-exp: the shift
     * m_j = max_k x(k, j) into {@code stats[statsOff + j]} and log s_j = log Σ_k exp(x(k, j) - m_j)
     * into {@code stats[statsOff + cols + j]}. out is the softmax bit for bit, and (x(k, j) - m_j) -
     * log s_j is {@link #logSoftmax} bit for bit: the softmax and the log-softmax of a cross-entropy
     * from one exponential per element.
     */
    void softmaxAndLogSum(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff, float[] stats, int statsOff);

    /**
     * The cross-entropy's pick of one class's log-probabilities from {@link #softmaxAndLogSum}'s
     * stats, without writing them out: Σ ((x[i] - m[i]) - logS[i]) over the i in [0, n) where
     * labels[i] == label, with m[i] = stats[mOff + i] and logS[i] = stats[logSOff + i]; the same
     * bits as {@link #sumWhereEqual} over the row (x - m) - logS. Returns NaN when some x[i] of the
     * row (labelled or not) is NaN or ±∞, so that the pass that reads the logits also checks them;
     * a finite row gives the sum (possibly -∞ when x - m overflows, never NaN).
     */
    float sumLogSoftmaxWhereEqual(int[] labels, int labelsOff, int label, float[] x, int xOff, float[] stats, int mOff,
                                  int logSOff, int n);

    /**
     * {@link #sumLogSoftmaxWhereEqual} for every class of a chunk in one call: out[outOff + k] is
     * that kernel's result for row k (x at xOff + k * inner, cols columns) and label k, or label
     * {@code Integer.MIN_VALUE} for k == ignoreIndex (an ignored class picks nothing; its row is
     * still checked), k in [0, n): the bits of those n calls, which this default makes. The
     * weighted cross-entropy's per-class picks: an implementation may read the labels and stats
     * once for all classes.
     */
    default void sumLogSoftmaxPerClass(int[] labels, int labelsOff, int ignoreIndex, float[] x, int xOff, int n, int inner,
                                       float[] stats, int mOff, int logSOff, int cols, float[] out, int outOff) {
        for (int k = 0; k < n; k++) {
            out[outOff + k] = sumLogSoftmaxWhereEqual(labels, labelsOff, k == ignoreIndex ? Integer.MIN_VALUE : k, x, xOff + k * inner,
                    stats, mOff, logSOff, cols);
        }
    }

    /**
     * The unsmoothed cross-entropy's gradient from the softmax p, all n classes of cols columns
     * in one pass (the layout of {@link #softmax}: p(k, j) at {@code pOff + k * inner + j}):
     * <pre>
     *   out(k, j) = p(k, j) · a_j - [y_j = k] · a_j,   a_j = scaledWeight[y_j] if 0 ≤ y_j &lt; n, else 0
     * </pre>
     * with y_j = labels[labelsOff + j], rounded as written (a product, then a subtraction at the
     * label; no FMA): {@code scale · w_k · (p_k − onehot_k)} at the counted voxels, 0 where the label
     * is no class. out may be p (in place).
     */
    void crossEntropyGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                              float[] scaledWeight, float[] out, int outOff);

    /**
     * One chunk of the unsmoothed label-map cross-entropy with its gradient, in one call: the same
     * bits as {@link #crossEntropyChunkComposed} (this kernel set's {@link #softmaxAndLogSum}, then
     * {@link #sumLogSoftmaxWhereEqual} of every class k with label k into {@code picked[k]}, then
     * {@link #crossEntropyGradient} from the softmax in place), without the softmax written out and
     * read back, and with the labels read by one pass instead of one per class:
     * <pre>
     *   picked[k] = Σ_{j: y_j = k} (x(k, j) − m_j) − log s_j     (every pick NaN when a logit is NaN or ±∞)
     *   out(k, j) = p(k, j) · a_j − [y_j = k] · a_j,   a_j = scaledWeight[y_j] if 0 ≤ y_j &lt; n, else 0
     * </pre>
     * x(k, j) at {@code xOff + k * inner + j}, the gradient likewise at outOff (out must not overlap
     * x); {@code stats} receives m_j and log s_j at {@code statsOff + j} and {@code statsOff + cols + j}
     * as softmaxAndLogSum writes them, and its next {@code cols} floats are scratch (3 · cols in
     * all). When a logit of the chunk is NaN or ±∞ every pick is NaN (a caller recomputes the picks
     * it needs from the written-out rows, whose sums sumLogSoftmaxWhereEqual matches bit for bit). Returns whether every label is a class in [0, n) or ignoreIndex; when not, the outputs
     * are unspecified (the caller names the offending label).
     */
    boolean crossEntropyChunk(float[] x, int xOff, int n, int inner, int cols, int[] labels, int labelsOff, int ignoreIndex,
                              float[] scaledWeight, float[] out, int outOff, float[] stats, int statsOff, float[] picked);

    /**
     * {@link #crossEntropyChunk} as the three kernel calls it stands for, with the labels checked
     * one by one: the scalar twin, and the reference both twins are tested against.
     */
    static boolean crossEntropyChunkComposed(Kernels k, float[] x, int xOff, int n, int inner, int cols, int[] labels, int labelsOff,
                                             int ignoreIndex, float[] scaledWeight, float[] out, int outOff, float[] stats,
                                             int statsOff, float[] picked) {
        k.softmaxAndLogSum(x, xOff, n, inner, cols, out, outOff, stats, statsOff);
        for (int c = 0; c < n; c++) {
            picked[c] = k.sumLogSoftmaxWhereEqual(labels, labelsOff, c, x, xOff + c * inner, stats, statsOff, statsOff + cols, cols);
        }
        boolean finite = true;
        for (int c = 0; c < n; c++) finite &= !Float.isNaN(picked[c]);
        if (!finite) java.util.Arrays.fill(picked, 0, n, Float.NaN);
        k.crossEntropyGradient(out, outOff, n, inner, cols, labels, labelsOff, scaledWeight, out, outOff);
        boolean valid = true;
        for (int j = 0; j < cols; j++) {
            int y = labels[labelsOff + j];
            valid &= y == ignoreIndex || (y >= 0 && y < n);
        }
        return valid;
    }

    /**
     * The label's log-probability and coefficient of each of cols columns, picked from the logits
     * and {@link #softmaxAndLogSum}'s stats without writing the log-softmax out (the per-voxel
     * inputs of the focal term): with y_j = labels[labelsOff + j],
     * <pre>
     *   lp_j = (x(y_j, j) - m_j) - logS_j,   w_j = coef[y_j]     where 0 ≤ y_j &lt; n and coef[y_j] ≠ 0
     *   lp_j = 0,                             w_j = 0             elsewhere (an ignored voxel, no class)
     * </pre>
     * lp_j has the bits of the log-softmax's row y_j. x(k, j) at {@code xOff + k * inner + j}, m_j
     * at {@code stats[mOff + j]}, logS_j at {@code stats[logSOff + j]}; coef has n entries (0 for a
     * class that does not enter). Returns NaN when some x(k, j) of the cols columns (labelled or
     * not) is NaN or ±∞, else 0: the pass that reads the logits also checks them.
     */
    float pickLogSoftmax(float[] x, int xOff, int n, int inner, int cols, float[] stats, int mOff, int logSOff,
                         int[] labels, int labelsOff, float[] coef, float[] lp, int lpOff, float[] w, int wOff);

    /**
     * The exp-log loss's cross-entropy term (Wong et al. 2018, Eq. 4) of n voxels from their
     * label log-probabilities lp and coefficients w ({@link #pickLogSoftmax}'s outputs): with
     * ℓ_j = -lp_j and h_j = max(ℓ_j, minLog),
     * <pre>
     *   f_j     = h_j^γ                                    (h_j at γ = 1; {@link #pow}'s bits otherwise)
     *   returns   Σ_j f_j · w_j                            ({@link #dot}(f, w): its order and rounding)
     *   slope_j = γ · (w_j · (f_j / h_j))   where ℓ_j ≥ minLog, else 0     (w_j where ℓ_j ≥ minLog at γ = 1)
     * </pre>
     * f is left in {@code f[fOff ..]}; slope (null: not written) is the term's derivative in ℓ
     * times w, 0 below the clamp (its gradient mask) and at a NaN ℓ. Every value has the bits of
     * the same kernels called one after another (map NEG, clamp, pow, dot, zip DIV, MUL, scalar
     * MUL, clampGrad); only the passes over the rows are fewer.
     */
    float expLogTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float minLog, float[] f, int fOff,
                     float[] slope, int slopeOff, int n);

    /**
     * The focal term (Lin et al. 2017, Eq. 5) of n voxels from their label log-probabilities lp and
     * coefficients w ({@link #pickLogSoftmax}'s outputs): with e_j = exp(lp_j), q_j = 1 − e_j and
     * c_j = min(max(q_j, floor), 1),
     * <pre>
     *   f_j     = c_j^γ                                                   ({@link #pow}'s bits)
     *   returns   Σ_j (lp_j · f_j) · w_j              ({@link #dot} of the products; γ = 0: of lp itself)
     *   a_j     = ((((lp_j · d_j) · e_j) − f_j) · w_j) · (−scale),   d_j = (c_j^(γ−1) · γ where floor ≤ q_j ≤ 1, else 0)
     *             (γ = 0: (−1 · w_j) · (−scale))
     * </pre>
     * a (null: not written) is the coefficient {@link #labelSoftmaxGradient} turns into the
     * gradient of −scale · Σ_j lp_j f_j w_j (the focal sum at scale s). e, q and f are scratch rows
     * of at least n floats that hold e, q and f on return (untouched at γ = 0); lp holds lp · f on
     * return (untouched at γ = 0). Every value has the bits of the same kernels called one after
     * another (map EXP, scalar SUB from 1, clamp, pow; clamp, pow, scalar MUL, clampGrad, zip MUL,
     * MUL, SUB, MUL, scalar MUL; zip MUL, dot); only the passes over the rows are fewer.
     */
    float focalTerm(float[] lp, int lpOff, float[] w, int wOff, float gamma, float floor, float scale,
                    float[] e, float[] q, float[] f, float[] a, int aOff, int n);

    /**
     * {@link #crossEntropyGradient} with a coefficient per column instead of one per class:
     * <pre>
     *   out(k, j) = p(k, j) · a_j - [y_j = k] · a_j,   a_j = a[aOff + j]
     * </pre>
     * with y_j = labels[labelsOff + j] (a label outside [0, n) matches no k), rounded as written (a
     * product, then a subtraction at the label; no FMA): the softmax backward of a gradient
     * {@code -a_j} at the label's log-probability, e.g. the focal term's. out may be p (in place).
     */
    void labelSoftmaxGradient(float[] p, int pOff, int n, int inner, int cols, int[] labels, int labelsOff,
                              float[] a, int aOff, float[] out, int outOff);

    /** out[j] = m_j + log(sum_k exp(x(k, j) - m_j)); -Infinity when every x(k, j) is -Infinity. */
    void logSumExp(float[] x, int xOff, int n, int inner, int cols, float[] out, int outOff);

    /** Backward of softmax from its output y: out(k, j) = y(k, j) * (g(k, j) - sum_k' g(k', j) y(k', j)). */
    void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                         float[] out, int outOff);

    /**
     * {@link #softmaxBackward(float[], int, float[], int, int, int, int, float[], int)} with g in
     * its own layout: g(k, j) at {@code gOff + k * gStride + j} (e.g. a compact chunk [n, cols]),
     * y and out with row stride inner (e.g. rows of a [B, C, S] tensor); out may be y. The same
     * arithmetic, so the same bits as the common-stride kernel on the same values.
     */
    void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int gStride, int n, int inner, int cols,
                         float[] out, int outOff);

    /**
     * {@link #softmaxBackward} with g looked up from a table by label: g(k, j) = table[r_j · n + k],
     * r_j = labels[labelsOff + j] when it lies in [0, n), else n (the table's last row, e.g. zeros
     * for ignored voxels); table has (n + 1) · n entries. The same arithmetic as softmaxBackward on
     * that g (the same bits), without writing g out: e.g. the confusion sums' gradient, where
     * dL/dp_l at a voxel labelled c is G[c, l]. out may be y.
     */
    void softmaxBackwardByLabel(float[] y, int yOff, int n, int inner, int cols, int[] labels, int labelsOff, float[] table,
                                float[] out, int outOff);

    /** Backward of logSoftmax from its output y: out(k, j) = g(k, j) - exp(y(k, j)) * sum_k' g(k', j). */
    void logSoftmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, int cols,
                            float[] out, int outOff);

    /** {@link #softmax(float[], int, int, int, int, float[], int)} over all columns. */
    default void softmax(float[] x, int xOff, int n, int inner, float[] out, int outOff) {
        softmax(x, xOff, n, inner, inner, out, outOff);
    }

    /** {@link #logSoftmax(float[], int, int, int, int, float[], int)} over all columns. */
    default void logSoftmax(float[] x, int xOff, int n, int inner, float[] out, int outOff) {
        logSoftmax(x, xOff, n, inner, inner, out, outOff);
    }

    /** {@link #logSumExp(float[], int, int, int, int, float[], int)} over all columns. */
    default void logSumExp(float[] x, int xOff, int n, int inner, float[] out, int outOff) {
        logSumExp(x, xOff, n, inner, inner, out, outOff);
    }

    /** {@link #softmaxBackward(float[], int, float[], int, int, int, int, float[], int)} over all columns. */
    default void softmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, float[] out, int outOff) {
        softmaxBackward(y, yOff, g, gOff, n, inner, inner, out, outOff);
    }

    /** {@link #logSoftmaxBackward(float[], int, float[], int, int, int, int, float[], int)} over all columns. */
    default void logSoftmaxBackward(float[] y, int yOff, float[] g, int gOff, int n, int inner, float[] out, int outOff) {
        logSoftmaxBackward(y, yOff, g, gOff, n, inner, inner, out, outOff);
    }

    // ---- matrix product --------------------------------------------------------------------

    /**
     * Single-precision GEMM on row-major matrices: C = op(A) * op(B) + beta * C, where op(A) is
     * [m, k] and op(B) is [k, n]; op(X) = X, or X transposed when the flag is set (then X is
     * stored [k, m] or [n, k]). Leading dimensions are the row strides of the stored matrices.
     * beta is 0 (C is overwritten, never read, so NaN in C does not leak) or 1 (accumulate).
     * Single-threaded: {@link Gemm} splits C into independent blocks over the cores.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k,
              float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
              float beta, float[] c, int cOff, int ldc);

    // ---- shifted-row products (convolutions without im2col) ----------------------------------

    /**
     * C = A B with B's rows read in place from {@code src}: for i &lt; m, j &lt; n,
     * {@code C[i, j] = sum_{p<k} a[aOff + i*lda + p] * src[srcOff + offs[p] + j]}, overwriting C
     * (never read). Row p of B is the contiguous run of n floats at {@code srcOff + offs[p]}
     * (offs may be negative): a 3-D convolution over a zero-padded volume is this product with
     * one offset per (channel, kernel tap), an implicit im2col. Reads src only at those
     * positions. Each C element is one sum over p = 0..k-1 in order (FMA in the vector kernel),
     * independent of m, n and the offsets of the other rows, so splitting C is bit-neutral.
     * Single-threaded.
     */
    void gemmShiftedB(int m, int n, int k, float[] a, int aOff, int lda,
                      float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc);

    /**
     * A of {@link #gemmShiftedB} ([m, k] at aOff, row stride lda) in this implementation's own
     * packed layout, for {@link #gemmShiftedBPacked} of the same implementation: a caller that
     * multiplies one A by many column tiles (Conv3d: the weights by every tile of voxels) packs
     * it once instead of once per tile. A new array; a is not kept.
     */
    float[] packShiftedA(int m, int k, float[] a, int aOff, int lda);

    /**
     * {@link #gemmShiftedB} with A packed by {@link #packShiftedA}{@code (m, k, ...)} of this
     * implementation: the same C, bit for bit.
     */
    void gemmShiftedBPacked(int m, int n, int k, float[] packedA,
                            float[] src, int srcOff, int[] offs, float[] c, int cOff, int ldc);

    /**
     * {@link #gemmShiftedBPacked} over columns that come in rows of {@code len}: for i &lt; m,
     * r &lt; rows, j &lt; len,
     * {@code C[i, r*len + j] = sum_{p<k} A[i, p] * src[srcOff + rowStarts[rowsOff + r] + offs[p] + j]},
     * overwriting C. Each element is the sum of {@link #gemmShiftedBPacked} over the same row alone,
     * bit for bit. Conv3d takes the interior rows of a padded volume this way, so that the zero
     * ring between them is neither computed nor dropped afterwards. Single-threaded.
     */
    void gemmShiftedBRowsPacked(int m, int k, float[] packedA, float[] src, int srcOff,
                                int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                float[] c, int cOff, int ldc);

    /**
     * C = beta C + A B^T with B's rows read in place from {@code src}: for i &lt; m, j &lt; k,
     * {@code C[i, j] = beta C[i, j] + sum_{q<n} a[aOff + i*lda + q] * src[srcOff + offs[j] + q]}
     * (beta 0: C never read; or 1). The weight gradient of the convolution of
     * {@link #gemmShiftedB}: a long reduction over n voxels, summed per lane in the vector
     * kernel (a fixed order for fixed arguments). Single-threaded.
     */
    void gemmShiftedBt(int m, int k, int n, float[] a, int aOff, int lda,
                       float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc);

    /**
     * The C of {@link #gemmShiftedBt}, each element one FMA chain in q order: for i &lt; m, j &lt; k,
     * {@code s = beta == 0 ? 0 : C[i, j]}, then for q = 0 .. n-1
     * {@code s = fma(src[srcOff + offs[j] + q], a[aOff + i*lda + q], s)}, and {@code C[i, j] = s}.
     * The scalar and the vector kernels give the same bits (the vector kernel holds the rows i in
     * its lanes: one broadcast of src per FMA, no lane sums and no shifted vector loads).
     * Single-threaded.
     */
    void gemmShiftedBtChain(int m, int k, int n, float[] a, int aOff, int lda,
                            float[] src, int srcOff, int[] offs, float beta, float[] c, int cOff, int ldc);

    /**
     * {@link #gemmShiftedBtChain} over columns that come in rows of {@code len}: each chain runs over
     * q = rowStarts[rowsOff + r] + t for r &lt; rows, t &lt; len, in that order,
     * {@code s = fma(src[srcOff + offs[j] + q], a[aOff + i*lda + q], s)}: the bits of
     * gemmShiftedBtChain called row after row (beta 1 after the first). Conv3d's weight gradient
     * takes the interior rows of the padded volumes this way (the ring's dy is zero: its columns
     * add nothing but work). Single-threaded.
     */
    void gemmShiftedBtChainRows(int m, int k, float[] a, int aOff, int lda, float[] src, int srcOff,
                                int[] rowStarts, int rowsOff, int rows, int len, int[] offs,
                                float beta, float[] c, int cOff, int ldc);
}
