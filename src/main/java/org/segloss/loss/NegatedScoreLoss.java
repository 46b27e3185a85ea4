package org.segloss.loss;

import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * A named variant for the references that return {@code -score} where segloss returns
 * {@code 1 - score}: nnU-Net's and SegLoss's soft Dice ({@code -mean(dc)}), SegLoss's Tversky
 * ({@code -mean(TI)}) and generalized Dice ({@code -mean(GDS)}). The value is the wrapped loss
 * minus 1; the gradient is the wrapped loss's, unchanged. Only meaningful for a wrapped loss of
 * the form {@code 1 - score} reduced by MEAN (then {@code mean(1 - s) - 1 = -mean(s)}); that is
 * the caller's responsibility, and the loss's name says what it wraps.
 */
public final class NegatedScoreLoss implements Loss {
    private final Loss inner;

    private NegatedScoreLoss(Loss inner) {
        this.inner = inner;
    }

    /** {@code inner - 1}, i.e. {@code -score} for an inner {@code 1 - score} loss. */
    public static NegatedScoreLoss of(Loss inner) {
        if (inner == null) throw new IllegalArgumentException("NegatedScoreLoss.of: inner must not be null");
        return new NegatedScoreLoss(inner);
    }

    public Loss inner() { return inner; }

    @Override
    public Var forward(Var input, LabelTensor target) { return inner.forward(input, target).sub(1f); }

    @Override
    public Var forward(Var input, Tensor target) { return inner.forward(input, target).sub(1f); }

    @Override
    public String name() { return "-score(" + inner.name() + ")"; }
}
