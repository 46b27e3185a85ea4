package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Ctx;
import org.segloss.autograd.Function;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Generalised Wasserstein Dice loss: a Dice loss whose errors are weighted by a ground distance
 * between classes, so that confusing two related classes costs less than confusing a class with
 * the background. Spec page: {@code spec/losses/generalized-wasserstein-dice.md}.
 *
 * <p>Paper: Fidon, Li, Garcia-Peraza-Herrera, Ekanayake, Kitchen, Ourselin, Vercauteren,
 * "Generalised Wasserstein Dice Score for imbalanced multi-class segmentation using holistic
 * convolutional networks", BrainLes 2017, arXiv 1707.00478, Eq. 6 (voxel-wise Wasserstein
 * distance) and Eq. 9 (generalised true positives); the GDL weighting: Tilborghs et al.,
 * arXiv 2007.15546, Appendix. Adapted from LucasFidon/GeneralizedWassersteinDiceLoss
 * {@code generalized_wasserstein_dice_loss/loss.py} (@ 4aa35ab, the reference for batches) and
 * MONAI {@code GeneralizedWassersteinDiceLoss} ({@code monai/losses/dice.py} @ d388d1c, whose
 * default smoothing this class uses); spec/losses/generalized-wasserstein-dice.md.
 *
 * <p>Per sample b, with p = softmax(z) over the C classes, true label y_i, ground distance matrix
 * M (C×C, divided by its maximum when that is not 1, as both references do) and class weights α:
 * <pre>
 *   W_i   = Σ_c M[y_i, c] · p[c, i]                 (Eq. 6: the optimal transport cost of moving
 *                                                    the predicted mass to the one-hot truth)
 *   TP    = Σ_i α[y_i] · (1 − W_i)                  (Eq. 9 with M[y, background] taken as 1, as
 *                                                    both references do)
 *   DEN   = 2 TP + Σ_i W_i                          (DEFAULT: α_0 = 0, α_l = 1 otherwise)
 *   DEN   = Σ_i α[y_i] · (2 − W_i) = 2TP + Σ α W    (GDL: α_l = 1 / (V_l + 1), V_l the voxel
 *                                                    count of label l in the sample)
 *   GWDL  = 1 − (2 TP + smoothNr) / (DEN + smoothDr)
 * </pre>
 * then the reduction over the B per-sample values (MEAN, SUM, or NONE: {@code [B]}). Samples are
 * never mixed: a batch of identical samples gives the value of one sample, and a mixed batch the
 * mean of the single values (MONAI #4650 broadcast α of shape [B,1,S] against [B,S] and mixed
 * them; fixed by MONAI PR #8744; the Fidon repository was already right).
 *
 * <p>SOFTMAX (the references' mode) runs fused: the loss comes from the per-sample confusion sums
 * {@code S[b, c, l] = Σ_{i: y_i = c} p[l, i]} of {@link RegionStatistics.ConfusionSums} (one pass over the
 * logits each way; the softmax is kept in the gradient's array and turned into the gradient in
 * place), see {@code fused}.
 * Activation NONE uses the composed graph below.
 *
 * <p>Gradient (composed): W is a {@link WassersteinMap}, a {@link Function} with the hand-written backward
 * {@code ∂W_i/∂p[c,i] = M[y_i, c]} (labels and M are constants); TP, DEN and the ratio are
 * composed from autograd primitives, which reproduces spec/losses/generalized-wasserstein-dice.md#gradient:
 * {@code ∂GWDL/∂p[c,i] = M[y_i,c]·(2 a_i D + (1 − 2 a_i) N)/D²} (DEFAULT, N, D numerator and
 * denominator, a_i = α[y_i]); then the softmax chain rule.
 *
 * <p>Options: {@code distanceMatrix} (required; C×C, finite, non-negative, zero diagonal, some
 * entry positive; may be asymmetric, the transport cost is then read row = true label);
 * {@code weighting} DEFAULT (paper) or GDL; {@code smoothNr} / {@code smoothDr} default 1e-5
 * (MONAI); Fidon's repository uses {@code np.spacing(1)} = 2.220446049250313e-16 for both
 * ({@link #FIDON_SMOOTH}); activation SOFTMAX (logits, the references' only mode) or NONE
 * (probabilities, each voxel's column checked to sum to 1); the target a label map or a one-hot
 * tensor (converted to labels; soft targets are rejected). {@code includeBackground} must stay
 * true (background is handled by α and M), and class {@code weight}s are rejected (α plays that
 * role).
 *
 * <p>{@code ignoreIndex} (not in either reference; segloss's choice): supported. Ignored voxels
 * are removed from W, TP and the error term (W_i = 0 and α_i = 0 there, zero gradient) and do not
 * count in the GDL volumes V_l.
 */
public final class GeneralizedWassersteinDiceLoss extends SegmentationLoss {
    /** Fidon's smoothing, {@code np.spacing(1)}: the distance from 1.0 to the next double. */
    public static final float FIDON_SMOOTH = (float) Math.ulp(1.0);

    /** How the classes are weighted in TP and the error term. */
    public enum Weighting {
        /** The paper's: α = 0 for the background (label 0), 1 for every other label; all errors count. */
        DEFAULT,
        /** Tilborghs et al.: α_l = 1/(V_l + 1) per sample, applied to the error term too. */
        GDL
    }

    /** How far from 1 a voxel's probabilities may sum with activation NONE. */
    public static final double SUM_TOLERANCE = 0.05;

    private final float[][] m;      // normalised, C×C
    private final Weighting weighting;
    private final float smoothNr, smoothDr;

    private GeneralizedWassersteinDiceLoss(Builder b, float[][] m) {
        super(b);
        this.m = m;
        this.weighting = b.weighting;
        this.smoothNr = b.smoothNr;
        this.smoothDr = b.smoothDr;
    }

    public static Builder builder() { return new Builder(); }

    /** The loss with the paper's weighting and MONAI's smoothing for the distance matrix M. */
    public static GeneralizedWassersteinDiceLoss create(double[][] distanceMatrix) {
        return builder().distanceMatrix(distanceMatrix).build();
    }

    /** The distance matrix after normalisation (a copy). */
    public float[][] distanceMatrix() {
        float[][] c = new float[m.length][];
        for (int i = 0; i < m.length; i++) c[i] = m[i].clone();
        return c;
    }

    public Weighting weighting() { return weighting; }
    public float smoothNr() { return smoothNr; }
    public float smoothDr() { return smoothDr; }

    @Override
    protected Var compute(Prepared p) {
        Shape ps = p.input().shape();                   // [B, C, *spatial]
        int b = ps.dim(0), c = ps.dim(1), s = ps.size() / (b * c);
        if (c != m.length) {
            throw new IllegalArgumentException(name() + ": the distance matrix is " + m.length + "×" + m.length
                    + " but the input has " + c + " channels (input " + p.input().shape() + ")");
        }
        if (activation == Activation.SOFTMAX) {
            // the fused path; a one-hot target is turned into labels first (-1 = ignored), so both
            // target forms give the same bits
            // samples with every voxel ignored are left out of the reduction
            if (p.labels() != null) return reduceItems(fused(p, p.labels(), ignoreIndex, b, c), p, false);
            return reduceItems(fused(p, LabelTensor.of(labels(p, b, c, s), b, s), -1, b, c), p, false);
        }
        Var probs = p.probs();                          // [B, C, *spatial], 0 at ignored voxels
        int[] y = labels(p, b, c, s);                   // [B*S], -1 at ignored voxels
        if (activation == Activation.NONE) requireDistributions(p.input().value(), y, b, c, s);

        Var w = new WassersteinMap(m, y).apply(probs).reshape(b, s);   // [B, S]
        Tensor alpha = Tensor.wrap(alpha(y, b, c, s), b, s);            // [B, S], constant
        Var tp = w.rsub(1f).mul(alpha).sum(1);                           // [B]
        Var errors = weighting == Weighting.DEFAULT ? w.sum(1) : w.mul(alpha).sum(1);
        Var numer = tp.mul(2f).add(smoothNr);
        Var denom = tp.mul(2f).add(errors).add(smoothDr);
        return reduceItems(numer.div(denom).rsub(1f), p, false);   // [B] → reduction, all-ignored samples left out
    }

    /**
     * SOFTMAX (label map, or one-hot target turned into labels): the per-sample loss {@code [B]} from the confusion sums
     * {@code S[b, c, l] = Σ_{i: y_i = c} p[l, i]} of {@link RegionStatistics.ConfusionSums} (one fused pass
     * over the logits; p is kept in the gradient's array and turned into the gradient in place). With {@code A[b, c] = Σ_l M[c, l] S[b, c, l]} (the
     * sum of W_i over the voxels labelled c) and {@code T[b, c] = Σ_l (1 − M[c, l]) S[b, c, l]}
     * (the sum of 1 − W_i there, as Σ_l p_il = 1; every term ≥ 0, so no cancellation):
     * {@code TP = Σ_c α_c T_c}, errors {@code Σ_c A_c} (DEFAULT) or {@code Σ_c α_c A_c} (GDL), α
     * per class from the label counts. The rest is small autograd ops on {@code [B, C, C]}.
     */
    private Var fused(Prepared p, LabelTensor labels, int ignore, int b, int c) {
        Var sums = RegionStatistics.confusionSums(this, p, labels, ignore);   // [B, C, C]; checks the logits on its way
        float[] mm = new float[b * c * c], om = new float[b * c * c];
        for (int bi = 0; bi < b; bi++) {
            for (int k = 0; k < c; k++) {
                for (int l = 0; l < c; l++) {
                    mm[(bi * c + k) * c + l] = m[k][l];
                    om[(bi * c + k) * c + l] = 1f - m[k][l];
                }
            }
        }
        Var a = sums.mul(Tensor.wrap(mm, b, c, c)).sum(2);      // [B, C]: Σ W_i over label c
        Var t = sums.mul(Tensor.wrap(om, b, c, c)).sum(2);      // [B, C]: Σ (1 − W_i) over label c
        float[] alpha = new float[b * c];
        if (weighting == Weighting.DEFAULT) {
            for (int bi = 0; bi < b; bi++) for (int k = 1; k < c; k++) alpha[bi * c + k] = 1f;
        } else {
            Tensor counts = labels.classCounts(c, ignore);   // [B, C], exact integers
            for (int i = 0; i < alpha.length; i++) alpha[i] = (float) (1.0 / (counts.at(i) + 1.0));
        }
        Tensor al = Tensor.wrap(alpha, b, c);
        Var tp = t.mul(al).sum(1);                                 // [B]
        Var errors = weighting == Weighting.DEFAULT ? a.sum(1) : a.mul(al).sum(1);
        Var numer = tp.mul(2f).add(smoothNr);
        Var denom = tp.mul(2f).add(errors).add(smoothDr);
        return numer.div(denom).rsub(1f);
    }

    /** The true label per voxel, from the label map or from the one-hot target (argmax); -1 where ignored. */
    private int[] labels(Prepared p, int b, int c, int s) {
        int[] y = new int[b * s];
        if (p.labels() != null) {
            LabelTensor l = p.labels();
            for (int i = 0; i < y.length; i++) {
                int v = l.at(i);
                y[i] = (ignoreIndex != NO_IGNORE && v == ignoreIndex) ? -1 : v;
            }
            return y;
        }
        // one-hot [B, C, *spatial]: prepare() checked values in {0, 1}; here every counted column
        // must hold exactly one 1 (the activation NONE path of prepare() does not check that)
        Tensor t = p.target();
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < s; i++) {
                int label = -1, ones = 0;
                for (int k = 0; k < c; k++) {
                    if (t.at((bi * c + k) * s + i) == 1f) {
                        label = k;
                        ones++;
                    }
                }
                boolean ignored = p.valid() != null && p.valid().at(bi * s + i) == 0f;
                if (!ignored && ones != 1) {
                    throw new IllegalArgumentException(name() + ": a one-hot target needs exactly one 1 per voxel over the "
                            + c + " channels, got " + ones + " at sample " + bi + ", voxel " + i);
                }
                y[bi * s + i] = ignored ? -1 : label;
            }
        }
        return y;
    }

    /** α per voxel [B*S]: 0 at ignored voxels. */
    private float[] alpha(int[] y, int b, int c, int s) {
        float[] a = new float[y.length];
        if (weighting == Weighting.DEFAULT) {
            for (int i = 0; i < y.length; i++) a[i] = y[i] > 0 ? 1f : 0f;
            return a;
        }
        for (int bi = 0; bi < b; bi++) {
            int[] volume = new int[c];
            for (int i = 0; i < s; i++) if (y[bi * s + i] >= 0) volume[y[bi * s + i]]++;
            for (int i = 0; i < s; i++) {
                int l = y[bi * s + i];
                a[bi * s + i] = l < 0 ? 0f : (float) (1.0 / (volume[l] + 1.0));
            }
        }
        return a;
    }

    /**
     * Activation NONE: each counted voxel's C probabilities must sum to 1 within
     * {@link #SUM_TOLERANCE} (W is a transport cost between distributions). The tolerance catches
     * logits and unnormalised scores, and leaves room for finite-difference gradient checks, which
     * move every probability by up to 1e-2.
     */
    private void requireDistributions(Tensor x, int[] y, int b, int c, int s) {
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < s; i++) {
                if (y[bi * s + i] < 0) continue;
                double sum = 0;
                for (int k = 0; k < c; k++) sum += x.at((bi * c + k) * s + i);
                if (!(Math.abs(sum - 1.0) <= SUM_TOLERANCE)) {
                    throw new IllegalArgumentException(name() + ": activation NONE expects probabilities summing to 1 over the "
                            + c + " channels, got a sum of " + (float) sum + " at sample " + bi + ", voxel " + i
                            + " (logits? use SOFTMAX)");
                }
            }
        }
    }

    // ---- the Wasserstein map ------------------------------------------------------------------

    /**
     * The voxel-wise Wasserstein distance between the predicted distribution and the one-hot
     * truth (Fidon 2017 Eq. 6): {@code W[b, i] = Σ_c M[y[b,i], c] · p[b, c, i]}, input
     * {@code [B, C, *spatial]}, output {@code [B, *spatial]}, 0 where the label is -1 (ignored).
     * Backward: {@code ∂W[b,i]/∂p[b,c,i] = M[y[b,i], c]}, so
     * {@code grad_p[b,c,i] = g[b,i] · M[y[b,i], c]}. The labels and M are constructor constants.
     */
    public static final class WassersteinMap extends Function {
        private static final Ctx.Key<Shape> INPUT_SHAPE = new Ctx.Key<>("input shape");

        private static final int GRAIN = 1 << 14;
        private final float[][] columns;   // columns[c][l] = M[l][c]; l = C is the ignored slot (0)
        private final int[] y;

        /**
         * @param m the C×C ground distance (used as given: normalise it first if wanted)
         * @param labels flat labels [B*S] in [0, C), or -1 for ignored voxels
         */
        public WassersteinMap(float[][] m, int[] labels) {
            int c = m.length;
            this.columns = new float[c][c + 1];
            for (int l = 0; l < c; l++) {
                if (m[l].length != c) {
                    throw new IllegalArgumentException("WassersteinMap: m must be square, got row " + l + " of length "
                            + m[l].length + " in a " + c + "-row matrix");
                }
                for (int k = 0; k < c; k++) columns[k][l] = m[l][k];
            }
            this.y = new int[labels.length];
            for (int i = 0; i < labels.length; i++) {
                int v = labels[i];
                if (v < -1 || v >= c) {
                    throw new IllegalArgumentException("WassersteinMap: labels must be in [0, " + c + ") or -1 (ignored), got "
                            + v + " at flat index " + i);
                }
                y[i] = v < 0 ? c : v;
            }
        }

        @Override
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Shape shape = in[0].shape();
            int b = shape.dim(0), c = shape.dim(1), s = shape.size() / (b * c);
            check(shape, b, c, s);
            float[] p = in[0].toArray();
            float[] w = new float[b * s];
            Parallel.forRange(b * s, GRAIN, (start, end) -> {
                for (int t = start; t < end; t++) {
                    int bi = t / s, i = t - bi * s, l = y[t];
                    float acc = 0f;
                    for (int k = 0; k < c; k++) acc += columns[k][l] * p[(bi * c + k) * s + i];
                    w[t] = acc;
                }
            });
            ctx.save(INPUT_SHAPE, shape);
            return Tensor.wrap(w, shape.remove(1).dims());
        }

        @Override
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            if (!ctx.needsInputGrad(0)) return new Tensor[] {null};
            Shape shape = ctx.saved(INPUT_SHAPE);
            int b = shape.dim(0), c = shape.dim(1), s = shape.size() / (b * c);
            float[] gw = g.toArray();
            float[] gp = new float[shape.size()];
            Parallel.forRange(b * s, GRAIN, (start, end) -> {
                for (int t = start; t < end; t++) {
                    int bi = t / s, i = t - bi * s, l = y[t];
                    float gt = gw[t];
                    for (int k = 0; k < c; k++) gp[(bi * c + k) * s + i] = gt * columns[k][l];
                }
            });
            return new Tensor[] {Tensor.wrap(gp, shape.dims())};
        }

        private void check(Shape shape, int b, int c, int s) {
            if (shape.rank() < 2 || c != columns.length || (long) b * s != y.length) {
                throw new IllegalArgumentException("WassersteinMap: input must be [B, " + columns.length + ", *spatial] with B·S = "
                        + y.length + " labels, got " + shape);
            }
        }
    }

    // ---- distance matrices --------------------------------------------------------------------

    /**
     * A ground distance from a class hierarchy, the heuristic of Fidon et al. 2017 (Sec. 2.3:
     * semantically close classes are close in a tree of classes): the distance between two classes
     * is the length of the tree path between their nodes, divided by the longest such path, so
     * the result lies in [0, 1] with a zero diagonal and a maximum of 1.
     *
     * <p>Nodes 0..numClasses−1 are the classes in label order; nodes from numClasses on are
     * groupings (e.g. "tumour", "tumour core"). Example, BraTS-like: background 0, edema 1,
     * enhancing 2, necrosis 3 under a root 4 with a "tumour" node 5 and a "core" node 6:
     * {@code parent = {4, 5, 6, 6, -1, 4, 5}}, unit edges: d(0,1) = 3, d(0,2) = 4, d(1,2) = 3,
     * d(2,3) = 2, so M = path / 4. With unit edges and all classes at the same depth this is the
     * depth-normalised tree distance.
     *
     * @param numClasses C >= 2
     * @param parent parent node of each node, -1 for the single root
     * @param edgeLength length of the edge from each node to its parent (finite, > 0; the root's
     *     entry is ignored), or null for unit lengths
     * @return C×C symmetric matrix, zero diagonal, maximum 1
     */
    public static double[][] fromClassTree(int numClasses, int[] parent, double[] edgeLength) {
        String op = "GeneralizedWassersteinDiceLoss.fromClassTree";
        if (numClasses < 2) throw new IllegalArgumentException(op + ": numClasses must be >= 2, got " + numClasses);
        if (parent == null || parent.length < numClasses) {
            throw new IllegalArgumentException(op + ": parent must have one entry per node (>= numClasses = " + numClasses
                    + "), got " + (parent == null ? "null" : parent.length));
        }
        int n = parent.length;
        if (edgeLength != null && edgeLength.length != n) {
            throw new IllegalArgumentException(op + ": edgeLength must have one entry per node (" + n + "), got " + edgeLength.length);
        }
        int roots = 0;
        for (int k = 0; k < n; k++) {
            if (parent[k] == -1) {
                roots++;
            } else if (parent[k] < 0 || parent[k] >= n || parent[k] == k) {
                throw new IllegalArgumentException(op + ": parent[" + k + "] must be a node in [0, " + n + ") other than " + k
                        + ", or -1 for the root, got " + parent[k]);
            } else if (edgeLength != null && (!(edgeLength[k] > 0) || Double.isInfinite(edgeLength[k]))) {
                throw new IllegalArgumentException(op + ": edgeLength[" + k + "] must be finite and > 0, got " + edgeLength[k]);
            }
        }
        if (roots != 1) throw new IllegalArgumentException(op + ": the tree must have exactly one root (parent -1), got " + roots);
        // distance from every node to the root; a walk longer than n steps means a cycle
        double[] depth = new double[n];
        for (int k = 0; k < n; k++) {
            int steps = 0;
            for (int v = k; parent[v] != -1; v = parent[v]) {
                if (++steps > n) throw new IllegalArgumentException(op + ": parent has a cycle through node " + k);
                depth[k] += edgeLength == null ? 1.0 : edgeLength[v];
            }
        }
        double[][] d = new double[numClasses][numClasses];
        double max = 0;
        for (int a = 0; a < numClasses; a++) {
            for (int b = a + 1; b < numClasses; b++) {
                // path length = depth(a) + depth(b) − 2 depth(lowest common ancestor)
                boolean[] onPathA = new boolean[n];
                for (int v = a; v != -1; v = parent[v]) onPathA[v] = true;
                int lca = b;
                while (!onPathA[lca]) lca = parent[lca];
                d[a][b] = d[b][a] = depth[a] + depth[b] - 2 * depth[lca];
                max = Math.max(max, d[a][b]);
            }
        }
        if (!(max > 0)) throw new IllegalArgumentException(op + ": every class sits on the same node; the distances are all 0");
        for (double[] row : d) for (int k = 0; k < row.length; k++) row[k] /= max;
        return d;
    }

    /** The binary matrix 1 − I (every confusion costs 1): with C = 2 the loss is the foreground soft Dice loss. */
    public static double[][] binary(int numClasses) {
        if (numClasses < 2) throw new IllegalArgumentException("GeneralizedWassersteinDiceLoss.binary: numClasses must be >= 2, got " + numClasses);
        double[][] d = new double[numClasses][numClasses];
        for (int a = 0; a < numClasses; a++) for (int b = 0; b < numClasses; b++) d[a][b] = a == b ? 0 : 1;
        return d;
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    /** The ground distance: {@code binary} ({@link #binary(int)}) or C*C numbers, row-major; applied by the caller, who knows C. */
    public static final LossOption<Builder, String> DISTANCE_MATRIX = LossOption.choiceOrList("distance-matrix",
            LossOption.Kind.CHOICE_OR_NUMBERS, "binary", List.of("binary"), LossOption.Range.NON_NEG, "C*C numbers >= 0 (row-major)",
            "Ground distance M between classes (row = true class).");
    public static final LossOption<Builder, Weighting> WEIGHTING = LossOption.choice("weighting", Weighting.DEFAULT,
            "default (paper: background alpha 0) or gdl (Tilborghs et al.).", Builder::weighting);
    /** Every option, in the order they are listed (smooth-nr: Fidon's repository uses {@link #FIDON_SMOOTH}). */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(DISTANCE_MATRIX, WEIGHTING, RegionLossBuilder.SMOOTH_NR,
            RegionLossBuilder.SMOOTH_DR, SegmentationLoss.IGNORE_INDEX, SegmentationLoss.REDUCTION);

    /** Options of {@link GeneralizedWassersteinDiceLoss} ({@link #OPTIONS}); {@link #distanceMatrix} is required. */
    public static final class Builder extends RegionLossBuilder<Builder> {
        private static final String N = "GeneralizedWassersteinDiceLoss";
        double[][] distanceMatrix;
        Weighting weighting = WEIGHTING.defaultChoice(Weighting.class);

        public Builder() { super(N); }

        /** The C×C ground distance M (required); checked and normalised by {@link #build}. */
        public Builder distanceMatrix(double[][] m) {
            if (m == null) throw new IllegalArgumentException(N + ": distanceMatrix must not be null");
            distanceMatrix = new double[m.length][];
            for (int i = 0; i < m.length; i++) {
                if (m[i] == null) throw new IllegalArgumentException(N + ": distanceMatrix row " + i + " is null");
                distanceMatrix[i] = m[i].clone();
            }
            return this;
        }

        /** The C×C ground distance M, float form. */
        public Builder distanceMatrix(float[][] m) {
            if (m == null) throw new IllegalArgumentException(N + ": distanceMatrix must not be null");
            double[][] d = new double[m.length][];
            for (int i = 0; i < m.length; i++) {
                if (m[i] == null) throw new IllegalArgumentException(N + ": distanceMatrix row " + i + " is null");
                d[i] = new double[m[i].length];
                for (int k = 0; k < m[i].length; k++) d[i][k] = m[i][k];
            }
            distanceMatrix = d;
            return this;
        }

        /** DEFAULT (paper; default) or GDL (Tilborghs et al.). */
        public Builder weighting(Weighting w) {
            if (w == null) throw new IllegalArgumentException(N + ": weighting must be one of " + Arrays.toString(Weighting.values()) + ", got null");
            weighting = w;
            return this;
        }

        public GeneralizedWassersteinDiceLoss build() {
            if (distanceMatrix == null) throw new IllegalArgumentException(N + ": distanceMatrix is required (C×C ground distance between classes)");
            if (activation == Activation.SIGMOID) {
                throw new IllegalArgumentException(N + ": activation must be SOFTMAX (logits) or NONE (probabilities), got SIGMOID"
                        + " (W needs one probability distribution over the classes per voxel)");
            }
            if (!includeBackground) {
                throw new IllegalArgumentException(N + ": includeBackground must be true (background enters through α and M), got false");
            }
            if (softLabel) throw new IllegalArgumentException(N + ": softLabel must be false (W needs one true label per voxel), got true");
            if (weight != null) throw new IllegalArgumentException(N + ": weight is not supported (the weighting mode sets the class weights α)");
            requirePositiveSmoothDr("a perfect background-only sample gives 0/0");
            return new GeneralizedWassersteinDiceLoss(this, normalise(distanceMatrix));
        }

        /** Checks M and divides it by its maximum when that is not 1 (both references do). */
        static float[][] normalise(double[][] m) {
            int c = m.length;
            if (c < 2) throw new IllegalArgumentException(N + ": distanceMatrix must be C×C with C >= 2, got " + c + " rows");
            double max = 0;
            for (int i = 0; i < c; i++) {
                if (m[i].length != c) {
                    throw new IllegalArgumentException(N + ": distanceMatrix must be square (" + c + "×" + c + "), got row " + i
                            + " of length " + m[i].length);
                }
                for (int k = 0; k < c; k++) {
                    double v = m[i][k];
                    if (!Double.isFinite(v) || v < 0) {
                        throw new IllegalArgumentException(N + ": distanceMatrix entries must be finite and >= 0, got " + v
                                + " at [" + i + "][" + k + "]");
                    }
                    if (i == k && v != 0) {
                        throw new IllegalArgumentException(N + ": distanceMatrix diagonal must be 0 (a class is at distance 0 from"
                                + " itself), got " + v + " at [" + i + "][" + i + "]");
                    }
                    max = Math.max(max, v);
                }
            }
            if (!(max > 0)) throw new IllegalArgumentException(N + ": distanceMatrix must have a positive entry, got all zeros");
            float[][] out = new float[c][c];
            for (int i = 0; i < c; i++) for (int k = 0; k < c; k++) out[i][k] = (float) (max == 1.0 ? m[i][k] : m[i][k] / max);
            return out;
        }
    }
}
