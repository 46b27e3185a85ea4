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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.segloss.autograd.Var;
import org.segloss.nn.Conv3d;
import org.segloss.tensor.Backend;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * Where {@link Conv3d}'s time goes, one direction at a time, at the benchmark shape and at the
 * example U-Net's three levels ({@code shape} = batch x channels x edge, C -> C, 3x3x3, no bias):
 * <ul>
 *   <li>{@code forward}: y only.</li>
 *   <li>{@code forwardDx}: y, then backward(dy) with only x requiring a gradient (dy padding + dx).</li>
 *   <li>{@code forwardDw}: y, then backward(dy) with only w requiring a gradient (dy padding + dw).</li>
 *   <li>{@code forwardBackward}: y, dx and dw (as {@link ConvBench}).</li>
 * </ul>
 * dx's time is {@code forwardDx - forward}, dw's {@code forwardDw - forward}. {@code Work}
 * counts 2 flops per multiply-add of each product done (B * C * C * 27 * V each), so the rates
 * compare with {@link FmaPeakBench} at the same thread count.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class ConvPartsBench {
    /** batch x channels x edge: the ConvBench shape, then the U-Net's levels at patch 2x32. */
    @Param({"1x16x64", "2x8x32", "2x16x16", "2x32x8"})
    public String shape;

    @Param({"2"})
    public int threads;

    @Param({"vector"})
    public String impl;

    private Backend.Scope scope;
    private Tensor x, w, dy;
    private double flops;

    @Setup
    public void setup() {
        String[] p = shape.split("x");
        if (p.length != 3) throw new IllegalArgumentException("ConvPartsBench: shape must be BxCxS, got " + shape);
        int b = Integer.parseInt(p[0]), c = Integer.parseInt(p[1]), s = Integer.parseInt(p[2]);
        Parallel.setThreads(threads);
        scope = Backend.use(BenchSupport.kernels(impl));
        x = Tensor.randn(1, b, c, s, s, s);
        w = Tensor.randn(2, c, c, 3, 3, 3).muli((float) Math.sqrt(2.0 / (c * 27)));
        dy = Tensor.randn(3, b, c, s, s, s);
        flops = 2.0 * b * c * c * 27 * s * s * s;
    }

    @TearDown
    public void tearDown() {
        scope.close();
    }

    @Benchmark
    public Tensor forward(Work work) {
        Var y = Conv3d.conv3d(Var.constant(x), Var.constant(w), null);
        work.flops += flops;
        return y.value();
    }

    @Benchmark
    public Tensor forwardDx(Work work) {
        Var vx = Var.param(x);
        Conv3d.conv3d(vx, Var.constant(w), null).backward(dy);
        work.flops += 2 * flops;
        return vx.grad();
    }

    @Benchmark
    public Tensor forwardDw(Work work) {
        Var vw = Var.param(w);
        Conv3d.conv3d(Var.constant(x), vw, null).backward(dy);
        work.flops += 2 * flops;
        return vw.grad();
    }

    @Benchmark
    public Tensor forwardBackward(Work work) {
        Var vx = Var.param(x), vw = Var.param(w);
        Conv3d.conv3d(vx, vw, null).backward(dy);
        work.flops += 3 * flops;
        return vw.grad();
    }
}
