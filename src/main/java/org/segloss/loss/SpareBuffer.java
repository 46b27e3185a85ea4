package org.segloss.loss;

import java.util.concurrent.atomic.AtomicReference;

/**
 * One float array that a loss's backward pass hands back for its next forward pass: a per-voxel
 * buffer kept from forward to backward (exp-log's slope, {@code [B, *spatial]}: 2 MiB at
 * {@code [2, 64³]}) then costs no fresh zeroed array per training step. The JVM zeroes a new array
 * on the allocating thread alone, before the parallel pass that overwrites it anyway, and such
 * arrays fill the young generation (exp-log at {@code [2, 4, 64³]}, two threads: 6 % of its best
 * forward + backward time and 9 % of its mean, spec/performance.md).
 *
 * <p>Ownership is exclusive: {@link #take} removes the spare, so two graphs built before either
 * runs backward (or two threads sharing a loss) never get the same array; a graph that never runs
 * backward keeps its array, and the next take allocates a new one. The caller must write every
 * element of what it takes (the contents are a previous step's).
 */
final class SpareBuffer {
    private final AtomicReference<float[]> spare = new AtomicReference<>();

    /** An array of exactly n floats with arbitrary contents: the spare when it has n floats, else a new one. */
    float[] take(int n) {
        float[] a = spare.getAndSet(null);
        return a != null && a.length == n ? a : new float[n];
    }

    /** Hands a back for a later {@link #take}, once nothing reads it any more (the end of backward). */
    void give(float[] a) {
        spare.set(a);
    }
}
