package org.segloss.autograd;

/**
 * A scope in which no graph is recorded (evaluation, optimizer steps, metrics):
 * {@code try (NoGrad ignored = NoGrad.enter()) { ... }}. Scopes nest; per thread.
 */
public final class NoGrad implements AutoCloseable {
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private boolean closed;

    private NoGrad() {}

    /** Turns recording off until the returned scope is closed. */
    public static NoGrad enter() {
        DEPTH.get()[0]++;
        return new NoGrad();
    }

    /** Whether operations record a graph on this thread now. */
    public static boolean gradEnabled() {
        return DEPTH.get()[0] == 0;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            DEPTH.get()[0]--;
        }
    }
}
