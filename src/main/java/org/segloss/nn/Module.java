package org.segloss.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * A layer or a network of layers, as in PyTorch: it owns {@link Parameter}s and child modules,
 * registered in construction order, and has a training/evaluation mode that reaches every child.
 *
 * <p>{@link #namedParameters()} lists this module's own parameters first, then each child's
 * under {@code childName.}, depth first in registration order: a stable order that optimizers
 * and checkpoints can rely on.
 *
 * <p>A module may also own <em>buffers</em>: float32 tensors that are state but not trainable
 * (BatchNorm3d's running statistics). The module updates them in place, so
 * {@link #namedBuffers()} returns live tensors that a {@link Checkpoint} saves and restores;
 * they are named and ordered like the parameters.
 */
public abstract class Module {
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private boolean training = true;

    /** The forward pass on a batch. */
    public abstract Var forward(Var x);

    /** Registers a parameter of this module; names are unique within the module. */
    protected final Parameter register(Parameter p) {
        checkFree("register", p.name());
        params.put(p.name(), p);
        return p;
    }

    /**
     * Registers a buffer of this module: a tensor of non-trainable state that the module updates
     * in place (never replaces), so that checkpoints can save and restore it. Returns it.
     */
    protected final Tensor registerBuffer(String name, Tensor value) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".registerBuffer: name must be non-empty, got '" + name + "'");
        }
        if (value == null) throw new IllegalArgumentException(getClass().getSimpleName() + ".registerBuffer: buffer '" + name + "' is null");
        checkFree("registerBuffer", name);
        buffers.put(name, value);
        return value;
    }

    private void checkFree(String op, String name) {
        if (params.containsKey(name) || children.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + "." + op + ": name '" + name + "' is already used");
        }
    }

    /** Registers a child module under {@code name}; returns it. */
    protected final <M extends Module> M register(String name, M child) {
        if (child == null) throw new IllegalArgumentException(getClass().getSimpleName() + ".register: child '" + name + "' is null");
        checkFree("register", name);
        children.put(name, child);
        child.setTraining(training);
        return child;
    }

    /** Every parameter, by dotted path, in the stable order described on the class. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (Parameter p : params.values()) out.put(prefix + p.name(), p);
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collect(prefix + e.getKey() + ".", out);
    }

    /**
     * Every buffer, by dotted path, in the order of {@link #namedParameters()} (own buffers
     * first, then each child's, depth first). The tensors are live: writing into them changes
     * the module's state.
     */
    public final Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectBuffers("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collectBuffers(String prefix, Map<String, Tensor> out) {
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) out.put(prefix + e.getKey(), e.getValue());
        for (Map.Entry<String, Module> e : children.entrySet()) e.getValue().collectBuffers(prefix + e.getKey() + ".", out);
    }

    /** Every parameter, in the order of {@link #namedParameters()}. */
    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The direct children, by name, in registration order. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Total number of trainable scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) n += p.value().size();
        return n;
    }

    /** Training mode (batch statistics, dropout on); returns this. */
    public final Module train() {
        setTraining(true);
        return this;
    }

    /** Evaluation mode (running statistics, dropout off); returns this. */
    public final Module eval() {
        setTraining(false);
        return this;
    }

    final void setTraining(boolean on) {
        training = on;
        for (Module m : children.values()) m.setTraining(on);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Forgets the accumulated gradients of every parameter. */
    public final void zeroGrad() {
        for (Parameter p : parameters()) p.zeroGrad();
    }
}
