package org.segloss.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import org.segloss.tensor.kernel.Parallel;

/**
 * The float32 FMA peak: 12 independent accumulators, in registers only, each updated by
 * acc = acc * M + A in a loop with no memory traffic. 12 chains hide the FMA latency (4 cycles on
 * Zen 5) across both FMA pipes with room to spare. Every thread runs the whole loop, so one
 * operation is threads * ITERS * 12 FMAs of {@code lanes} floats (2 flops each).
 *
 * <p>The only bench class that imports jdk.incubator.vector (the library keeps it in
 * org.segloss.tensor.simd): it measures the machine, not segloss. The scalar twin uses
 * Math.fma on 12 float locals; with no arrays, C2 has nothing to auto-vectorise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class FmaPeakBench {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int ITERS = 1 << 20, CHAINS = 12;

    @Param({"1", "2"})
    public int threads;

    @Param({"scalar", "vector"})
    public String impl;

    // Fields, not constants, so the JIT cannot fold the recurrence; the fixed point A / (1 - M)
    // is about 1, so the values never overflow or become subnormal.
    public float m = 0.999999f, add = 1e-6f;
    private int lanes;
    private double[] part;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        lanes = switch (impl) {
            case "scalar" -> 1;
            case "vector" -> SPECIES.length();
            default -> throw new IllegalArgumentException("impl must be one of [scalar, vector], got '" + impl + "'");
        };
        part = new double[threads];
        // both loops compute the same recurrence; lane sums of identical lanes are exact
        double s = scalarChains(ITERS, m, add), v = vectorChains(ITERS, m, add) / SPECIES.length();
        BenchSupport.check("fma peak: vector vs scalar", v, s, 0, 1e-6);
    }

    @Benchmark
    public double fma(Work w) {
        final float mm = m, aa = add;
        final boolean vector = lanes > 1;
        Parallel.forEach(threads, t -> part[t] = vector ? vectorChains(ITERS, mm, aa) : scalarChains(ITERS, mm, aa));
        w.flops += 2.0 * threads * ITERS * CHAINS * lanes;
        double r = 0;
        for (double p : part) r += p;
        return r;
    }

    static double scalarChains(int iters, float m, float a) {
        float x0 = 0.00f, x1 = 0.01f, x2 = 0.02f, x3 = 0.03f, x4 = 0.04f, x5 = 0.05f;
        float x6 = 0.06f, x7 = 0.07f, x8 = 0.08f, x9 = 0.09f, x10 = 0.10f, x11 = 0.11f;
        for (int i = 0; i < iters; i++) {
            x0 = Math.fma(x0, m, a);
            x1 = Math.fma(x1, m, a);
            x2 = Math.fma(x2, m, a);
            x3 = Math.fma(x3, m, a);
            x4 = Math.fma(x4, m, a);
            x5 = Math.fma(x5, m, a);
            x6 = Math.fma(x6, m, a);
            x7 = Math.fma(x7, m, a);
            x8 = Math.fma(x8, m, a);
            x9 = Math.fma(x9, m, a);
            x10 = Math.fma(x10, m, a);
            x11 = Math.fma(x11, m, a);
        }
        return (double) x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11;
    }

    static double vectorChains(int iters, float m, float a) {
        FloatVector vm = FloatVector.broadcast(SPECIES, m), va = FloatVector.broadcast(SPECIES, a);
        FloatVector x0 = FloatVector.broadcast(SPECIES, 0.00f), x1 = FloatVector.broadcast(SPECIES, 0.01f);
        FloatVector x2 = FloatVector.broadcast(SPECIES, 0.02f), x3 = FloatVector.broadcast(SPECIES, 0.03f);
        FloatVector x4 = FloatVector.broadcast(SPECIES, 0.04f), x5 = FloatVector.broadcast(SPECIES, 0.05f);
        FloatVector x6 = FloatVector.broadcast(SPECIES, 0.06f), x7 = FloatVector.broadcast(SPECIES, 0.07f);
        FloatVector x8 = FloatVector.broadcast(SPECIES, 0.08f), x9 = FloatVector.broadcast(SPECIES, 0.09f);
        FloatVector x10 = FloatVector.broadcast(SPECIES, 0.10f), x11 = FloatVector.broadcast(SPECIES, 0.11f);
        for (int i = 0; i < iters; i++) {
            x0 = x0.fma(vm, va);
            x1 = x1.fma(vm, va);
            x2 = x2.fma(vm, va);
            x3 = x3.fma(vm, va);
            x4 = x4.fma(vm, va);
            x5 = x5.fma(vm, va);
            x6 = x6.fma(vm, va);
            x7 = x7.fma(vm, va);
            x8 = x8.fma(vm, va);
            x9 = x9.fma(vm, va);
            x10 = x10.fma(vm, va);
            x11 = x11.fma(vm, va);
        }
        // never through an array: vectors kept in arrays or fields are boxed (see VectorKernels' class comment)
        FloatVector s = x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).add(x8).add(x9).add(x10).add(x11);
        return s.reduceLanes(VectorOperators.ADD);
    }
}
