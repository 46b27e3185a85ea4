package org.segloss.autograd;

import java.util.HashMap;
import java.util.Map;
import org.segloss.tensor.Tensor;

/**
 * What a {@link MultiFunction} keeps between its forward and its backward, like PyTorch's
 * {@code ctx}: saved tensors, other saved values, which inputs need a gradient, and which outputs
 * are not differentiable. Everything saved is dropped right after the backward has run, so a
 * graph can be walked backward only once.
 */
public final class Ctx {
    private final boolean[] needsInputGrad;
    private final boolean recording;
    private Tensor[] saved = new Tensor[0];
    private Map<String, Object> values;
    private boolean[] nonDifferentiable;
    private boolean released;

    Ctx(boolean[] needsInputGrad, boolean recording) {
        this.needsInputGrad = needsInputGrad;
        this.recording = recording;
    }

    /** Whether input {@code i} needs a gradient; backward may return null for it when not. */
    public boolean needsInputGrad(int i) {
        return needsInputGrad[i];
    }

    /** Keeps tensors for the backward (a no-op when no input needs a gradient). */
    public void saveForBackward(Tensor... tensors) {
        if (recording) saved = tensors.clone();
    }

    /** The tensors given to {@link #saveForBackward}, in order. */
    public Tensor[] savedTensors() {
        checkLive();
        return saved.clone();
    }

    /** One saved tensor. */
    public Tensor saved(int i) {
        checkLive();
        return saved[i];
    }

    /** Keeps any other value (an index permutation, a count...) for the backward. */
    public void put(String key, Object value) {
        if (!recording) return;
        if (values == null) values = new HashMap<>();
        values.put(key, value);
    }

    /** A value stored with {@link #put}. */
    @SuppressWarnings("unchecked")
    public <T> T get(String key) {
        checkLive();
        if (values == null || !values.containsKey(key)) {
            throw new IllegalStateException("Ctx.get: nothing was stored under '" + key + "'");
        }
        return (T) values.get(key);
    }

    /**
     * Declares outputs that carry no gradient (indices, counts, masks). Their gradient slot in
     * backward is null, and the {@link Var}s made for them never require a gradient.
     */
    public void markNonDifferentiable(int... outputs) {
        if (nonDifferentiable == null) nonDifferentiable = new boolean[64];
        for (int o : outputs) nonDifferentiable[o] = true;
    }

    boolean isNonDifferentiable(int output) {
        return nonDifferentiable != null && output < nonDifferentiable.length && nonDifferentiable[output];
    }

    void release() {
        saved = null;
        values = null;
        released = true;
    }

    private void checkLive() {
        if (released) {
            throw new IllegalStateException("Ctx: saved tensors were freed after the first backward through this graph;"
                    + " build the graph again to call backward again");
        }
    }
}
