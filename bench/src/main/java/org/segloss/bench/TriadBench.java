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
import org.segloss.tensor.kernel.Parallel;

/**
 * The STREAM triad, out = a + s * b through {@link Kernels#triad} over {@link Parallel#forRange}:
 * the bandwidth reference for every memory-bound benchmark (bench/Table.java divides their GB/s
 * by the triad's at the same n and thread count). Three arrays of n floats move per operation.
 *
 * <p>n = 65,543 sits in L2, 2,097,152 ([2, 4, 64, 64, 64], 24 MiB in all) in the 32 MiB L3, and
 * 16,777,216 (192 MiB in all) in DRAM: the last is this machine's memory bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class TriadBench {
    static final int GRAIN = 1 << 14;
    static final float S = 0.5f;

    @Param({"2097152", "65543", "16777216"})
    public int n;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "vector"})
    public String impl;

    private Kernels k;
    private float[] a, b, out;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        k = BenchSupport.kernels(impl);
        a = BenchSupport.uniform(3, n, -1f, 1f);
        b = BenchSupport.uniform(4, n, -1f, 1f);
        out = new float[n];
        triad(new Work());
        double[] ref = new double[n];
        for (int i = 0; i < n; i++) ref[i] = a[i] + (double) S * b[i];
        // a fused multiply-add rounds once, a separate multiply and add twice: both are allowed
        BenchSupport.check("triad/" + k.name(), out, ref, 1e-7, 2e-7);
    }

    @Benchmark
    public void triad(Work w) {
        Parallel.forRange(n, GRAIN, (s, e) -> k.triad(a, s, S, b, s, out, s, e - s));
        w.bytes += 12.0 * n;
    }
}
