package org.segloss.examples.train;

import org.segloss.examples.unet.LargestComponent;
import org.segloss.tensor.LabelTensor;

/**
 * Post-processing of a predicted label map before it is scored and written. The constants are
 * written as {@code segloss train --postprocess} takes them.
 */
public enum Postprocess {
    /** The argmax map as predicted. */
    none,
    /**
     * Each class keeps its largest 6-connected component ({@link LargestComponent}): right for
     * one-piece structures such as the MNI nuclei, wrong for the phantoms' several lesions.
     */
    largest_component;

    /** This post-processing applied to {@code prediction [D, H, W]} with labels in [0, classes). */
    public LabelTensor apply(LabelTensor prediction, int classes) {
        return this == largest_component ? LargestComponent.apply(prediction, classes) : prediction;
    }
}
