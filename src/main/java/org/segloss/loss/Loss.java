package org.segloss.loss;

import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A segmentation loss. Called as {@code forward(input, target)}, prediction first, as in MONAI
 * and PyTorch. The input is {@code [B, C, *spatial]} with 2-D or 3-D spatial axes. The target is
 * either an integer label map {@code [B, *spatial]} or a one-hot / soft map {@code [B, C,
 * *spatial]}; both forms give the same result. Targets are plain tensors: they never receive a
 * gradient.
 */
public interface Loss {

    /** The loss for a label-map target {@code [B, *spatial]}. */
    Var forward(Var input, LabelTensor target);

    /** The loss for a one-hot (or, where the loss allows it, soft) target {@code [B, C, *spatial]}. */
    Var forward(Var input, Tensor target);

    /** A short name for tables and logs. */
    default String name() {
        return getClass().getSimpleName();
    }
}
