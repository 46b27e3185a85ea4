package org.segloss.nn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.segloss.autograd.NoGrad;
import org.segloss.tensor.Tensor;

/**
 * Updates parameters in place from their accumulated gradients. Parameters whose gradient is
 * null (no backward reached them) are skipped, as in PyTorch. State (momentum buffers, moments)
 * is kept per parameter in the order given; {@link #state()} and {@link #loadState} export and
 * import it bit for bit, for {@link Checkpoint}s.
 */
public abstract class Optimizer {
    protected final List<Parameter> params;
    protected float lr;

    protected Optimizer(String name, List<Parameter> params, float lr) {
        if (params == null || params.isEmpty()) throw new IllegalArgumentException(name + ": params must not be empty");
        if (!(lr >= 0)) throw new IllegalArgumentException(name + ": lr must be >= 0, got " + lr);
        this.params = List.copyOf(params);
        this.lr = lr;
    }

    public float lr() { return lr; }

    /** Sets the learning rate (for a schedule); returns this. */
    public Optimizer lr(float lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException(getClass().getSimpleName() + ": lr must be >= 0, got " + lr);
        this.lr = lr;
        return this;
    }

    /** One update of every parameter that has a gradient, without recording a graph. */
    public final void step() {
        try (NoGrad ignored = NoGrad.enter()) {
            beginStep();
            for (int i = 0; i < params.size(); i++) {
                Parameter p = params.get(i);
                if (p.grad() != null) update(i, p);
            }
        }
    }

    /** Forgets every parameter's gradient. */
    public final void zeroGrad() {
        for (Parameter p : params) p.zeroGrad();
    }

    /** The parameters this optimizer updates, in its order (the order of {@link OptimizerState#slots()}). */
    public final List<Parameter> parameters() { return params; }

    /** A deep copy of the state: learning rate, hyper-parameters, step count, per-parameter buffers. */
    public abstract OptimizerState state();

    /**
     * Replaces the state with {@code s} (copied): the buffers, the step count and the learning
     * rate. Throws IllegalArgumentException, changing nothing, if {@code s} is of another
     * optimizer type, has other hyper-parameters, another parameter count, or a buffer whose
     * length differs from its parameter's size.
     */
    public abstract void loadState(OptimizerState s);

    /** The settings map for {@link #state()}: lr first, then the hyper-parameters. */
    protected final Map<String, Float> settings(Object... nameValue) {
        Map<String, Float> m = new LinkedHashMap<>();
        m.put("lr", lr);
        for (int i = 0; i < nameValue.length; i += 2) {
            Object v = nameValue[i + 1];
            m.put((String) nameValue[i], v instanceof Boolean b ? (b ? 1f : 0f) : (Float) v);
        }
        return m;
    }

    /**
     * Checks {@code s} against this optimizer (type, settings but lr, parameter count, slot names
     * and lengths) and returns the per-parameter slot arrays, copied, by name in {@code slotNames}
     * order (null where the parameter has none yet).
     */
    protected final float[][][] checkState(OptimizerState s, Map<String, Float> settings, String... slotNames) {
        String me = getClass().getSimpleName();
        if (s == null) throw new IllegalArgumentException(me + ".loadState: state must not be null");
        if (!s.type().equals(me)) {
            throw new IllegalArgumentException(me + ".loadState: state is of optimizer type " + s.type() + ", expected " + me);
        }
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, Float> e : settings.entrySet()) {
            if (e.getKey().equals("lr")) continue;
            Float got = s.settings().get(e.getKey());
            if (got == null) diffs.add(e.getKey() + " is missing (expected " + e.getValue() + ")");
            else if (Float.floatToIntBits(got) != Float.floatToIntBits(e.getValue())) {
                diffs.add(e.getKey() + " is " + got + " in the state but " + e.getValue() + " in this optimizer");
            }
        }
        for (String k : s.settings().keySet()) if (!settings.containsKey(k)) diffs.add("unknown setting " + k);
        Float lr = s.settings().get("lr");
        if (lr == null) diffs.add("lr is missing");
        else if (!(lr >= 0)) diffs.add("lr must be >= 0, got " + lr);
        if (!diffs.isEmpty()) throw new IllegalArgumentException(me + ".loadState: hyper-parameters differ: " + String.join("; ", diffs));
        if (s.slots().size() != params.size()) {
            throw new IllegalArgumentException(me + ".loadState: state has " + s.slots().size() + " parameters, expected " + params.size());
        }
        float[][][] out = new float[slotNames.length][params.size()][];
        for (int i = 0; i < params.size(); i++) {
            Map<String, float[]> slot = s.slots().get(i);
            if (slot.isEmpty()) continue;
            if (!slot.keySet().equals(new java.util.HashSet<>(List.of(slotNames)))) {
                throw new IllegalArgumentException(me + ".loadState: parameter " + i + " has buffers " + slot.keySet()
                        + ", expected " + List.of(slotNames) + " or none");
            }
            int n = params.get(i).value().size();
            for (int k = 0; k < slotNames.length; k++) {
                float[] a = slot.get(slotNames[k]);
                if (a.length != n) {
                    throw new IllegalArgumentException(me + ".loadState: buffer '" + slotNames[k] + "' of parameter " + i + " ("
                            + params.get(i) + ") has " + a.length + " values, expected " + n);
                }
                out[k][i] = a.clone();
            }
        }
        return out;
    }

    /** Called once per step before the updates. */
    protected void beginStep() {}

    /** Updates parameter i in place. */
    protected abstract void update(int i, Parameter p);

    /** p += delta, elementwise (delta: a fresh [size] array). */
    protected static void addInPlace(Parameter p, float[] delta) {
        p.value().addi(Tensor.wrap(delta, p.shape().dims()));
    }
}
