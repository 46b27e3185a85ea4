package org.segloss.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Kernels.Binary;
import org.segloss.tensor.kernel.Kernels.Unary;
import org.segloss.tensor.kernel.Parallel;

/**
 * Elementwise kernels and a reduction over flat arrays, split over threads by {@link Parallel}
 * the way the tensor layer does it, into preallocated outputs (no allocation in the loop).
 *
 * <p>n = 2,097,152 is the size of a [2, 4, 64, 64, 64] logits tensor (8 MiB per array; three such
 * arrays fit in this machine's 32 MiB L3); n = 65,543 (256 KiB, not a multiple of any lane count)
 * sits in L2 and shows the kernels' compute speed rather than the memory's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class KernelBench {
    /** Elements per parallel task, as in the tensor layer (64 KiB of floats). */
    static final int GRAIN = 1 << 14;
    /** The fixed partition of the dot product: block partials in double, added in order. */
    static final int BLOCK = 4096;

    @Param({"2097152", "65543"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "vector"})
    public String impl;

    private Kernels k;
    private float[] a, b, out;
    private double[] part;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        k = BenchSupport.kernels(impl);
        a = BenchSupport.uniform(1, n, -4f, 4f);
        b = BenchSupport.uniform(2, n, -4f, 4f);
        out = new float[n];
        part = new double[(n + BLOCK - 1) / BLOCK];
        verify();
    }

    private void verify() {
        double[] ref = new double[n];
        Work w = new Work();
        add(w);
        for (int i = 0; i < n; i++) ref[i] = a[i] + b[i];
        BenchSupport.check("add/" + k.name(), out, ref, 0, 1e-7);
        exp(w);
        for (int i = 0; i < n; i++) ref[i] = Math.exp(a[i]);
        BenchSupport.check("exp/" + k.name(), out, ref, 0, 4e-7);
        double d = 0, mag = 0;
        for (int i = 0; i < n; i++) {
            d += (double) a[i] * b[i];
            mag += Math.abs((double) a[i] * b[i]);
        }
        // float lanes within 4096-element blocks: error grows like the block length times eps
        BenchSupport.check("dot/" + k.name(), dot(w), d, 1e-6 * mag, 0);
    }

    /** out = a + b: reads 2 arrays, writes 1. */
    @Benchmark
    public void add(Work w) {
        Parallel.forRange(n, GRAIN, (s, e) -> k.zip(Binary.ADD, a, s, b, s, out, s, e - s));
        w.bytes += 12.0 * n;
    }

    /** sum(a * b) (mul + sum fused in the dot kernel): reads 2 arrays. */
    @Benchmark
    public double dot(Work w) {
        int nb = part.length;
        Parallel.forRange(nb, Math.max(1, GRAIN / BLOCK), (s, e) -> {
            for (int p = s; p < e; p++) {
                int off = p * BLOCK;
                part[p] = k.dot(a, off, b, off, Math.min(BLOCK, n - off));
            }
        });
        double acc = 0;
        for (int p = 0; p < nb; p++) acc += part[p];
        w.bytes += 8.0 * n;
        return acc;
    }

    /** out = exp(a): reads 1 array, writes 1. */
    @Benchmark
    public void exp(Work w) {
        Parallel.forRange(n, GRAIN, (s, e) -> k.map(Unary.EXP, a, s, out, s, e - s));
        w.bytes += 8.0 * n;
    }
}
