package org.segloss.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW} (no amsgrad). Step t
 * (from 1), per element, with g the gradient:
 * <pre>
 * p = p (1 - lr weightDecay)
 * m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 * p = p - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Defaults: beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.01.
 */
public final class AdamW extends Optimizer {
    private final float beta1, beta2, eps, weightDecay;
    private final float[][] m, v;
    private int t;

    public AdamW(List<Parameter> params, float lr) {
        this(params, lr, 0.9f, 0.999f, 1e-8f, 0.01f);
    }

    public AdamW(List<Parameter> params, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super("AdamW", params, lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("AdamW: beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("AdamW: beta2 must be in [0, 1), got " + beta2);
        if (!(eps >= 0)) throw new IllegalArgumentException("AdamW: eps must be >= 0, got " + eps);
        if (!(weightDecay >= 0)) throw new IllegalArgumentException("AdamW: weightDecay must be >= 0, got " + weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new float[this.params.size()][];
        this.v = new float[this.params.size()][];
    }

    /** Steps taken so far. */
    public int steps() { return t; }

    /** State: settings lr, beta1, beta2, eps, weightDecay; slots "m", "v"; steps t. */
    @Override
    public OptimizerState state() {
        List<Map<String, float[]>> slots = new ArrayList<>(params.size());
        for (int i = 0; i < m.length; i++) {
            Map<String, float[]> s = new LinkedHashMap<>();
            if (m[i] != null) {
                s.put("m", m[i]);
                s.put("v", v[i]);
            }
            slots.add(s);
        }
        return new OptimizerState("AdamW", t, settings(), slots);
    }

    @Override
    public void loadState(OptimizerState s) {
        float[][][] mv = checkState(s, settings(), "m", "v");
        if (s.steps() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("AdamW.loadState: steps must be <= " + Integer.MAX_VALUE + ", got " + s.steps());
        }
        System.arraycopy(mv[0], 0, m, 0, m.length);
        System.arraycopy(mv[1], 0, v, 0, v.length);
        t = (int) s.steps();
        lr = s.settings().get("lr");
    }

    private Map<String, Float> settings() {
        return settings("beta1", beta1, "beta2", beta2, "eps", eps, "weightDecay", weightDecay);
    }

    @Override
    protected void beginStep() {
        t++;
    }

    @Override
    protected void update(int i, Parameter p) {
        float[] g = p.grad().toArray();
        if (m[i] == null) {
            m[i] = new float[g.length];
            v[i] = new float[g.length];
        }
        if (weightDecay != 0) p.value().muli(1f - lr * weightDecay);
        float[] mi = m[i], vi = v[i], delta = new float[g.length];
        double bc1 = 1 - Math.pow(beta1, t), bc2 = Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (lr / bc1);
        for (int j = 0; j < g.length; j++) {
            mi[j] = beta1 * mi[j] + (1 - beta1) * g[j];
            vi[j] = beta2 * vi[j] + (1 - beta2) * g[j] * g[j];
            float denom = (float) (Math.sqrt(vi[j]) / bc2) + eps;
            delta[j] = -stepSize * mi[j] / denom;
        }
        addInPlace(p, delta);
    }
}
