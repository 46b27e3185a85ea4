package org.segloss.examples.unet;

import org.segloss.metrics.ConnectedComponents;
import org.segloss.tensor.LabelTensor;

/**
 * Post-processing of a label map: per foreground class, keep only the largest 6-connected
 * component and set the voxels of the other components to the background (0).
 *
 * <p>Why: a small network trained on one brain predicts scattered islands of a structure's
 * intensity elsewhere (cortex that looks like putamen). A handful of islands barely moves the
 * Dice but sets the 95th-percentile Hausdorff distance to the distance of the islands. When every
 * class is one connected structure (each deep grey-matter nucleus of one hemisphere; the
 * phantoms' organ and structure), keeping the largest component is the rule nnU-Net's
 * post-processing applies when it helps on validation (Isensee et al., Nature Methods 2021). The
 * phantoms' lesions are several balls, so the rule would delete all but one: do not use it there.
 *
 * <p>Shapes: labels {@code [D, H, W]}. Ties between components of equal size keep the one whose
 * first voxel comes first in memory order, so the result is deterministic. The labelling is
 * {@link ConnectedComponents} (6-connected here: faces only).
 */
public final class LargestComponent {
    private LargestComponent() {}

    /** A copy of {@code labels [D, H, W]} with every class 1..classes-1 reduced to its largest 6-connected component. */
    public static LabelTensor apply(LabelTensor labels, int classes) {
        if (labels.shape().rank() != 3) {
            throw new IllegalArgumentException("LargestComponent.apply: labels must have rank 3 [D, H, W], got " + labels.shape());
        }
        if (classes < 2) throw new IllegalArgumentException("LargestComponent.apply: classes must be >= 2, got " + classes);
        int d = labels.shape().dim(0), h = labels.shape().dim(1), w = labels.shape().dim(2);
        int[] lab = labels.toArray();
        for (int v : lab) {
            if (v < 0 || v >= classes) {
                throw new IllegalArgumentException("LargestComponent.apply: labels must be in [0, " + classes + "), got " + v);
            }
        }
        ConnectedComponents components = ConnectedComponents.label(lab, new int[] {d, h, w}, 6);
        int[] keep = new int[classes];         // component id kept per class (the first largest: ids follow memory order)
        for (int id = 1; id <= components.count(); id++) {
            int c = components.value(id);
            if (keep[c] == 0 || components.size(id) > components.size(keep[c])) keep[c] = id;
        }
        int[] out = lab.clone();
        for (int i = 0; i < out.length; i++) {
            if (out[i] != 0 && components.componentOf(i) != keep[out[i]]) out[i] = 0;
        }
        return LabelTensor.of(out, d, h, w);
    }
}
