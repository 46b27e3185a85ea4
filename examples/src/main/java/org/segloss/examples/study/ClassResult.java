package org.segloss.examples.study;

import org.segloss.metrics.ClassMetrics;
import org.segloss.metrics.LesionDetection;

/**
 * The scores of one foreground class on one validation volume: the overlap and distance metrics of
 * {@link org.segloss.metrics.SegmentationMetrics} (distances in mm) with their voxel counts, and
 * the lesion-wise counts of {@link LesionDetection} (26-connected).
 *
 * <p>Empty masks follow {@link ClassMetrics}: both empty → Dice 1 and distances 0 (left out of every
 * mean by {@link #bothEmpty()}); one empty → Dice 0, distances +Infinity.
 */
public record ClassResult(String name, int label, double dice, double iou, double hd95Mm, double assdMm, long truthVoxels,
        long predVoxels, long intersection, int truthComponents, int detectedComponents, int predComponents,
        int falsePositiveComponents) {

    /** The row of one class from its metrics and detection counts. */
    public static ClassResult of(String name, ClassMetrics m, LesionDetection d) {
        return new ClassResult(name, m.label(), m.dice(), m.iou(), m.hd95(), m.assd(), m.truthVoxels(), m.predVoxels(), m.intersection(),
                d.truthComponents(), d.detectedComponents(), d.predComponents(), d.falsePositiveComponents());
    }

    /** Neither prediction nor truth has the class: no information, left out of the means. */
    public boolean bothEmpty() {
        return truthVoxels == 0 && predVoxels == 0;
    }

    /** Voxel-wise sensitivity |A∩B| / |B|; NaN when the truth is empty. */
    public double recall() {
        return truthVoxels == 0 ? Double.NaN : (double) intersection / truthVoxels;
    }

    /** Voxel-wise precision |A∩B| / |A|; NaN when the prediction is empty. */
    public double precision() {
        return predVoxels == 0 ? Double.NaN : (double) intersection / predVoxels;
    }
}
