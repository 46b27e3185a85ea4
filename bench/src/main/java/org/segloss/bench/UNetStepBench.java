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
import org.segloss.examples.unet.Phantoms;
import org.segloss.examples.unet.UNet3d;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.Loss;
import org.segloss.nn.AdamW;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Parallel;

/**
 * One training step of the example U-Net as {@code segloss train} runs it, on a batch of
 * {@code patch} (param): one [1, 1, 64^3] patch (the PyTorch comparison's shape), or two of 32^3
 * ([2, 1, 32^3], the training command's default batch, where small ops and serial sections weigh
 * most; see spec/performance.md): {@code UNet3d(1, 4, depth 3, base 8, no deep supervision)} forward, Dice + CE
 * ({@code DiceCELoss.nnUnet(false)}, the training command's default loss), backward, AdamW step
 * (lr 3e-3, the command's default). The workload of bench/conv_torch.py's {@code unet} part (the
 * same network, layer by layer, in PyTorch). One operation = zeroGrad + forward + loss + backward
 * + step; the weights keep training across operations, which does not change the work.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
// G1 regions of 32 MiB as the ./segloss launcher sets them: with the default (2 MiB at -Xmx4g) the
// step's activations of 2 MiB and more are humongous objects (spec/performance.md)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET, "-XX:G1HeapRegionSize=32m"})
public class UNetStepBench {
    /** The batch: "BxS" = B patches of S^3 voxels. */
    @Param({"1x64", "2x32"})
    public String patch;

    @Param({"1", "2"})
    public int threads;

    @Param({"vector"})
    public String impl;

    private Backend.Scope scope;
    private UNet3d model;
    private AdamW opt;
    private Loss loss;
    private Tensor x;
    private LabelTensor labels;

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        scope = Backend.use(BenchSupport.kernels(impl));
        model = new UNet3d(1, Phantoms.CLASSES, UNet3d.DEFAULT_DEPTH, UNet3d.DEFAULT_BASE_CHANNELS, false, 2026);
        model.train();
        opt = new AdamW(model.parameters(), 3e-3f);
        loss = DiceCELoss.nnUnet(false);
        String[] bs = patch.split("x");
        if (bs.length != 2) throw new IllegalArgumentException("UNetStepBench: patch must be BxS (e.g. 2x32), got " + patch);
        int batch = Integer.parseInt(bs[0]), size = Integer.parseInt(bs[1]);
        x = Tensor.randn(1, batch, 1, size, size, size);
        labels = LabelTensor.randomLabels(2, Phantoms.CLASSES, batch, size, size, size);
        // a few steps on one batch must lower its loss (the step trains), and stay finite
        float first = step(), last = first;
        for (int i = 0; i < 4; i++) last = step();
        if (!(Float.isFinite(first) && Float.isFinite(last) && last < first)) {
            throw new IllegalStateException("U-Net step: loss " + first + " -> " + last + " after 5 steps on one batch");
        }
    }

    @TearDown
    public void tearDown() {
        scope.close();
    }

    private float step() {
        opt.zeroGrad();
        Var l = loss.forward(model.forward(Var.constant(x)), labels);
        l.backward();
        opt.step();
        return l.item();
    }

    @Benchmark
    public float step(Work work) {
        return step();
    }
}
