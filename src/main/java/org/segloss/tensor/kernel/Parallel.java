package org.segloss.tensor.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

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
    private static Pool pool;   // guarded by Parallel.class; threads - 1 workers

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

    private static synchronized Pool pool() {
        if (pool == null) pool = new Pool(threads - 1);
        return pool;
    }

    /**
     * One parallel call over parts [0, parts): each of the {@code threads} participants owns a
     * contiguous run of parts and takes them in order, then helps with the others' runs; completion
     * is counted. Contiguous runs keep each thread streaming through neighbouring memory (its own
     * half of a tensor on 2 threads) instead of every other chunk, which the hardware prefetchers
     * follow better; which thread runs a part never changes a result (the parts write disjoint
     * outputs, and reductions combine their partials in part order on the calling thread).
     */
    private static final class Job {
        /** Ints between two runs' counters in {@link #next}: 64 bytes, one cache line. */
        static final int COUNTER_STRIDE = 16;

        final PartBody body;
        final int parts;
        final int[] ends;                                   // run r is [r == 0 ? 0 : ends[r - 1], ends[r])
        /**
         * Run r's next part at index r * COUNTER_STRIDE: each counter on a cache line of its own, so
         * the threads taking parts of their own runs do not bounce one line between the cores.
         */
        final AtomicIntegerArray next;
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(PartBody body, int parts, int runs) {
            this.body = body;
            this.parts = parts;
            this.ends = new int[runs];
            this.next = new AtomicIntegerArray(runs * COUNTER_STRIDE);
            for (int r = 0; r < runs; r++) {
                ends[r] = (int) ((long) parts * (r + 1) / runs);
                next.set(r * COUNTER_STRIDE, (int) ((long) parts * r / runs));
            }
        }

        /**
         * Participant {@code who}'s own run first, then the others' in turn. The parts it ran are
         * counted into {@code finished} once, at the end: one shared atomic add per participant
         * rather than per part (a counter that both threads increment per part bounces its cache
         * line between the cores, which cost as much as a small part itself).
         */
        void work(int who) {
            int runs = ends.length, done = 0;
            try {
                for (int step = 0; step < runs; step++) {
                    int r = (who + step) % runs;
                    for (int i; (i = next.getAndIncrement(r * COUNTER_STRIDE)) < ends[r]; ) {
                        try {
                            body.run(i);
                        } catch (Throwable t) {
                            if (failure == null) failure = t;
                        } finally {
                            done++;
                        }
                    }
                }
            } finally {
                if (done > 0) finished.addAndGet(done);
            }
        }
    }

    /**
     * Persistent workers that spin briefly between jobs and then park. A plain executor costs
     * 35-55 us per call here (queue hand-off and wake-up); a graph of many small ops pays that
     * on every op, so hot workers pick up the next job within a microsecond instead.
     */
    private static final class Pool {
        private static final int SPINS = 1 << 14;   // about 50-100 us of onSpinWait before parking
        private final Thread[] workers;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        private volatile Job job;
        private volatile long seq;
        private volatile boolean stopped;

        Pool(int n) {
            workers = new Thread[n];
            for (int i = 0; i < n; i++) {
                int who = i + 1;
                Thread t = new Thread(() -> loop(who), "segloss-worker-" + who);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        private void loop(int who) {
            IN_WORKER.set(true);
            long seen = 0;
            while (!stopped) {
                long s = seq;
                if (s != seen) {
                    seen = s;
                    Job j = job;
                    if (j != null) j.work(who);
                    continue;
                }
                boolean found = false;
                for (int i = 0; i < SPINS && !found; i++) {
                    Thread.onSpinWait();
                    found = seq != seen || stopped;
                }
                if (!found) java.util.concurrent.locks.LockSupport.park(this);
            }
        }

        /** Runs the job with the workers, or returns false when another thread holds the pool. */
        boolean run(Job j) {
            if (!lock.tryLock()) return false;
            try {
                job = j;
                seq = seq + 1;   // publishes job (volatile write after it)
                for (Thread w : workers) java.util.concurrent.locks.LockSupport.unpark(w);
                IN_WORKER.set(true);
                try {
                    j.work(0);
                } finally {
                    IN_WORKER.set(false);
                }
                for (int spins = 0; j.finished.get() < j.parts; spins++) {
                    if (spins < SPINS) Thread.onSpinWait();
                    else Thread.yield();
                }
                job = null;
                return true;
            } finally {
                lock.unlock();
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread w : workers) java.util.concurrent.locks.LockSupport.unpark(w);
        }
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
        if (threads == 1 || parts == 1 || IN_WORKER.get()) {
            for (int i = 0; i < parts; i++) body.run(i);
            return;
        }
        Job j = new Job(body, parts, threads);
        if (!pool().run(j)) {   // the pool is busy with another caller's job: run here
            for (int i = 0; i < parts; i++) body.run(i);
            return;
        }
        Throwable failure = j.failure;
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error er) throw er;
        if (failure != null) throw new IllegalStateException(failure);
    }
}
