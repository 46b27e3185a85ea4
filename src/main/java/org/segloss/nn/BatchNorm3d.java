package org.segloss.nn;

import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Batch normalisation, as PyTorch's {@code BatchNorm3d(C, eps=1e-5, momentum=0.1)}: x
 * {@code [B, C, D, H, W]} is normalised per channel over (B, D, H, W), then scaled by gamma[c]
 * and shifted by beta[c]. Formulas: {@link NormOp}.
 * <ul>
 * <li>Training: batch mean and biased variance normalise; the running statistics move toward
 *     them: {@code rm = (1 - momentum) rm + momentum mean},
 *     {@code rv = (1 - momentum) rv + momentum var * N / (N - 1)} (unbiased, as PyTorch; N =
 *     B*D*H*W). They are updated on every training forward, also under NoGrad.</li>
 * <li>Evaluation: the running statistics normalise, and are constants for the gradient.</li>
 * </ul>
 * Init: gamma = 1, beta = 0, running mean 0, running variance 1. The running statistics are
 * buffers ({@link Module#namedBuffers()}) named {@code running_mean} and {@code running_var}, as
 * in PyTorch, so checkpoints keep them.
 */
public final class BatchNorm3d extends Module {
    private final int channels;
    private final float eps, momentum;
    private final Parameter gamma, beta;
    private final float[] runningMean, runningVar;

    public BatchNorm3d(int channels) {
        this(channels, 1e-5f, 0.1f);
    }

    public BatchNorm3d(int channels, float eps, float momentum) {
        this.channels = Checks.positive("BatchNorm3d", "channels", channels);
        if (!(eps > 0)) throw new IllegalArgumentException("BatchNorm3d: eps must be > 0, got " + eps);
        if (!(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm3d: momentum must be in [0, 1], got " + momentum);
        }
        this.eps = eps;
        this.momentum = momentum;
        this.gamma = register(new Parameter("weight", Tensor.ones(channels)));
        this.beta = register(new Parameter("bias", Tensor.zeros(channels)));
        this.runningMean = new float[channels];
        this.runningVar = new float[channels];
        java.util.Arrays.fill(runningVar, 1f);
        // Tensor.wrap shares the arrays: the buffers see every update, and a restored value
        // written into a buffer is what forward reads.
        registerBuffer("running_mean", Tensor.wrap(runningMean, channels));
        registerBuffer("running_var", Tensor.wrap(runningVar, channels));
    }

    public Parameter weight() { return gamma; }

    public Parameter bias() { return beta; }

    /** A copy of the running mean [C]. */
    public Tensor runningMean() { return Tensor.of(runningMean, channels); }

    /** A copy of the running (unbiased) variance [C]. */
    public Tensor runningVar() { return Tensor.of(runningVar, channels); }

    @Override
    public Var forward(Var x) {
        Checks.volume("BatchNorm3d", "x", x.shape(), channels);
        if (!isTraining()) {
            return new NormOp(false, eps, runningMean.clone(), runningVar.clone()).apply(x, gamma.var(), beta.var());
        }
        long n = x.shape().size() / channels;
        if (n < 2) {
            throw new IllegalArgumentException("BatchNorm3d: training needs more than 1 value per channel, got shape " + x.shape());
        }
        NormOp op = new NormOp(false, eps, null, null);
        Var y = op.apply(x, gamma.var(), beta.var());
        for (int c = 0; c < channels; c++) {
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * op.batchMean[c];
            runningVar[c] = (float) ((1 - momentum) * runningVar[c] + momentum * (double) op.batchVar[c] * n / (n - 1));
        }
        return y;
    }
}
