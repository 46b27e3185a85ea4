package org.segloss.autograd;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import org.segloss.tensor.Tensor;

/**
 * What a {@link MultiFunction} keeps between its forward and its backward, like PyTorch's
 * {@code ctx}: saved tensors, other saved values (under typed {@link Key}s), which inputs need a
 * gradient, and which outputs are not differentiable. Everything saved is dropped right after
 * the backward has run, so a graph can be walked backward only once.
 */
public final class Ctx {
    private final boolean[] needsInputGrad;
    private final boolean recording;
    private final Var[] inputs;
    private Tensor[] saved = new Tensor[0];
    private Map<Key<?>, Object> values;
    private boolean[] nonDifferentiable;
    private boolean[] handedOver;   // per input: backward's gradient is a fresh tensor the caller may keep
    private boolean[] ownedGradOutputs;   // per output, set by the graph before backward: nobody else holds that gradient
    private boolean released;

    Ctx(boolean[] needsInputGrad, boolean recording, Var[] inputs) {
        this.needsInputGrad = needsInputGrad;
        this.recording = recording;
        this.inputs = inputs;
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

    /**
     * The typed name of a value other than a tensor that a function keeps for its backward (a
     * shape, an index permutation, a scratch array). Declare one per value, as a
     * {@code static final} constant of the function that saves it:
     * <pre>{@code
     * // given: Ctx ctx, int[] order
     * Ctx.Key<int[]> permutation = new Ctx.Key<>("permutation");   // a static final field in a function
     * ctx.save(permutation, order);                 // in forward
     * int[] saved = ctx.saved(permutation);         // in backward: typed, no cast
     * }</pre>
     * Keys compare by identity; the name appears in error messages.
     *
     * @param <T> the type of the saved value
     */
    public static final class Key<T> {
        private final String name;

        public Key(String name) {
            this.name = Objects.requireNonNull(name, "Ctx.Key: name must not be null");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Keeps a value other than a tensor for the backward (a no-op when no input needs a gradient). */
    public <T> void save(Key<T> key, T value) {
        if (!recording) return;
        if (values == null) values = new IdentityHashMap<>();
        values.put(key, value);
    }

    /** The value kept with {@link #save(Key, Object)} under {@code key}. */
    public <T> T saved(Key<T> key) {
        checkLive();
        if (values == null || !values.containsKey(key)) {
            throw new IllegalStateException("Ctx.saved: nothing was saved under the key '" + key + "'");
        }
        @SuppressWarnings("unchecked")   // save(Key<T>, T) is the only writer: the value under a Key<T> is a T
        T value = (T) values.get(key);
        return value;
    }

    /**
     * Declares outputs that carry no gradient (indices, counts, masks). Their gradient slot in
     * backward is null, and the {@link Var}s made for them never require a gradient.
     */
    public void markNonDifferentiable(int... outputs) {
        if (nonDifferentiable == null) nonDifferentiable = new boolean[64];
        for (int o : outputs) nonDifferentiable[o] = true;
    }

    /**
     * Declares, from backward, that the gradient it returns for {@code input} is a tensor it has
     * just allocated and keeps no reference to (no saved tensor, no gradOutput, not returned for
     * another input): a leaf that receives it as its first gradient then keeps it instead of a
     * copy (one full-size copy less per step for e.g. the fused softmax losses).
     */
    public void handOverGradient(int input) {
        if (handedOver == null) handedOver = new boolean[needsInputGrad.length];
        handedOver[input] = true;
    }

    /**
     * A tensor of input {@code input}'s shape for the whole gradient of that input, to be written
     * completely and returned from backward with {@link #handOverGradient}: the array that the
     * input, a leaf, let go with {@link Var#recycleGrad} when it has one (taken from the leaf, so
     * no two calls get it), else a new one. Its contents are arbitrary: write every element. May
     * be called in forward too, e.g. to keep the softmax there and turn it into the gradient in
     * place in backward (the array then lives from forward to backward).
     */
    public Tensor gradientOutput(int input) {
        Var in = inputs[input];
        Tensor reused = recording && needsInputGrad[input] && in.isLeaf() ? in.takeRecycledGrad() : null;
        return reused != null ? reused : Tensor.zeros(in.shape());
    }

    /**
     * Whether the gradient of {@code output} given to this backward is the graph's own: a tensor
     * that an earlier backward handed over ({@link #handOverGradient}) or that the graph summed,
     * which nothing else holds and nothing reads after this backward. Backward may then overwrite
     * it, e.g. compute an elementwise input gradient in place and hand that over, instead of a new
     * full-size array. False for the seed of backward() and for gradients not handed over.
     */
    public boolean ownsGradOutput(int output) {
        return ownedGradOutputs != null && ownedGradOutputs[output];
    }

    void ownGradOutputs(boolean[] owned) {
        this.ownedGradOutputs = owned;
    }

    /** Whether backward declared the gradient of {@code input} its own to hand over ({@link #handOverGradient}). */
    boolean isHandedOver(int input) {
        return handedOver != null && handedOver[input];
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
