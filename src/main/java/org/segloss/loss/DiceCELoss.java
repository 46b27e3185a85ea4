package org.segloss.loss;

import java.util.Arrays;
import java.util.List;
import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Dice + cross-entropy, as MONAI's {@code DiceCELoss} and nnU-Net's {@code DC_and_CE_loss}
 * combine them: {@code L = lambdaDice · Dice + lambdaCe · CE} on the same logits.
 *
 * <p>Adapted from MONAI {@code monai/losses/dice.py} {@code DiceCELoss} and nnU-Net v2
 * {@code nnunetv2/training/loss/compound_losses.py} (Isensee et al., nnU-Net, Nature Methods
 * 2021, arXiv 1809.10486); spec/losses/dice-ce.md. The Dice part is a {@link DiceLoss} (softmax of the
 * logits; {@code includeBackground}, {@code smoothNr}, {@code smoothDr}, {@code squaredPred},
 * {@code jaccard} and {@code batch} apply to it only), the CE part a {@link CrossEntropyLoss}
 * (always over every class). {@code weight} (C entries, background included) weights the CE
 * classes and the Dice items: the Dice part gets {@code weight[1:]} when the background is
 * excluded, which is MONAI's rule (MONAI #7729 documents the confusion that a C - 1 entry
 * weight caused; here the length is always C). {@code labelSmoothing} applies to the CE part;
 * {@code ignoreIndex} to both (Dice masks p and g, CE drops the voxels; with every voxel ignored
 * the CE part is 0, as nnU-Net skips it).
 *
 * <p>Presets: {@link #monai()} (lambdas 1, 1; background included; MONAI's Dice defaults) and
 * {@link #nnUnet(boolean)} (Dice without background, smoothing 1e-5, optional batch Dice; note
 * nnU-Net adds {@code -mean Dice}, not {@code 1 - mean Dice}: the gradients are identical and
 * the values differ by the constant {@code lambdaDice}).
 *
 * <p>Input logits {@code [B, C, *spatial]} (SOFTMAX only); reduction MEAN or SUM, applied to both
 * parts (NONE is rejected: the parts have different shapes).
 */
public final class DiceCELoss implements Loss {
    private final DiceLoss dice;
    private final CrossEntropyLoss ce;
    private final float lambdaDice, lambdaCe;

    private DiceCELoss(Builder b) {
        this.lambdaDice = b.lambdaDice;
        this.lambdaCe = b.lambdaCe;
        DiceLoss.Builder d = DiceLoss.builder().includeBackground(b.includeBackground).smoothNr(b.smoothNr)
                .smoothDr(b.smoothDr).squaredPred(b.squaredPred).jaccard(b.jaccard).batch(b.batch)
                .reduction(b.reduction);
        CrossEntropyLoss.Builder c = CrossEntropyLoss.builder().labelSmoothing(b.labelSmoothing).reduction(b.reduction);
        if (b.ignoreIndex != SegmentationLoss.NO_IGNORE) {
            d.ignoreIndex(b.ignoreIndex);
            c.ignoreIndex(b.ignoreIndex);
        }
        if (b.weight != null) {
            c.weight(b.weight);
            d.weight(b.includeBackground ? b.weight : Arrays.copyOfRange(b.weight, 1, b.weight.length));
        }
        this.dice = d.build();
        this.ce = c.build();
    }

    public static Builder builder() { return new Builder(); }

    /** MONAI's DiceCELoss defaults. */
    public static DiceCELoss monai() { return builder().build(); }

    /** nnU-Net's softmax trainer: Dice without background, smoothing 1e-5, batch Dice as planned. */
    public static DiceCELoss nnUnet(boolean batchDice) {
        return builder().includeBackground(false).batch(batchDice).build();
    }

    /** The Dice part. */
    public DiceLoss dice() { return dice; }

    /** The cross-entropy part. */
    public CrossEntropyLoss crossEntropy() { return ce; }

    @Override
    public Var forward(Var input, LabelTensor target) {
        checkWeightLength(input);
        return combine(dice.forward(input, target), ce.forward(input, target));
    }

    @Override
    public Var forward(Var input, Tensor target) {
        checkWeightLength(input);
        return combine(dice.forward(input, target), ce.forward(input, target));
    }

    private void checkWeightLength(Var input) {
        float[] w = ce.weight();
        int c = input.shape().rank() >= 2 ? input.shape().dim(1) : -1;
        if (w != null && w.length != c) {
            throw new IllegalArgumentException("DiceCELoss: weight must have one entry per class, C = " + c
                    + " (background included; the Dice part uses weight[1:] when it excludes the background), got " + w.length);
        }
    }

    private Var combine(Var d, Var c) {
        return d.mul(lambdaDice).add(c.mul(lambdaCe));
    }

    @Override
    public String name() { return "DiceCELoss"; }

    // ---- options (LossOption): declared once; the builder's defaults come from here ----

    public static final LossOption<Builder, Boolean> INCLUDE_BACKGROUND = LossOption.bool("include-background", true,
            SegmentationLoss.INCLUDE_BACKGROUND_DOC + " (Dice part only; MONAI's DiceCELoss default; the CE always uses every class).",
            Builder::includeBackground);
    public static final LossOption<Builder, Boolean> BATCH = LossOption.bool("batch", false, RegionLossBuilder.BATCH_ITEMS_DOC,
            Builder::batch);
    public static final LossOption<Builder, Float> SMOOTH_NR = RegionLossBuilder.SMOOTH_NR.on(Builder::smoothNr);
    public static final LossOption<Builder, Float> SMOOTH_DR = RegionLossBuilder.SMOOTH_DR.on(Builder::smoothDr);
    public static final LossOption<Builder, Boolean> SQUARED_PRED = LossOption.bool("squared-pred", false,
            "Dice part: squared terms in the denominator (V-Net form).", Builder::squaredPred);
    public static final LossOption<Builder, Boolean> JACCARD = LossOption.bool("jaccard", false,
            "Dice part: the Jaccard form 1 - (2I + s)/(2U + s).", Builder::jaccard);
    public static final LossOption<Builder, Float> LAMBDA_DICE = LossOption.number("lambda-dice", "1", LossOption.Range.NON_NEG,
            "Weight of the Dice part.", Builder::lambdaDice);
    public static final LossOption<Builder, Float> LAMBDA_CE = LossOption.number("lambda-ce", "1", LossOption.Range.NON_NEG,
            "Weight of the cross-entropy part.", Builder::lambdaCe);
    public static final LossOption<Builder, Float> LABEL_SMOOTHING = CrossEntropyLoss.LABEL_SMOOTHING.on(Builder::labelSmoothing)
            .withDoc("Cross-entropy label smoothing epsilon.");
    public static final LossOption<Builder, float[]> WEIGHT = LossOption.numbers("weight", "C entries", LossOption.Range.NON_NEG,
            "CE class weights, and weight[1:] for the Dice items without background.", Builder::weight);
    public static final LossOption<Builder, Integer> IGNORE_INDEX = SegmentationLoss.IGNORE_INDEX.on(Builder::ignoreIndex);
    public static final LossOption<Builder, Reduction> REDUCTION = SegmentationLoss.REDUCTION.on(Builder::reduction);
    /** Every option, in the order they are listed. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(INCLUDE_BACKGROUND, BATCH, SMOOTH_NR, SMOOTH_DR, SQUARED_PRED, JACCARD,
            LAMBDA_DICE, LAMBDA_CE, LABEL_SMOOTHING, WEIGHT, IGNORE_INDEX, REDUCTION);

    /** Options of {@link DiceCELoss}, MONAI's defaults ({@link #OPTIONS}). */
    public static final class Builder {
        float lambdaDice = LAMBDA_DICE.defaultFloat(), lambdaCe = LAMBDA_CE.defaultFloat();
        boolean includeBackground = INCLUDE_BACKGROUND.defaultBoolean(), squaredPred = SQUARED_PRED.defaultBoolean(),
                jaccard = JACCARD.defaultBoolean(), batch = BATCH.defaultBoolean();
        // checked by DiceLoss.Builder and CrossEntropyLoss.Builder when the parts are built
        float smoothNr = SMOOTH_NR.defaultFloat(), smoothDr = SMOOTH_DR.defaultFloat(), labelSmoothing = LABEL_SMOOTHING.defaultFloat();
        int ignoreIndex = SegmentationLoss.NO_IGNORE;
        float[] weight;
        Reduction reduction = REDUCTION.defaultChoice(Reduction.class);

        /** Weight of the Dice part, finite and >= 0 (default 1). */
        public Builder lambdaDice(float v) { lambdaDice = lambda("lambdaDice", v); return this; }

        /** Weight of the cross-entropy part, finite and >= 0 (default 1). */
        public Builder lambdaCe(float v) { lambdaCe = lambda("lambdaCe", v); return this; }

        /** Dice part only: whether class 0 enters the Dice (default true). */
        public Builder includeBackground(boolean v) { includeBackground = v; return this; }

        /** Dice part: numerator term (default 1e-5; {@link RegionLossBuilder#smoothNr}). */
        public Builder smoothNr(float v) { smoothNr = v; return this; }

        /** Dice part: denominator term (default 1e-5; {@link RegionLossBuilder#smoothDr}). */
        public Builder smoothDr(float v) { smoothDr = v; return this; }

        /** Dice part: squared denominators. */
        public Builder squaredPred(boolean v) { squaredPred = v; return this; }

        /** Dice part: the Jaccard form. */
        public Builder jaccard(boolean v) { jaccard = v; return this; }

        /** Dice part: batch Dice. */
        public Builder batch(boolean v) { batch = v; return this; }

        /** CE part: label smoothing ε in [0, 1). */
        public Builder labelSmoothing(float v) { labelSmoothing = v; return this; }

        /** Both parts: the ignored label. */
        public Builder ignoreIndex(int v) { ignoreIndex = v; return this; }

        /** C class weights (background included): CE weights, and the Dice items' weights. */
        public Builder weight(float... w) { weight = w == null ? null : w.clone(); return this; }

        /** MEAN (default) or SUM, for both parts. */
        public Builder reduction(Reduction r) {
            if (r != Reduction.MEAN && r != Reduction.SUM) {
                throw new IllegalArgumentException("DiceCELoss: reduction must be MEAN or SUM (the parts have different"
                        + " unreduced shapes), got " + r);
            }
            reduction = r;
            return this;
        }

        private static float lambda(String name, float v) {
            if (!(v >= 0f) || Float.isInfinite(v)) {
                throw new IllegalArgumentException("DiceCELoss: " + name + " must be finite and >= 0, got " + v);
            }
            return v;
        }

        public DiceCELoss build() {
            if (lambdaDice == 0f && lambdaCe == 0f) {
                throw new IllegalArgumentException("DiceCELoss: lambdaDice and lambdaCe must not both be 0");
            }
            if (weight != null && !includeBackground && weight.length < 2) {
                throw new IllegalArgumentException("DiceCELoss: weight must have C >= 2 entries when the Dice part excludes"
                        + " the background, got " + weight.length);
            }
            return new DiceCELoss(this);
        }
    }
}
