package org.segloss.nn;

import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Instance normalisation, as PyTorch's {@code InstanceNorm3d(C, eps=1e-5, affine=True)} (nnU-Net's
 * choice): each (b, c) slice of x {@code [B, C, D, H, W]} is normalised by its own mean and biased
 * variance, then scaled by gamma[c] and shifted by beta[c]. Same in training and evaluation (no
 * running statistics). Formulas: {@link NormOp}. Init: gamma = 1, beta = 0.
 */
public final class InstanceNorm3d extends Module {
    private final int channels;
    private final float eps;
    private final Parameter gamma, beta;   // null when not affine
    private final Var one, zero;

    public InstanceNorm3d(int channels) {
        this(channels, 1e-5f, true);
    }

    public InstanceNorm3d(int channels, float eps, boolean affine) {
        this.channels = Checks.positive("InstanceNorm3d", "channels", channels);
        if (!(eps > 0)) throw new IllegalArgumentException("InstanceNorm3d: eps must be > 0, got " + eps);
        this.eps = eps;
        this.gamma = affine ? register(new Parameter("weight", Tensor.ones(channels))) : null;
        this.beta = affine ? register(new Parameter("bias", Tensor.zeros(channels))) : null;
        this.one = Var.constant(Tensor.ones(channels));
        this.zero = Var.constant(Tensor.zeros(channels));
    }

    public Parameter weight() { return gamma; }

    public Parameter bias() { return beta; }

    @Override
    public Var forward(Var x) {
        Checks.volume("InstanceNorm3d", "x", x.shape(), channels);
        return new NormOp(true, eps, null, null).apply(x, gamma == null ? one : gamma.var(), beta == null ? zero : beta.var());
    }

    /**
     * {@code LeakyReLU(slope)} of {@link #forward} as one op (see {@link NormOp}): the same value
     * and gradients, bit for bit, as {@code LeakyReLU.leakyRelu(forward(x), slope)}.
     */
    Var forwardLeakyRelu(Var x, float slope) {
        Checks.volume("InstanceNorm3d", "x", x.shape(), channels);
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("InstanceNorm3d: slope must be finite, got " + slope);
        return new NormOp(true, eps, null, null, slope).apply(x, gamma == null ? one : gamma.var(), beta == null ? zero : beta.var());
    }
}
