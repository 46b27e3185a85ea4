package org.segloss.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum, Nesterov and weight decay, PyTorch's
 * {@code torch.optim.SGD} (dampening 0). Per element, with g the gradient:
 * <pre>
 * g = g + weightDecay p                          (L2, coupled)
 * b = g on the first step, else momentum b + g   (when momentum != 0)
 * g = nesterov ? g + momentum b : b              (when momentum != 0)
 * p = p - lr g
 * </pre>
 * Defaults: momentum 0, Nesterov off, weight decay 0 (nnU-Net: lr 1e-2, momentum 0.99, Nesterov, 3e-5).
 */
public final class SGD extends Optimizer {
    private final float momentum, weightDecay;
    private final boolean nesterov;
    private final float[][] buf;

    public SGD(List<Parameter> params, float lr) {
        this(params, lr, 0f, false, 0f);
    }

    public SGD(List<Parameter> params, float lr, float momentum, boolean nesterov, float weightDecay) {
        super("SGD", params, lr);
        if (!(momentum >= 0)) throw new IllegalArgumentException("SGD: momentum must be >= 0, got " + momentum);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("SGD: weightDecay must be >= 0, got " + weightDecay);
        if (nesterov && momentum == 0) throw new IllegalArgumentException("SGD: nesterov needs momentum > 0, got momentum 0");
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        this.buf = new float[this.params.size()][];
    }

    /** State: settings lr, momentum, nesterov (0/1), weightDecay; slot "momentum_buffer"; steps 0. */
    @Override
    public OptimizerState state() {
        List<Map<String, float[]>> slots = new ArrayList<>(params.size());
        for (float[] b : buf) {
            Map<String, float[]> m = new LinkedHashMap<>();
            if (b != null) m.put("momentum_buffer", b);
            slots.add(m);
        }
        return new OptimizerState("SGD", 0, settings(), slots);
    }

    @Override
    public void loadState(OptimizerState s) {
        float[][][] b = checkState(s, settings(), "momentum_buffer");
        System.arraycopy(b[0], 0, buf, 0, buf.length);
        lr = s.settings().get("lr");
    }

    private Map<String, Float> settings() {
        return settings("momentum", momentum, "nesterov", nesterov, "weightDecay", weightDecay);
    }

    @Override
    protected void update(int i, Parameter p) {
        float[] g = p.grad().toArray(), w = p.value().toArray();
        if (weightDecay != 0) for (int j = 0; j < g.length; j++) g[j] += weightDecay * w[j];
        if (momentum != 0) {
            if (buf[i] == null) {
                buf[i] = g.clone();
            } else {
                float[] b = buf[i];
                for (int j = 0; j < g.length; j++) b[j] = momentum * b[j] + g[j];
            }
            float[] b = buf[i];
            for (int j = 0; j < g.length; j++) g[j] = nesterov ? g[j] + momentum * b[j] : b[j];
        }
        for (int j = 0; j < g.length; j++) g[j] *= -lr;
        addInPlace(p, g);
    }
}
