package org.segloss.loss;

import java.util.Arrays;
import org.segloss.autograd.Var;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.distance.SignedDistanceMaps.Convention;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Boundary loss: the mean of the predicted probabilities weighted by the signed distance map of
 * the ground truth, a regional integral that approximates the L2 distance between the predicted
 * and the true contours. Spec page: {@code spec/losses/boundary.md}.
 *
 * <p>Paper: Kervadec, Bouchtiba, Desrosiers, Granger, Dolz, Ben Ayed, "Boundary loss for highly
 * unbalanced segmentation", MIDL 2019 / Medical Image Analysis 2021, arXiv 1812.07032, Sec. 2
 * (the loss {@code L_B(θ) = ∫_Ω φ_G(q) s_θ(q) dq}). Adapted from LIVIAETS/boundary-loss
 * {@code losses.py} {@code SurfaceLoss} (@ 171c32d); spec/losses/boundary.md.
 *
 * <p>With probabilities p (after the activation), precomputed maps φ {@code [B, C, *spatial]}
 * (constants, never differentiated) and the selected classes {@code idc}:
 * <pre>
 *   item[b, k] = (1/|Ω|) Σ_q φ[b, idc_k, q] · p[b, idc_k, q]          [B, |idc|]
 *   MEAN: (1/(B·|idc|)) Σ item = the reference's mean over B × |idc| × |Ω|
 *   ∂L/∂p[b, idc_k, q] = φ[b, idc_k, q] / (B·|idc|·|Ω|)               (then the activation's chain rule)
 * </pre>
 * SUM sums the items, NONE returns them. With SOFTMAX the sums come from one fused kernel pass per
 * chunk over the logits and the maps ({@link RegionStatistics#weightedSum}), which also checks the
 * logits for NaN and infinity, and the maps through the sums (a scan of the maps only when a sum
 * is not finite); p is kept in the gradient's array and turned into the gradient there in one
 * more pass. The loss is linear in p and its minimum (p = 1 exactly
 * inside the object) is <b>negative</b>: negative values are normal (LIVIAETS FAQ, issues #35,
 * SegWithDistMap #7) and are never clamped. A class absent from a sample has an all-zero map and
 * contributes 0 (its voxels still count in the mean's denominator, as in the reference); so does a
 * class that fills the whole sample.
 *
 * <p>Three ways to call it:
 * <ul>
 *   <li>{@link #forwardWithMaps(Var, Tensor)}: precomputed maps {@code [B, C, *spatial]} (one per
 *       class, the reference's {@code dist_maps}; e.g. from {@link #distanceMaps} in the data
 *       loader). The recommended path: the EDT costs far more than the loss.</li>
 *   <li>{@link #forward(Var, LabelTensor)}: a label map {@code [B, *spatial]}; the maps are computed
 *       here with the configured {@code spacing} and {@code convention}, every call (nothing is
 *       cached).</li>
 *   <li>{@link #forward(Var, Tensor)}: a one-hot target {@code [B, C, *spatial]} (0/1), likewise
 *       converted to maps. A distance-map tensor is never accepted here: that is what
 *       {@code forwardWithMaps} is for.</li>
 * </ul>
 *
 * <p>Options: {@code activation} SOFTMAX (default, logits), NONE (probabilities: values in [0, 1],
 * each voxel's channels summing to 1 within 0.05 — "logits?" otherwise), SIGMOID (independent
 * channels, e.g. one foreground channel); {@code idc} the supervised classes, default all
 * foreground classes 1..C−1 (class 0 when C = 1), an explicit list validated in [0, C) without
 * repeats; {@code spacing} voxel size per spatial axis for maps computed here (default unit);
 * {@code convention} {@link Convention#VOXEL_BOUNDARY} (default: the distance from the voxel centre
 * to the voxelised surface, correct for any spacing) or {@link Convention#LIVIAETS} (the
 * reference's {@code one_hot2dist}, bit-compatible, with its unscaled −1 shift); {@code reduction}
 * MEAN. Ignore labels are not supported (a label outside [0, C) is an error): zero φ at those
 * voxels in precomputed maps instead.
 */
public final class BoundaryLoss implements Loss {
    private static final String N = "BoundaryLoss";
    /** How far from 1 a voxel's probabilities may sum with activation NONE (room for finite-difference checks). */
    public static final double SUM_TOLERANCE = 0.05;

    private final Activation activation;
    private final int[] idc;          // null: 1..C−1 (or {0} when C = 1)
    private final double[] spacing;   // null: unit
    private final Convention convention;
    private final Reduction reduction;
    private final boolean checkFinite;

    private BoundaryLoss(Builder b) {
        this.activation = b.activation;
        this.idc = b.idc == null ? null : b.idc.clone();
        this.spacing = b.spacing == null ? null : b.spacing.clone();
        this.convention = b.convention;
        this.reduction = b.reduction;
        this.checkFinite = b.checkFinite;
    }

    public static Builder builder() { return new Builder(); }

    /** Softmax, all foreground classes, unit spacing, {@link Convention#VOXEL_BOUNDARY}, mean. */
    public static BoundaryLoss create() { return builder().build(); }

    public Activation activation() { return activation; }
    public Reduction reduction() { return reduction; }
    public Convention convention() { return convention; }
    public double[] spacing() { return spacing == null ? null : spacing.clone(); }
    /** The configured classes, or null for the default (all foreground classes). */
    public int[] idc() { return idc == null ? null : idc.clone(); }

    // ---- entry points -------------------------------------------------------------------------

    /**
     * The loss with precomputed signed distance maps (the reference's {@code SurfaceLoss(probs,
     * dist_maps)}).
     *
     * @param input logits (SOFTMAX, SIGMOID) or probabilities (NONE), {@code [B, C, *spatial]}
     * @param distanceMaps φ {@code [B, C, *spatial]}, one map per class (all C, selected by idc),
     *     finite; a constant
     */
    public Var forwardWithMaps(Var input, Tensor distanceMaps) {
        Shape in = checkInput(input);
        if (distanceMaps == null) throw new IllegalArgumentException(N + ": distanceMaps must not be null");
        if (!distanceMaps.shape().equals(in)) {
            throw new IllegalArgumentException(N + ": distanceMaps must have the input's shape " + in
                    + " ([B, C, *spatial], one map per class), got " + distanceMaps.shape());
        }
        // SOFTMAX: the fused pass's sums show a NaN or infinite map (see compute); otherwise a scan
        if (activation != Activation.SOFTMAX && !distanceMaps.isFinite()) throw nonFiniteMaps(in);
        return compute(input, distanceMaps, true);
    }

    private static IllegalArgumentException nonFiniteMaps(Shape in) {
        return new IllegalArgumentException(N + ": distanceMaps contain NaN or infinity (shape " + in + ")");
    }

    /**
     * The loss on validated operands: input [B, C, *spatial], maps of the same shape; with
     * SOFTMAX the input's finiteness (when checkFinite) is checked in the fused pass, and the
     * maps' when {@code checkMaps}.
     */
    private Var compute(Var input, Tensor distanceMaps, boolean checkMaps) {
        Shape in = input.shape();
        int[] k = classes(in.dim(1));
        if (activation == Activation.SOFTMAX) {
            // one fused pass over the logits: Σ_q φ p per (b, c) for all C channels (the softmax
            // needs them all), then the selected classes; mean over the voxels as below
            Var sums = RegionStatistics.weightedSum(input, distanceMaps, checkFinite ? N : null);   // [B, C]
            if (checkMaps) requireFiniteMaps(sums.value(), distanceMaps, in);
            int count = in.size() / (in.dim(0) * in.dim(1));
            Var items = select(sums, k).mul(1f / count);   // [B, |idc|]
            return reduce(items);
        }
        Var probs = switch (activation) {
            case SOFTMAX -> input.softmax(1);
            case SIGMOID -> input.sigmoid();
            case NONE -> input;
        };
        Var p = select(probs, k);
        Tensor phi = select(distanceMaps, k);
        int[] spatialAxes = new int[in.rank() - 2];
        for (int a = 0; a < spatialAxes.length; a++) spatialAxes[a] = a + 2;
        Var items = p.mul(phi).mean(spatialAxes);       // [B, |idc|]
        return reduce(items);
    }

    /**
     * The maps' finiteness check without a pass of its own: every map entry is a term of one sum
     * Σ_q φ p, and p is finite (finite logits; NaN logits were rejected, or are the caller's with
     * checkFinite off), so a NaN or infinite φ makes its sum NaN or infinite (0 · ∞ is NaN where p
     * underflows to 0). Only then are the maps scanned, for the exact answer: huge finite maps can
     * overflow a float sum to infinity, and they are not an error.
     */
    private static void requireFiniteMaps(Tensor sums, Tensor maps, Shape in) {
        for (int i = 0; i < sums.size(); i++) {
            if (!Float.isFinite(sums.at(i))) {
                if (!maps.isFinite()) throw nonFiniteMaps(in);
                return;
            }
        }
    }

    private Var reduce(Var items) {
        return switch (reduction) {
            case MEAN -> items.mean();
            case SUM -> items.sum();
            case NONE -> items;
        };
    }

    /** The loss for a label map {@code [B, *spatial]} (or {@code [B, 1, *spatial]}): maps computed with the configured spacing and convention. */
    @Override
    public Var forward(Var input, LabelTensor labels) {
        Shape in = checkInput(input);
        return compute(input, distanceMaps(labels, in), false);   // maps computed here: finite
    }

    /**
     * The loss for a one-hot (or multi-label 0/1) target {@code [B, C, *spatial]}: channel c's map
     * is computed from the mask {@code target[:, c] == 1}. Not for distance maps: see
     * {@link #forwardWithMaps}.
     */
    @Override
    public Var forward(Var input, Tensor oneHot) {
        Shape in = checkInput(input);
        if (oneHot == null) throw new IllegalArgumentException(N + ": target must not be null");
        if (!oneHot.shape().equals(in)) {
            throw new IllegalArgumentException(N + ": a one-hot target must have the input's shape " + in + ", got " + oneHot.shape()
                    + " (precomputed distance maps go to forwardWithMaps)");
        }
        for (int i = 0; i < oneHot.size(); i++) {
            float v = oneHot.at(i);
            if (v != 0f && v != 1f) {
                throw new IllegalArgumentException(N + ": a one-hot target must hold only 0 and 1, got " + v + " at flat index " + i
                        + " (precomputed distance maps go to forwardWithMaps)");
            }
        }
        double[] sp = checkSpacing(in);
        return compute(input, SignedDistanceMaps.fromOneHot(oneHot, sp, convention), false);
    }

    /**
     * The maps this loss computes for a label map, for precomputing them once per sample (data
     * loader) and calling {@link #forwardWithMaps} during training.
     *
     * @param labels {@code [B, *spatial]} in [0, numClasses)
     * @return {@code [B, numClasses, *spatial]}
     */
    public Tensor distanceMaps(LabelTensor labels, int numClasses) {
        if (labels == null) throw new IllegalArgumentException(N + ": labels must not be null");
        int[] d = labels.shape().dims();
        int[] in = new int[d.length + 1];
        in[0] = d[0];
        in[1] = numClasses;
        System.arraycopy(d, 1, in, 2, d.length - 1);
        return distanceMaps(labels, Shape.of(in));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private Tensor distanceMaps(LabelTensor labels, Shape in) {
        if (labels == null) throw new IllegalArgumentException(N + ": labels must not be null");
        Shape ls = labels.shape();
        if (ls.rank() == in.rank() && ls.dim(1) == 1) {   // [B, 1, *spatial] is accepted too
            labels = labels.reshape(ls.remove(1).dims());
            ls = labels.shape();
        }
        Shape expected = in.remove(1);
        if (!ls.equals(expected)) {
            throw new IllegalArgumentException(N + ": label-map target must be [B, *spatial] = " + expected + " for input " + in
                    + ", got " + ls);
        }
        int c = in.dim(1);
        for (int i = 0; i < labels.size(); i++) {
            int v = labels.at(i);
            if (v < 0 || v >= c) {
                throw new IllegalArgumentException(N + ": labels must be in [0, " + c + "), got " + v + " at flat index " + i
                        + " (ignore labels are not supported: zero φ there in precomputed maps)");
            }
        }
        return SignedDistanceMaps.fromLabels(labels, c, checkSpacing(in), convention);
    }

    private double[] checkSpacing(Shape in) {
        int rank = in.rank() - 2;
        if (spacing != null && spacing.length != rank) {
            throw new IllegalArgumentException(N + ": spacing must have one entry per spatial axis (" + rank + " for input " + in
                    + "), got " + spacing.length + " " + Arrays.toString(spacing));
        }
        return spacing;
    }

    private Shape checkInput(Var input) {
        if (input == null) throw new IllegalArgumentException(N + ": input must not be null");
        Shape in = input.shape();
        if (in.rank() != 4 && in.rank() != 5) {
            throw new IllegalArgumentException(N + ": input must be [B, C, H, W] or [B, C, D, H, W], got " + in);
        }
        if (in.size() == 0) throw new IllegalArgumentException(N + ": input must not be empty, got " + in);
        int c = in.dim(1);
        if (activation == Activation.SOFTMAX && c == 1) {
            throw new IllegalArgumentException(N + ": activation SOFTMAX needs >= 2 channels, got input " + in + " (a single channel: use SIGMOID)");
        }
        // SOFTMAX: checked in the fused pass (compute), while each chunk is in the cache
        if (checkFinite && activation != Activation.SOFTMAX && !input.value().isFinite()) {
            throw new IllegalArgumentException(N + ": input contains NaN or infinity (shape " + in + ")");
        }
        if (activation == Activation.NONE) requireDistributions(input.value());
        classes(c);   // validates an explicit idc against C
        return in;
    }

    /** Activation NONE: values in [0, 1] and, with C >= 2, each voxel's channels summing to 1. */
    private static void requireDistributions(Tensor x) {
        Shape s = x.shape();
        int b = s.dim(0), c = s.dim(1), n = s.size() / (b * c);
        for (int i = 0; i < x.size(); i++) {
            float v = x.at(i);
            if (!(v >= 0f && v <= 1f)) {
                throw new IllegalArgumentException(N + ": activation NONE expects probabilities in [0, 1], got " + v
                        + " at flat index " + i + " (logits? use SOFTMAX or SIGMOID)");
            }
        }
        if (c == 1) return;
        for (int bi = 0; bi < b; bi++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < c; k++) sum += x.at((bi * c + k) * n + j);
                if (!(Math.abs(sum - 1.0) <= SUM_TOLERANCE)) {
                    throw new IllegalArgumentException(N + ": activation NONE expects probabilities summing to 1 over the " + c
                            + " channels, got logits? (sum " + (float) sum + " at sample " + bi + ", voxel " + j + ")");
                }
            }
        }
    }

    /** The selected classes for C channels. */
    private int[] classes(int c) {
        if (idc == null) {
            if (c == 1) return new int[] {0};
            int[] k = new int[c - 1];
            for (int i = 0; i < k.length; i++) k[i] = i + 1;
            return k;
        }
        for (int k : idc) {
            if (k >= c) {
                throw new IllegalArgumentException(N + ": idc entries must be < C = " + c + " (the input's channels), got " + k
                        + " in " + Arrays.toString(idc));
            }
        }
        return idc;
    }

    /** Channels k of [B, C, *] as [B, |k|, *]: one slice when k is a contiguous run, else a concat. */
    private static Var select(Var x, int[] k) {
        if (contiguous(k)) return k.length == x.shape().dim(1) ? x : x.slice(1, k[0], k[0] + k.length);
        Var[] parts = new Var[k.length];
        for (int i = 0; i < k.length; i++) parts[i] = x.slice(1, k[i], k[i] + 1);
        return Var.concat(1, parts);
    }

    private static Tensor select(Tensor x, int[] k) {
        if (contiguous(k)) return k.length == x.shape().dim(1) ? x : x.slice(1, k[0], k[0] + k.length);
        Tensor[] parts = new Tensor[k.length];
        for (int i = 0; i < k.length; i++) parts[i] = x.slice(1, k[i], k[i] + 1);
        return Tensor.concat(1, parts);
    }

    private static boolean contiguous(int[] k) {
        for (int i = 1; i < k.length; i++) if (k[i] != k[i - 1] + 1) return false;
        return true;
    }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, int[]> IDC = LossOption.<Builder>integers("idc", "class ids", LossOption.Range.NON_NEG,
            "Classes the boundary term supervises.", Builder::idc).shown("1..C-1 (all foreground)");
    public static final LossOption<Builder, Convention> CONVENTION = LossOption.choice("convention", Convention.VOXEL_BOUNDARY,
            "Signed distance convention (liviaets: the reference's one_hot2dist).", Builder::convention);
    /** Voxel size [D, H, W] of the distance maps; unit spacing by default. */
    public static final LossOption<Builder, double[]> SPACING = LossOption.<Builder>reals("spacing", "3 entries (D, H, W)", LossOption.Range.POS,
            "Voxel size for the distance maps.", Builder::spacing).shown("unit");

    /** Options of {@link BoundaryLoss}. */
    public static final class Builder {
        Activation activation = Activation.SOFTMAX;
        int[] idc;
        double[] spacing;
        Convention convention = CONVENTION.defaultChoice(Convention.class);
        Reduction reduction = Reduction.MEAN;
        boolean checkFinite = true;

        /** SOFTMAX (default), SIGMOID or NONE (probabilities). */
        public Builder activation(Activation a) {
            if (a == null) throw new IllegalArgumentException(N + ": activation must be one of " + Arrays.toString(Activation.values()) + ", got null");
            activation = a;
            return this;
        }

        /** The supervised classes (the reference's {@code idc}): non-empty, each >= 0, no repeats; checked &lt; C at forward. */
        public Builder idc(int... classes) {
            if (classes == null || classes.length == 0) {
                throw new IllegalArgumentException(N + ": idc must list at least one class, got " + (classes == null ? "null" : "[]"));
            }
            for (int i = 0; i < classes.length; i++) {
                if (classes[i] < 0) throw new IllegalArgumentException(N + ": idc entries must be >= 0, got " + classes[i] + " in " + Arrays.toString(classes));
                for (int j = 0; j < i; j++) {
                    if (classes[j] == classes[i]) {
                        throw new IllegalArgumentException(N + ": idc must not repeat a class, got " + classes[i] + " twice in " + Arrays.toString(classes));
                    }
                }
            }
            idc = classes.clone();
            return this;
        }

        /** Voxel size per spatial axis for maps computed by the loss (default unit); each finite and > 0. */
        public Builder spacing(double... s) {
            spacing = SegmentationLoss.Builder.validSpacing(N, s);
            return this;
        }

        /** VOXEL_BOUNDARY (default) or LIVIAETS (the reference's one_hot2dist). */
        public Builder convention(Convention c) {
            if (c == null) throw new IllegalArgumentException(N + ": convention must be one of " + Arrays.toString(Convention.values()) + ", got null");
            convention = c;
            return this;
        }

        /** MEAN (default; the reference's mean over B × |idc| × voxels), SUM over the items, NONE: {@code [B, |idc|]}. */
        public Builder reduction(Reduction r) {
            if (r == null) throw new IllegalArgumentException(N + ": reduction must be one of " + Arrays.toString(Reduction.values()) + ", got null");
            reduction = r;
            return this;
        }

        /**
         * Reject an input with NaN or infinity (default true; with SOFTMAX checked inside the fused
         * pass, else by a scan); precomputed maps are always checked.
         */
        public Builder checkFinite(boolean v) { checkFinite = v; return this; }

        public BoundaryLoss build() { return new BoundaryLoss(this); }
    }
}
