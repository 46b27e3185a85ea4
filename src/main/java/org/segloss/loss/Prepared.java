package org.segloss.loss;

import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The normalised operands of a segmentation loss, after validation, activation, one-hot
 * encoding, ignore masking and background removal.
 *
 * @param probs    probabilities {@code [B, C', *spatial]} (C' = C, or C - 1 without background);
 *                 zero at ignored voxels
 * @param target   one-hot or soft target {@code [B, C', *spatial]}; zero at ignored voxels
 * @param valid    {@code [B, 1, *spatial]}: 1 where a voxel counts, 0 where it is ignored; null
 *                 when nothing is ignored
 * @param labels   the label map {@code [B, *spatial]} when the target was given as labels
 *                 (ignored voxels keep the ignore value), else null
 * @param input    the raw input {@code [B, C, *spatial]} (logits, or probabilities for NONE)
 * @param channelOffset 1 when the background channel was dropped, else 0
 */
public record Prepared(Var probs, Tensor target, Tensor valid, LabelTensor labels, Var input, int channelOffset) {

    /** Batch size B. */
    public int batch() { return probs.shape().dim(0); }

    /** Classes kept, C'. */
    public int classes() { return probs.shape().dim(1); }

    /** The spatial axes of [B, C', *spatial]: 2..rank-1. */
    public int[] spatialAxes() {
        int r = probs.shape().rank();
        int[] ax = new int[r - 2];
        for (int i = 0; i < ax.length; i++) ax[i] = i + 2;
        return ax;
    }

    /** The axes a per-item statistic sums over: spatial, plus the batch axis when pooling. */
    public int[] statisticAxes(boolean batchPooled) {
        int[] sp = spatialAxes();
        if (!batchPooled) return sp;
        int[] ax = new int[sp.length + 1];
        ax[0] = 0;
        System.arraycopy(sp, 0, ax, 1, sp.length);
        return ax;
    }
}
