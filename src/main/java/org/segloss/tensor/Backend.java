package org.segloss.tensor;

import org.segloss.tensor.kernel.KernelProvider;
import org.segloss.tensor.kernel.Kernels;

/**
 * Which kernels the tensor operations run on: {@link KernelProvider#get()} unless overridden in a
 * scope (tests and {@code segloss check} compare scalar and vector this way). The override is
 * global, not per thread, because the worker threads of {@code Parallel} must see it too: do not
 * open overlapping scopes from different threads.
 */
public final class Backend {
    private static volatile Kernels override;

    private Backend() {}

    /** The kernels in force. */
    public static Kernels kernels() {
        Kernels k = override;
        return k != null ? k : KernelProvider.get();
    }

    /** Uses {@code k} until the returned scope is closed; scopes nest. */
    public static Scope use(Kernels k) {
        Kernels previous = override;
        override = k;
        return () -> override = previous;
    }

    /** A scope that restores the previous kernels on close. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
