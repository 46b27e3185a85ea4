package org.segloss.tensor;

import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Parallel;

/**
 * Fused softmax cross-entropy against a label map: logits {@code x [B, C, *spatial]}, labels
 * {@code y [B, *spatial]}, optional class weights w (C entries) and label smoothing ε. Per voxel n
 * that is not ignored, with {@code log p = logSoftmax_c(x)} (log-sum-exp form):
 * <pre>
 *   ℓ_n = (1 - ε) · w[y_n] · (-log p_{y_n})  +  (ε / C) · Σ_c w_c · (-log p_c)
 * </pre>
 * and ℓ_n = 0 at ignored voxels. {@link #sum} gives {@code Σ_n ℓ_n}; {@link #sumBackward} its
 * gradient with respect to x times a scale s:
 * <pre>
 *   gx_k = s · (p_k · A_n - t_{n,k}),   t_{n,k} = (1 - ε) w[y_n] [k = y_n] + (ε / C) w_k,   A_n = Σ_k t_{n,k}
 * </pre>
 * (0 at ignored voxels), p recomputed from x ({@link #sumBackward}) or kept by the forward pass
 * ({@link #sumBackwardFromSoftmax}). Neither the log-probabilities, nor a one-hot
 * target, nor a per-voxel loss map is stored: one pass over the logits each way, instead of the
 * composed log-softmax, gather, negation, product and reduction (and their backward).
 *
 * <p>Work is cut into tasks (sample b, a chunk of {@value #CHUNK} voxels); the partition depends on
 * the shape only. Without smoothing (the common case) a task is one pass each way:
 * {@code Kernels.softmaxAndLogSum} writes p (kept for the backward, or into a scratch) and each
 * voxel's shift m and log s; {@code Kernels.sumLogSoftmaxWhereEqual} then picks, class by class,
 * Σ_{y = c} ((x - m) - log s) straight from the logits (and checks them for NaN and ±∞ on the way),
 * so the log-probabilities are never written out; the backward is {@code Kernels.crossEntropyGradient},
 * all classes of a voxel block at once over the kept p, in place. With smoothing the log-softmax
 * is written into a compact scratch {@code [C, len]} and the label terms use the
 * {@code sumWhereEqual} / {@code addWhereEqual} kernels class by class. Either way no one-hot
 * tensor is made and no per-voxel scalar gather runs; the labels are checked (and, on request,
 * counted per class) by {@code countEqual}. Per-task partial sums are in double and are added
 * chunk by chunk in increasing order on the calling thread: the result does not depend on the
 * thread count.
 */
public final class SoftmaxCrossEntropy {
    /** Voxels per task ({@link ChannelChunks#CHUNK}): the scratch of one task is C * CHUNK floats. */
    static final int CHUNK = ChannelChunks.CHUNK;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private SoftmaxCrossEntropy() {}

    /** Zeros to multiply by (read only), for the finiteness check. */
    private static final float[] ZEROS = new float[CHUNK];

    /** Scratch of the current thread: [0] and [3] at least n floats, [1] and [2] at least len floats. */
    private static float[][] scratch(int n, int len) {
        float[][] s = SCRATCH.get();
        if (s[0].length < n) s[0] = new float[n];
        if (s[1].length < len) s[1] = new float[len];
        if (s[2].length < len) s[2] = new float[len];
        if (s[3].length < n) s[3] = new float[n];
        return s;
    }

    /** Checks the operands; returns {B, C, S}. */
    private static int[] check(String op, Tensor x, LabelTensor labels, float[] weight, float smoothing) {
        int[] d = ChannelChunks.dims(op, x);
        ChannelChunks.checkLabels(op, x, d, labels);
        int b = d[0], c = d[1], sp = d[2];
        if (weight != null && weight.length != c) {
            throw new IllegalArgumentException(op + ": weight must have C = " + c + " entries, got " + weight.length);
        }
        if (!(smoothing >= 0f && smoothing < 1f)) {
            throw new IllegalArgumentException(op + ": smoothing must be in [0, 1), got " + smoothing);
        }
        return new int[] {b, c, sp};
    }

    /** Copies the C rows of task (bi, j0, len) into buf [C, len]. */
    private static void rows(Tensor x, int bi, int c, int sp, int j0, int len, float[] buf) {
        ChannelChunks.copyRows(x, bi, c, sp, j0, len, buf);
    }

    /**
     * Checks labels[lo, lo + len): each in [0, C) or the ignore value; returns how many are ignored,
     * and when {@code counts} is given stores there, from {@code countsOff}, how many voxels each
     * class has (0 for an ignore index inside [0, C): those voxels count for no class). Counted by
     * the vector compare kernels (every label matches at most one of the C classes and the ignore
     * value, so they add up to len exactly when all are valid); the scalar loop only runs to name
     * the offending label.
     */
    private static int checkLabels(Kernels k, LabelTensor labels, int lo, int len, int c, int ignoreIndex, String op,
                                   int[] counts, int countsOff) {
        int lab = labels.offset + lo;
        int ignored = k.countEqual(labels.data, lab, ignoreIndex, len), matched = ignored;
        for (int ch = 0; ch < c; ch++) {
            int n = ch != ignoreIndex ? k.countEqual(labels.data, lab, ch, len) : 0;
            if (counts != null) counts[countsOff + ch] = n;
            matched += n;
        }
        return matched == len ? ignored : findBadLabel(labels, lo, len, c, ignoreIndex, op);
    }

    /** The scalar check behind {@link #checkLabels}: throws at the first label outside [0, C) that is not ignored. */
    private static int findBadLabel(LabelTensor labels, int lo, int len, int c, int ignoreIndex, String op) {
        int ignored = 0;
        for (int j = 0; j < len; j++) {
            int v = labels.data[labels.offset + lo + j];
            if (v == ignoreIndex) {
                ignored++;
            } else if (v < 0 || v >= c) {
                throw new IllegalArgumentException(op + ": labels must be in [0, " + c + ") or the ignore value " + ignoreIndex
                        + ", got " + v + " at flat index " + (lo + j));
            }
        }
        return ignored;
    }

    /** valid[0, len) = 1 where the label (from labels.data[lab]) is a class, 0 where it is ignored. */
    private static void validMask(Kernels k, LabelTensor labels, int lab, int c, int ignoreIndex, int len, float[] valid) {
        k.fill(valid, 0, len, 0f);
        for (int ch = 0; ch < c; ch++) {
            if (ch != ignoreIndex) k.addWhereEqual(labels.data, lab, ch, 1f, valid, 0, valid, 0, len);
        }
    }

    /**
     * {@code Σ_n ℓ_n} over every voxel (see the class comment), in double.
     *
     * @param weight      class weights (C entries), or null for all 1
     * @param ignoreIndex the label of ignored voxels ({@code Integer.MIN_VALUE}: none)
     * @param smoothing   ε in [0, 1)
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing) {
        return sum(x, labels, ignoreIndex, weight, smoothing, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float)}, rejecting logits that hold NaN or an
     * infinity when {@code finiteCheck} names the caller: {@code IllegalArgumentException("<finiteCheck>:
     * input contains NaN or infinity (shape [..])")}, each chunk checked while it is in the cache
     * instead of a memory pass of its own.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing, String finiteCheck) {
        return sum(x, labels, ignoreIndex, weight, smoothing, finiteCheck, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, String)}, keeping the softmax: when
     * {@code keep} (x's shape, not sharing x's array) is given, p = softmax_c(x) is written there,
     * every element, from the same exponentials as the log-probabilities of the sum
     * ({@code Kernels.softmaxAndLogSum}), so that {@link #sumBackwardFromSoftmax} turns it into the
     * gradient in place without a softmax of its own: one exponential per logit and step instead
     * of two. The sum, and the gradient, are the same bits either way.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing, String finiteCheck,
                             Tensor keep) {
        return sum(x, labels, ignoreIndex, weight, smoothing, finiteCheck, keep, null);
    }

    /**
     * {@link #sum(Tensor, LabelTensor, int, float[], float, String, Tensor)}, also counting the
     * classes: when {@code classCounts} ({@code B · C} entries) is given, {@code classCounts[b · C + c]}
     * is set to the number of voxels of sample b labelled c (an ignore index inside [0, C) counts
     * for no class): the counts {@link LabelTensor#classCounts} gives, from the compares that check
     * the labels in this pass, so a mean over the counted voxels needs no pass of its own.
     */
    public static double sum(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing, String finiteCheck,
                             Tensor keep, long[] classCounts) {
        return pass("SoftmaxCrossEntropy.sum", x, labels, ignoreIndex, weight, smoothing, finiteCheck, keep, classCounts, null, null,
                Float.NaN);
    }

    /**
     * The unsmoothed pass of {@link #sum(Tensor, LabelTensor, int, float[], float, String, Tensor, long[])}
     * class by class, for weights that are chosen from its own results (e.g. from the predicted
     * volumes, {@code WeightedCrossEntropyLoss}): {@code picked[c] = Σ_{n: y_n = c} log p_c(n)}
     * (≤ 0; the sum with weights w is {@code -Σ_c w_c picked[c]}) and, when {@code predicted} is
     * given, {@code predicted[c] = Σ_{n counted} p_c(n)}, each over the whole batch (C entries, in
     * double, task by task in fixed order). keep, finiteCheck and classCounts as in that method.
     */
    public static void pickedSums(Tensor x, LabelTensor labels, int ignoreIndex, String finiteCheck, Tensor keep, double[] picked,
                                  double[] predicted, long[] classCounts) {
        int c = ChannelChunks.dims("SoftmaxCrossEntropy.pickedSums", x)[1];
        if (picked == null || picked.length != c) {
            throw new IllegalArgumentException("SoftmaxCrossEntropy.pickedSums: picked must have C = " + c + " entries, got "
                    + (picked == null ? "null" : picked.length));
        }
        if (predicted != null && predicted.length != c) {
            throw new IllegalArgumentException("SoftmaxCrossEntropy.pickedSums: predicted must have C = " + c + " entries, got "
                    + predicted.length);
        }
        pass("SoftmaxCrossEntropy.pickedSums", x, labels, ignoreIndex, null, 0f, finiteCheck, keep, classCounts, picked, predicted,
                Float.NaN);
    }

    /**
     * The unsmoothed {@link #sum(Tensor, LabelTensor, int, float[], float, String, Tensor, long[])}
     * with its gradient written in the same pass: {@code gradient} (x's shape, not sharing x's
     * array) receives, every element, the gradient of {@code gradientScale · Σ_n ℓ_n} with respect
     * to x, the bits of {@link #sumBackward} at that scale, while each chunk's softmax is in the
     * cache; no backward pass is left to make. For a caller that knows the scale before the pass,
     * e.g. a mean whose divisor comes from the labels alone ({@code CrossEntropyLoss}); see
     * {@code Tensor.muli} for another scale afterwards.
     */
    public static double sumWithGradient(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, String finiteCheck,
                                         Tensor gradient, float gradientScale, long[] classCounts) {
        if (gradient == null) throw new IllegalArgumentException("SoftmaxCrossEntropy.sumWithGradient: gradient must not be null");
        if (!Float.isFinite(gradientScale)) {
            throw new IllegalArgumentException("SoftmaxCrossEntropy.sumWithGradient: gradientScale must be finite, got " + gradientScale);
        }
        return pass("SoftmaxCrossEntropy.sumWithGradient", x, labels, ignoreIndex, weight, 0f, finiteCheck, gradient, classCounts,
                null, null, gradientScale);
    }

    /**
     * The pass behind sum, pickedSums and sumWithGradient; picked and predicted (C entries each, or
     * null) only without smoothing; a finite gradScale (only without smoothing) turns keep's p into
     * the gradient at that scale, chunk by chunk.
     */
    private static double pass(String op, Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing,
                               String finiteCheck, Tensor keep, long[] classCounts, double[] picked, double[] predicted,
                               float gradScale) {
        int[] d = check(op, x, labels, weight, smoothing);
        if (keep != null) ChannelChunks.gradientOutput(op, x, keep);   // checks keep's shape and storage
        int b = d[0], c = d[1], sp = d[2];
        if (classCounts != null && classCounts.length != b * c) {
            throw new IllegalArgumentException(op + ": classCounts must have B * C = " + b * c
                    + " entries, got " + classCounts.length);
        }
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        double[] part = new double[tasks];
        int[] counts = classCounts != null ? new int[tasks * c] : null;   // [task, class]
        double[] pickedPart = picked != null ? new double[tasks * c] : null, predictedPart = predicted != null ? new double[tasks * c] : null;
        boolean[] nonFinite = finiteCheck != null ? new boolean[tasks] : null;
        Kernels k = Backend.kernels();
        float[] gradWeights = Float.isNaN(gradScale) ? null : scaledWeights(weight, ignoreIndex, gradScale, c);
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK, Math.max(3 * CHUNK, c));
            float[] buf = sc[0], stats = sc[1], spare = sc[2], p = sc[3];   // stats: [m, log s] rows of len (and a third for crossEntropyChunk)
            float[] pickedRow = new float[c];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0), lo = bi * sp + j0;
                boolean bad;
                if (smoothing == 0f && gradWeights != null && counts == null && pickedPart == null && predictedPart == null && len > 1) {
                    // the loss with its gradient in one kernel call: the bits of the branch below
                    bad = gradientChunk(k, x, labels, ignoreIndex, weight, keep, gradWeights, bi, c, sp, j0, len, stats, spare,
                            pickedRow, part, t, op);
                } else if (smoothing == 0f) {
                    int ignored = checkLabels(k, labels, lo, len, c, ignoreIndex, op, counts, t * c);
                    bad = pickedChunk(k, x, labels, ignoreIndex, weight, keep, bi, c, sp, j0, len, buf, p, stats, spare, pickedRow,
                            part, t, pickedPart, predictedPart, ignored);
                    if (gradWeights != null) {
                        // the chunk's p (just written, in the cache) into its gradient: sumBackwardFromSoftmax's kernel
                        int at = keep.offset + (bi * c) * sp + j0;
                        k.crossEntropyGradient(keep.data, at, c, sp, len, labels.data, labels.offset + lo, gradWeights, keep.data, at);
                    }
                } else {
                    bad = smoothedChunk(k, x, labels, ignoreIndex, weight, smoothing, keep, bi, c, sp, j0, len, buf, stats, spare,
                            nonFinite != null, counts, part, t);
                }
                if (nonFinite != null) nonFinite[t] = bad;
            }
        });
        if (nonFinite != null) {
            for (boolean bad : nonFinite) {
                if (bad) throw new IllegalArgumentException(finiteCheck + ": input contains NaN or infinity (shape " + x.shape + ")");
            }
        }
        if (classCounts != null) {
            java.util.Arrays.fill(classCounts, 0L);
            for (int t = 0; t < tasks; t++) {
                for (int ch = 0; ch < c; ch++) classCounts[(t / nch) * c + ch] += counts[t * c + ch];
            }
        }
        for (int ch = 0; ch < c; ch++) {
            // fixed order: task by task
            if (picked != null) picked[ch] = 0;
            if (predicted != null) predicted[ch] = 0;
            for (int t = 0; t < tasks; t++) {
                if (picked != null) picked[ch] += pickedPart[t * c + ch];
                if (predicted != null) predicted[ch] += predictedPart[t * c + ch];
            }
        }
        double acc = 0;
        for (double v : part) acc += v;   // fixed order: task by task
        return acc;
    }

    /**
     * Task (bi, j0, len) without smoothing, with the gradient at scale gradWeights written into keep:
     * {@code Kernels.crossEntropyChunk}, the bits of checkLabels, pickedChunk and crossEntropyGradient
     * in turn (a bad label throws the same message). Returns whether a logit of the task is NaN or ±∞.
     */
    private static boolean gradientChunk(Kernels k, Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, Tensor keep,
                                         float[] gradWeights, int bi, int c, int sp, int j0, int len, float[] stats, float[] row,
                                         float[] pickedRow, double[] part, int t, String op) {
        int at = (bi * c) * sp + j0, lab = labels.offset + bi * sp + j0;
        boolean valid = k.crossEntropyChunk(x.data, x.offset + at, c, sp, len, labels.data, lab, ignoreIndex, gradWeights,
                keep.data, keep.offset + at, stats, 0, pickedRow);
        if (!valid) findBadLabel(labels, bi * sp + j0, len, c, ignoreIndex, op);   // throws, naming the label
        double picked = 0;   // Σ_k w_k Σ_{j: y_j = k} log p_k
        boolean bad = Float.isNaN(pickedRow[0]);   // every pick NaN: a NaN or ±∞ logit in the chunk
        for (int ch = 0; ch < c; ch++) {
            float r = bad ? pickFromRow(k, labels, ch == ignoreIndex ? Integer.MIN_VALUE : ch, lab, x.data, x.offset + at + ch * sp,
                    stats, len, row) : pickedRow[ch];
            if (ch != ignoreIndex) picked += (weight == null ? 1.0 : weight[ch]) * r;
        }
        part[t] = -picked;
        return bad;
    }

    /**
     * A chunk's pick of one label when a logit of the chunk is NaN or ±∞: Σ (x − m) − log s over the
     * row written out (stats [m, log s] rows of len) where the label matches, NaN, -∞ or finite
     * wherever the bad logit is; for a finite row the bits of sumLogSoftmaxWhereEqual.
     */
    private static float pickFromRow(Kernels k, LabelTensor labels, int label, int lab, float[] xa, int xr, float[] stats, int len,
                                     float[] row) {
        k.zip(Binary.SUB, xa, xr, stats, 0, row, 0, len);
        k.zip(Binary.SUB, row, 0, stats, len, row, 0, len);
        return k.sumWhereEqual(labels.data, lab, label, row, 0, len);
    }

    /**
     * Task (bi, j0, len) without smoothing: part[t] = -Σ_c w_c Σ_{y = c} log p_c, the log-probabilities
     * picked from the logits and the softmax's stats by {@code sumLogSoftmaxPerClass}, never
     * written out; p goes to keep when given. Returns whether a logit of the task is NaN or ±∞
     * (read in the same pass).
     */
    private static boolean pickedChunk(Kernels k, Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, Tensor keep,
                                       int bi, int c, int sp, int j0, int len, float[] buf, float[] p, float[] stats, float[] row,
                                       float[] picks, double[] part, int t, double[] pickedPart, double[] predictedPart, int ignored) {
        int at = (bi * c) * sp + j0;
        float[] xa;   // the rows the picks read: the strided logits, or their compact copy in buf
        int xBase, xStride;
        if (keep != null && len > 1) {
            // p into keep straight from the strided logits, m and log s per voxel into stats [2, len]
            k.softmaxAndLogSum(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, stats, 0);
            xa = x.data;
            xBase = x.offset + at;
            xStride = sp;
        } else {
            // compact rows (one voxel is a single contiguous row there: the row kernels' path, as everywhere)
            rows(x, bi, c, sp, j0, len, buf);
            k.softmaxAndLogSum(buf, 0, c, len, len, p, 0, stats, 0);
            if (keep != null) for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = p[ch];
            xa = buf;
            xBase = 0;
            xStride = len;
        }
        int lab = labels.offset + bi * sp + j0;
        double picked = 0;   // Σ_k w_k Σ_{j: y_j = k} log p_k
        boolean bad = false;
        // every class's pick in one call (an ignore index inside [0, C) is no class: its row is still
        // read for the finiteness check, nothing picked)
        k.sumLogSoftmaxPerClass(labels.data, lab, ignoreIndex, xa, xBase, c, xStride, stats, 0, len, len, picks, 0);
        for (int ch = 0; ch < c; ch++) {
            int label = ch == ignoreIndex ? Integer.MIN_VALUE : ch;
            int xr = xBase + ch * xStride;
            float r = picks[ch];
            if (Float.isNaN(r)) {
                // a NaN or ±∞ logit: rejected by a caller that checks; for one that does not, the
                // sum over the written-out row as it is
                bad = true;
                r = pickFromRow(k, labels, label, lab, xa, xr, stats, len, row);
            }
            if (ch != ignoreIndex) picked += (weight == null ? 1.0 : weight[ch]) * r;
            if (pickedPart != null) pickedPart[t * c + ch] = ch != ignoreIndex ? r : 0.0;
            if (predictedPart != null) {
                // Σ p_c over the counted voxels: the row's sum, less its ignored voxels' part
                float[] pa = xa == buf ? p : keep.data;
                int pr = xa == buf ? ch * len : keep.offset + at + ch * sp;
                double v = k.sum(pa, pr, len);
                if (ignored > 0) v -= k.sumWhereEqual(labels.data, lab, ignoreIndex, pa, pr, len);
                predictedPart[t * c + ch] = v;
            }
        }
        part[t] = -picked;
        return bad;
    }

    /**
     * Task (bi, j0, len) with smoothing ε > 0: the log-softmax written out into buf [C, len],
     * part[t] = -(1 - ε) Σ_c w_c Σ_{y = c} log p_c - (ε / C) Σ_c w_c Σ_j valid_j log p_c; p goes to
     * keep when given; the labels are checked and counted here. Returns whether a logit of the task
     * is NaN or ±∞ when {@code check} (else false).
     */
    private static boolean smoothedChunk(Kernels k, Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing,
                                         Tensor keep, int bi, int c, int sp, int j0, int len, float[] buf, float[] stats,
                                         float[] valid, boolean check, int[] counts, double[] part, int t) {
        int at = (bi * c) * sp + j0, lo = bi * sp + j0;
        boolean bad = false;
        // Σ x·0 is NaN exactly when some x is NaN or ±∞ (rows the softmax reads next)
        for (int ch = 0; check && ch < c && !bad; ch++) bad = Double.isNaN(k.dot(x.data, x.offset + at + ch * sp, ZEROS, 0, len));
        if (keep != null && len > 1) {
            // p into keep from the strided logits, m and log s per voxel into stats [2, len];
            // log p = (x - m) - log s, the log-softmax's own arithmetic: the same bits
            k.softmaxAndLogSum(x.data, x.offset + at, c, sp, len, keep.data, keep.offset + at, stats, 0);
            for (int ch = 0; ch < c; ch++) {
                k.zip(Binary.SUB, x.data, x.offset + at + ch * sp, stats, 0, buf, ch * len, len);
                k.zip(Binary.SUB, buf, ch * len, stats, len, buf, ch * len, len);
            }
        } else {
            rows(x, bi, c, sp, j0, len, buf);
            if (keep != null) {
                // one voxel: the compact layout is a single row (another kernel path), so take that path
                k.softmax(buf, 0, c, len, len, stats, 0);
                for (int ch = 0; ch < c; ch++) keep.data[keep.offset + at + ch * sp] = stats[ch];
            }
            k.logSoftmax(buf, 0, c, len, len, buf, 0);   // in place: column by column
        }
        int ignored = checkLabels(k, labels, lo, len, c, ignoreIndex, "SoftmaxCrossEntropy.sum", counts, t * c);
        int lab = labels.offset + lo;
        double picked = 0;   // Σ_k w_k Σ_{j: y_j = k} log p_k: Σ w[y] log p_y over the counted voxels
        for (int ch = 0; ch < c; ch++) {
            if (ch == ignoreIndex) continue;   // an ignore index inside [0, C): those voxels count for no class
            picked += (weight == null ? 1.0 : weight[ch]) * k.sumWhereEqual(labels.data, lab, ch, buf, ch * len, len);
        }
        if (ignored > 0) validMask(k, labels, lab, c, ignoreIndex, len, valid);
        double total = -(1.0 - smoothing) * picked;
        double all = 0;   // Σ_c w_c Σ_j valid_j log p_c
        for (int ch = 0; ch < c; ch++) {
            double row = ignored == 0 ? k.sum(buf, ch * len, len) : k.dot(buf, ch * len, valid, 0, len);
            all += (weight == null ? 1.0 : weight[ch]) * row;
        }
        total -= (double) smoothing / c * all;
        part[t] = total;
        return bad;
    }

    /**
     * The gradient of {@code scale · }{@link #sum} from the softmax p that
     * {@link #sum(Tensor, LabelTensor, int, float[], float, String, Tensor)} kept (the labels were
     * checked there): p is overwritten with {@code scale · (p_k · A_n - t_{n,k})} in place and
     * returned, no exponential in this pass. The same bits as {@link #sumBackward}.
     */
    public static Tensor sumBackwardFromSoftmax(Tensor p, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing,
                                                float scale) {
        int[] d = check("SoftmaxCrossEntropy.sumBackwardFromSoftmax", p, labels, weight, smoothing);
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        float uniform = smoothing / c, smoothMass = smoothMass(weight, smoothing, c);
        Kernels k = Backend.kernels();
        if (smoothing == 0f) {
            // scale · w_k (p_k - onehot_k): every class of a task in one pass over the kept p, in place
            float[] sw = scaledWeights(weight, ignoreIndex, scale, c);
            Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
                for (int t = s; t < e; t++) {
                    int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0);
                    int at = p.offset + (bi * c) * sp + j0;
                    k.crossEntropyGradient(p.data, at, c, sp, len, labels.data, labels.offset + bi * sp + j0, sw, p.data, at);
                }
            });
            return p;
        }
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK, CHUNK);
            float[] a = sc[1], valid = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0), lo = bi * sp + j0;
                int lab = labels.offset + lo;
                scaledLabelWeights(k, labels, lab, c, ignoreIndex, weight, smoothing, smoothMass, scale, len, a);
                if (smoothing > 0f) {
                    boolean anyIgnored = ignoreIndex >= 0 && ignoreIndex < c || k.countEqual(labels.data, lab, ignoreIndex, len) > 0;
                    if (anyIgnored) validMask(k, labels, lab, c, ignoreIndex, len, valid);
                    else k.fill(valid, 0, len, 1f);
                }
                for (int ch = 0; ch < c; ch++) {
                    int row = p.offset + (bi * c + ch) * sp + j0;
                    labelTerms(k, labels, lab, ch, ignoreIndex, weight, smoothing, uniform, scale, p.data, row, a, valid, p.data, row, len);
                }
            }
        });
        return p;
    }

    /**
     * scale · w_c per class (scale for no weights), 0 for an ignore index inside [0, C): without
     * smoothing, A_n = w[y_n] and t_{n,k} = w[y_n] [k = y_n], so this is all the gradient needs.
     */
    private static float[] scaledWeights(float[] weight, int ignoreIndex, float scale, int c) {
        float[] sw = new float[c];
        for (int ch = 0; ch < c; ch++) sw[ch] = ch == ignoreIndex ? 0f : scale * (weight == null ? 1f : weight[ch]);
        return sw;
    }

    /** (ε / C) Σ_c w_c: the smoothing's part of A_n at every counted voxel. */
    private static float smoothMass(float[] weight, float smoothing, int c) {
        double wTotal = 0;   // Σ_c w_c
        for (int ch = 0; ch < c; ch++) wTotal += weight == null ? 1.0 : weight[ch];
        return (float) (smoothing / c * wTotal);
    }

    /** a[0, len) = scale · A_n per voxel (0 at ignored voxels), class by class. */
    private static void scaledLabelWeights(Kernels k, LabelTensor labels, int lab, int c, int ignoreIndex, float[] weight,
                                           float smoothing, float smoothMass, float scale, int len, float[] a) {
        k.fill(a, 0, len, 0f);
        for (int ch = 0; ch < c; ch++) {
            if (ch == ignoreIndex) continue;
            float w = weight == null ? 1f : weight[ch];
            k.addWhereEqual(labels.data, lab, ch, scale * ((1f - smoothing) * w + smoothMass), a, 0, a, 0, len);
        }
    }

    /**
     * Row ch of the gradient into out[row, row + len): scale · p_k · A_n, minus scale · t_{n,k} (the
     * label's term at y_n = k, the smoothing term at every counted voxel); out may be p's row.
     */
    private static void labelTerms(Kernels k, LabelTensor labels, int lab, int ch, int ignoreIndex, float[] weight, float smoothing,
                                   float uniform, float scale, float[] p, int pOff, float[] a, float[] valid, float[] out, int row,
                                   int len) {
        float w = weight == null ? 1f : weight[ch];
        k.zip(Binary.MUL, p, pOff, a, 0, out, row, len);
        if (ch != ignoreIndex) k.addWhereEqual(labels.data, lab, ch, -scale * (1f - smoothing) * w, out, row, out, row, len);
        if (smoothing > 0f) k.triad(out, row, -scale * uniform * w, valid, 0, out, row, len);
    }

    /**
     * The gradient of {@code scale · }{@link #sum} with respect to the logits x:
     * {@code gx_k = scale · (p_k · A_n - t_{n,k})} at counted voxels, 0 at ignored ones (class comment).
     */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing,
                                     float scale) {
        return sumBackward(x, labels, ignoreIndex, weight, smoothing, scale, null);
    }

    /**
     * {@link #sumBackward(Tensor, LabelTensor, int, float[], float, float)} written into
     * {@code out} (x's shape, not sharing x's array; every element is overwritten), or a new
     * tensor when out is null.
     */
    public static Tensor sumBackward(Tensor x, LabelTensor labels, int ignoreIndex, float[] weight, float smoothing,
                                     float scale, Tensor out) {
        int[] d = check("SoftmaxCrossEntropy.sumBackward", x, labels, weight, smoothing);
        int b = d[0], c = d[1], sp = d[2];
        int nch = (sp + CHUNK - 1) / CHUNK, tasks = b * nch;
        float uniform = smoothing / c, smoothMass = smoothMass(weight, smoothing, c);
        Tensor res = ChannelChunks.gradientOutput("SoftmaxCrossEntropy.sumBackward", x, out);
        int ro = res.offset;
        float[] sw = smoothing == 0f ? scaledWeights(weight, ignoreIndex, scale, c) : null;   // the one-pass gradient's weights
        Kernels k = Backend.kernels();
        Parallel.forRange(tasks, Math.max(1, Tensor.GRAIN / (c * CHUNK)), (s, e) -> {
            float[][] sc = scratch(c * CHUNK, CHUNK);
            float[] p = sc[0], a = sc[1], valid = sc[2];
            for (int t = s; t < e; t++) {
                int bi = t / nch, j0 = (t % nch) * CHUNK, len = Math.min(CHUNK, sp - j0), lo = bi * sp + j0;
                rows(x, bi, c, sp, j0, len, p);
                k.softmax(p, 0, c, len, len, p, 0);   // in place: out aliases x exactly
                int ignored = checkLabels(k, labels, lo, len, c, ignoreIndex, "SoftmaxCrossEntropy.sumBackward", null, 0);
                int lab = labels.offset + lo;
                if (sw != null) {
                    // sumBackwardFromSoftmax's one pass, over the compact p, then into the result's rows
                    k.crossEntropyGradient(p, 0, c, len, len, labels.data, lab, sw, p, 0);
                    for (int ch = 0; ch < c; ch++) System.arraycopy(p, ch * len, res.data, ro + (bi * c + ch) * sp + j0, len);
                    continue;
                }
                scaledLabelWeights(k, labels, lab, c, ignoreIndex, weight, smoothing, smoothMass, scale, len, a);
                if (smoothing > 0f) {
                    if (ignored > 0) validMask(k, labels, lab, c, ignoreIndex, len, valid);
                    else k.fill(valid, 0, len, 1f);
                }
                for (int ch = 0; ch < c; ch++) {
                    int row = ro + (bi * c + ch) * sp + j0;
                    labelTerms(k, labels, lab, ch, ignoreIndex, weight, smoothing, uniform, scale, p, ch * len, a, valid, res.data, row, len);
                }
            }
        });
        return res;
    }
}
