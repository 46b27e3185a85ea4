package org.segloss.nn;

import org.segloss.autograd.Var;
import org.segloss.tensor.LabelTensor;

/**
 * y = x for x > 0, slope x otherwise (PyTorch's {@code LeakyReLU(negative_slope)}, default 0.01;
 * nnU-Net uses 0.01). Composed: {@code where(x > 0, x, slope x)}, so dx = dy for x > 0, slope dy
 * otherwise (at 0 too, as PyTorch).
 */
public final class LeakyReLU extends Module {
    private final float slope;

    public LeakyReLU() {
        this(0.01f);
    }

    public LeakyReLU(float slope) {
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("LeakyReLU: slope must be finite, got " + slope);
        this.slope = slope;
    }

    public float slope() { return slope; }

    @Override
    public Var forward(Var x) {
        return leakyRelu(x, slope);
    }

    public static Var leakyRelu(Var x, float slope) {
        float[] v = x.value().toArray();
        int[] m = new int[v.length];
        for (int i = 0; i < v.length; i++) m[i] = v[i] > 0 ? 1 : 0;
        return Var.where(LabelTensor.of(m, x.shape().dims()), x, x.mul(slope));
    }
}
