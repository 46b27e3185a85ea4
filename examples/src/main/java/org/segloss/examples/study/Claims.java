package org.segloss.examples.study;

import java.util.List;

/**
 * The papers' claims the study's report checks, each as a paired comparison of two losses of
 * {@code segloss losses} on one metric. A claim whose losses are not both in the study is reported
 * as "not tested", never guessed.
 */
public final class Claims {
    private Claims() {}

    /** What a claim compares. */
    public enum Metric {
        /** Dice of the smallest foreground class (fewest reference voxels over the validation volumes). */
        SMALLEST_DICE("Dice of the smallest class"),
        /** Voxel recall (sensitivity) of the smallest foreground class. */
        SMALLEST_RECALL("voxel recall of the smallest class"),
        /** IoU averaged over the foreground classes of each volume. */
        MEAN_IOU("mean foreground IoU");

        private final String words;

        Metric(String words) { this.words = words; }

        public String words() { return words; }
    }

    /**
     * One claim: {@code better} beats {@code baseline} on {@code metric}.
     *
     * @param id short name
     * @param text the claim as the paper makes it
     * @param source the paper
     * @param better the loss claimed better ({@code segloss losses} name)
     * @param baseline the loss it is compared with
     * @param protocol what the paper's protocol was, where the study differs
     */
    public record Claim(String id, String text, String source, String better, String baseline, Metric metric, String protocol) {}

    /** The pairwise claims, in report order. */
    public static final List<Claim> PAIRWISE = List.of(
            new Claim("focal-tversky-recall", "focal Tversky improves small-lesion recall over Dice",
                    "Abraham and Khan, ISBI 2019 (arXiv 1810.07842, 2018)", "focal-tversky", "dice", Metric.SMALLEST_RECALL,
                    "the paper trains an attention U-Net on breast-ultrasound and skin lesions (BUS 2017, ISIC 2018), false"
                            + " negatives weighted 0.7, gamma 4/3"),
            new Claim("exp-log-smallest", "the exponential logarithmic loss helps the smallest structures",
                    "Wong et al., MICCAI 2018 (arXiv 1809.00076)", "exp-log", "dice", Metric.SMALLEST_DICE,
                    "the paper trains a 3-D network on brain MR images whose structures differ in size by orders of magnitude"),
            new Claim("boundary-small", "generalised Dice + boundary loss beats generalised Dice alone on small structures",
                    "Kervadec et al., MIDL 2019 / MedIA 2021 (arXiv 1812.07032)", "boundary", "generalized-dice", Metric.SMALLEST_DICE,
                    "the paper trains 2-D U-Nets / ENet on ISLES and WMH slices, the boundary weight rising per epoch"),
            new Claim("lovasz-iou", "the Lovász-Softmax loss improves IoU over cross-entropy",
                    "Berman et al., CVPR 2018 (arXiv 1705.08790)", "lovasz-softmax", "cross-entropy", Metric.MEAN_IOU,
                    "the paper fine-tunes networks first trained with cross-entropy (Pascal VOC, Cityscapes)"));

    /** Compound losses for the robustness claim of Ma et al. (Dice + CE, GDL + boundary, the left-atrium composite). */
    public static final List<String> COMPOUND = List.of("dice-ce", "boundary", "left-atrium");

    /** The robustness claim's text and source. */
    public static final String ROBUSTNESS_TEXT = "compound losses such as Dice + CE are the most robust across tasks",
            ROBUSTNESS_SOURCE = "Ma et al., \"Loss odyssey in medical image segmentation\", MedIA 2021 (arXiv 2005.13449)";

    /** The baseline of the paired comparisons. */
    public static final String BASELINE = "dice-ce";
}
