package org.segloss.tensor.kernel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one place where segloss uses threads. Work is split over independent output ranges only,
 * never over shared accumulators, so a result cannot depend on the thread count: reductions first
 * cut their data into a fixed partition (independent of the thread count), compute one partial
 * per part here, then combine the partials in a fixed order on the calling thread.
 *
 * <p>The thread count comes from the system property {@value #PROPERTY} (default: available
 * processors) and can be changed with {@link #setThreads(int)}. Calls made from inside a parallel
 * body run serially on that thread, so nesting cannot deadlock.
 */
public final class Parallel {
    public static final String PROPERTY = "segloss.threads";

    /** A body over the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static volatile int threads = initialThreads();
    private static ExecutorService pool;   // guarded by Parallel.class; threads - 1 workers

    private Parallel() {}

    private static int initialThreads() {
        String s = System.getProperty(PROPERTY);
        if (s == null || s.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("Parallel: system property " + PROPERTY
                + " must be a positive integer, got '" + s + "'");
    }

    /** The number of threads that parallel work uses (the caller included). */
    public static int threads() {
        return threads;
    }

    /** Sets the thread count (>= 1) for all later parallel work. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("Parallel.setThreads: n must be >= 1, got " + n);
        if (n == threads) return;
        threads = n;
        if (pool != null) {
            pool.shutdown();
            pool = null;
        }
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            AtomicInteger id = new AtomicInteger();
            ThreadFactory f = r -> {
                Thread t = new Thread(() -> {
                    IN_WORKER.set(true);
                    r.run();
                }, "segloss-worker-" + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(Math.max(1, threads - 1), f);
        }
        return pool;
    }

    /**
     * Runs {@code body} over [0, n) cut into chunks [c * grain, (c + 1) * grain). The chunk
     * boundaries depend on n and grain only, never on the thread count, so even a kernel whose
     * result depends on where a range starts (a vector body with a scalar tail) gives the same
     * bits on 1 or 16 threads. Chunks may run in any order and on any thread, so the bodies must
     * write disjoint outputs.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        if (grain < 1) throw new IllegalArgumentException("Parallel.forRange: grain must be >= 1, got " + grain);
        int count = (int) ((n + (long) grain - 1) / grain);
        if (count == 1) {
            body.run(0, n);
            return;
        }
        forEach(count, c -> {
            int s = c * grain;
            body.run(s, (int) Math.min(n, (long) s + grain));
        });
    }

    /** A body for one part index. */
    @FunctionalInterface
    public interface PartBody {
        void run(int part);
    }

    /** Runs {@code body(i)} once for every i in [0, parts), in parallel. */
    public static void forEach(int parts, PartBody body) {
        if (parts <= 0) return;
        int t = threads;
        if (t == 1 || parts == 1 || IN_WORKER.get()) {
            for (int i = 0; i < parts; i++) body.run(i);
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < parts; ) body.run(i);
        };
        ExecutorService p = pool();
        int helpers = Math.min(t - 1, parts - 1);
        @SuppressWarnings("unchecked")
        Future<?>[] fs = new Future<?>[helpers];
        for (int i = 0; i < helpers; i++) fs[i] = p.submit(worker);
        Throwable failure = null;
        IN_WORKER.set(true);
        try {
            worker.run();
        } catch (Throwable e) {
            failure = e;
        } finally {
            IN_WORKER.set(false);
        }
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
