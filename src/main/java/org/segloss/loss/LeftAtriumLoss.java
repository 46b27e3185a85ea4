package org.segloss.loss;

import java.util.List;

/**
 * The composite loss of Yang et al. 2018 for left-atrium segmentation:
 * {@code L = Dice + λ_ov · Overlap + λ_fp · FocalPositive}.
 *
 * <p><b>Reconstructed from the paper's description; equations not verified against the paper</b>
 * (arXiv 1812.05807, STACOM 2018; spec/losses/left-atrium.md): the abstract names the overlap loss and the
 * focal positive loss but their formulas, hyper-parameters and weights could not be retrieved.
 * Defaults here: λ_ov = λ_fp = 1, soft Dice as {@link DiceLoss} computes it (MONAI defaults),
 * {@link OverlapLoss} without background, {@link FocalPositiveLoss} with γ = 2.
 */
public final class LeftAtriumLoss {
    private LeftAtriumLoss() {}

    // ---- options (LossOption): the composite's weights, declared once ----

    public static final LossOption<Object, Float> LAMBDA_OVERLAP = LossOption.number("lambda-overlap", "1", LossOption.Range.NON_NEG,
            "Weight of the overlap term.", null);
    public static final LossOption<Object, Float> LAMBDA_FOCAL_POSITIVE = LossOption.number("lambda-focal-positive", "1",
            LossOption.Range.NON_NEG, "Weight of the focal-positive term.", null);
    public static final LossOption<FocalPositiveLoss.Builder, Float> GAMMA = FocalPositiveLoss.GAMMA.withDoc("Focal-positive exponent.");
    /** Of the Dice term. */
    public static final LossOption<SegmentationLoss.Builder<?>, Boolean> INCLUDE_BACKGROUND = DiceLoss.INCLUDE_BACKGROUND;
    /** Every option, in the order they are listed; ignore-index is set on every term. */
    public static final List<LossOption<?, ?>> OPTIONS = List.of(LAMBDA_OVERLAP, LAMBDA_FOCAL_POSITIVE, GAMMA, INCLUDE_BACKGROUND,
            SegmentationLoss.IGNORE_INDEX);

    /** The composite with the default weights (1, 1) and default terms. */
    public static WeightedSumLoss create() {
        return create(LAMBDA_OVERLAP.defaultFloat(), LAMBDA_FOCAL_POSITIVE.defaultFloat());
    }

    /** The composite with the given weights of the overlap and focal-positive terms. */
    public static WeightedSumLoss create(float lambdaOverlap, float lambdaFocalPositive) {
        return of(DiceLoss.create(), lambdaOverlap, OverlapLoss.builder().build(),
                lambdaFocalPositive, FocalPositiveLoss.builder().build());
    }

    /** The composite of the given terms (e.g. with an ignore index set on each). */
    public static WeightedSumLoss of(Loss dice, float lambdaOverlap, OverlapLoss overlap,
                                     float lambdaFocalPositive, FocalPositiveLoss focalPositive) {
        return WeightedSumLoss.builder().add(1f, dice).add(lambdaOverlap, overlap)
                .add(lambdaFocalPositive, focalPositive).build();
    }
}
