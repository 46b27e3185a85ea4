package org.segloss.nn;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Arrays a layer keeps from its forward to its backward and owns alone (Conv3d's zero-padded
 * input, a norm's normalised input x̂), handed back when the backward has used them (or at once by
 * a forward without a gradient) so that the next step's forward takes them again instead of a new
 * zeroed array: allocating and zeroing a few MiB of memory the caches have not seen costs about as
 * much as the layer's own pass over it. One pool per thread (a training run forwards and backwards
 * on its own thread; side-by-side runs each have theirs), holding at most {@value #CAP_BYTES}
 * bytes; an array taken from it holds arbitrary values: the taker writes every element.
 *
 * <p>Only for arrays no Tensor, Var or caller ever sees: a layer's outputs and gradients escape to
 * the graph and the user, and are never pooled.
 */
final class ScratchPool {
    /** Bytes a thread's pool keeps at most: the internal arrays of a few steps of the example U-Net. */
    static final long CAP_BYTES = 256L << 20;

    private static final ThreadLocal<ScratchPool> POOL = ThreadLocal.withInitial(ScratchPool::new);

    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long bytes;

    private ScratchPool() {}

    /** An array of exactly n floats with arbitrary contents: one handed back on this thread, or a new one. */
    static float[] take(int n) {
        ScratchPool p = POOL.get();
        ArrayDeque<float[]> q = p.free.get(n);
        float[] a = q == null ? null : q.poll();
        if (a == null) return new float[n];
        p.bytes -= 4L * n;
        return a;
    }

    /** Hands back an array its owner will not read or write again; kept while the pool has room. */
    static void give(float[] a) {
        ScratchPool p = POOL.get();
        if (p.bytes + 4L * a.length > CAP_BYTES) return;
        p.free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        p.bytes += 4L * a.length;
    }

    /** Bytes held by this thread's pool (for tests). */
    static long heldBytes() {
        return POOL.get().bytes;
    }
}
