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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.segloss.autograd.Var;
import org.segloss.cli.LossCatalog;
import org.segloss.distance.SignedDistanceMaps;
import org.segloss.loss.BoundaryLoss;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.GeneralizedWassersteinDiceLoss;
import org.segloss.loss.LovaszSoftmaxLoss;
import org.segloss.tensor.Backend;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;
import org.segloss.tensor.kernel.Kernels;
import org.segloss.tensor.kernel.Parallel;

/**
 * Forward + backward of whole losses on logits [B, C, D, H, W] = [2, 4, 64, 64, 64], the workload
 * of bench/losses_torch.py (same shapes, same label formula {@link #label}, same M):
 * <ul>
 *   <li>{@code gwdl}: {@link GeneralizedWassersteinDiceLoss}, DEFAULT weighting, the 4-class M of
 *       Fidon's README/tests ({@link #M}); softmax, the Wasserstein map with its hand-written
 *       backward, TP and the ratio through autograd.</li>
 *   <li>{@code boundary}: {@link BoundaryLoss#forwardWithMaps} with precomputed maps (the EDT is
 *       DistanceBench's business), softmax, idc = 1..3, mean.</li>
 *   <li>{@code lovasz}: {@link LovaszSoftmaxLoss} on the softmax of the logits, classes present,
 *       batch mode (Berman's defaults): one sort of B·D·H·W errors per class.</li>
 *   <li>{@code sortBaseline}: what the issue compares Lovász with: sorting the same number of
 *       float keys with an index permutation, C times (keys packed with their index into longs,
 *       {@code Arrays.sort}).</li>
 *   <li>{@code dice}: soft Dice (MONAI defaults) on the softmax, for scale.</li>
 *   <li>{@code catalog}, one row per {@code loss}: every loss that {@code segloss losses} lists
 *       ({@link LossCatalog}), built as {@code segloss train --loss NAME} builds it with its
 *       defaults for C = 4: softmax on the logits, the integer labels above (so e.g. the Dice
 *       family there excludes the background, unlike the {@code dice} row). {@code boundary} and
 *       {@code hausdorff-dt} compute their distance maps from the labels (and hausdorff-dt also
 *       from the prediction) inside every call, as in training. The param list is checked
 *       against {@link LossCatalog#names()} at setup, so a new loss cannot be left out.</li>
 * </ul>
 * One operation = build the graph, run backward, return the input's gradient (written into the
 * array of the previous one, {@link #step}). {@code Work}
 * counts the logical traffic of the input, the gradient and (boundary) the maps: a lower bound.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {BenchSupport.VECTOR_MODULE, BenchSupport.THP, BenchSupport.XMS,
        BenchSupport.XMX, BenchSupport.PRETOUCH, BenchSupport.QUIET})
public class LossBench {
    static final int B = 2, C = 4, S = 64;
    static final int INNER = S * S * S, N = B * C * INNER;
    static final double[][] M = {{0, 1, 1, 1}, {1, 0, 0.6, 0.2}, {1, 0.6, 0, 0.5}, {1, 0.2, 0.5, 0}};

    @Param({"1", "2"})
    public int threads;

    @Param({"vector"})
    public String impl;

    private Kernels k;
    private Backend.Scope scope;
    private Tensor logits, maps;
    private Var leaf;              // the logits as the leaf whose gradient each operation takes
    private LabelTensor labels;
    private GeneralizedWassersteinDiceLoss gwdl;
    private BoundaryLoss boundary;
    private LovaszSoftmaxLoss lovasz;
    private DiceLoss dice;
    private float[] keys;
    private long[] packed;

    /** Slabs of the 4 classes, integer arithmetic only so that Python builds the identical map. */
    static int label(int b, int z, int y, int x) {
        return (x / 16 + 2 * (y / 21) + 3 * (z / 13) + b) % 4;
    }

    @Setup
    public void setup() {
        Parallel.setThreads(threads);
        k = BenchSupport.kernels(impl);
        scope = Backend.use(k);
        logits = Tensor.wrap(BenchSupport.uniform(5, N, -4f, 4f), B, C, S, S, S);
        int[] l = new int[B * INNER];
        for (int b = 0; b < B; b++) {
            for (int z = 0; z < S; z++) for (int y = 0; y < S; y++) for (int x = 0; x < S; x++) l[((b * S + z) * S + y) * S + x] = label(b, z, y, x);
        }
        labels = LabelTensor.of(l, B, S, S, S);
        leaf = Var.param(logits);
        maps = SignedDistanceMaps.fromLabels(labels, C);
        gwdl = GeneralizedWassersteinDiceLoss.create(M);
        boundary = BoundaryLoss.create();
        lovasz = LovaszSoftmaxLoss.builder().build();
        dice = DiceLoss.create();
        keys = BenchSupport.uniform(7, B * INNER, 0f, 1f);
        packed = new long[B * INNER];
        verify();
    }

    @TearDown
    public void tearDown() {
        scope.close();
    }

    /** Both loss values against plain double loops over the softmax. */
    private void verify() {
        float[] z = logits.toArray(), phi = maps.toArray();
        int[] y = labels.toArray();
        double gw = 0, bl = 0;
        for (int b = 0; b < B; b++) {
            double tp = 0, ae = 0;
            for (int i = 0; i < INNER; i++) {
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (int c = 0; c < C; c++) m = Math.max(m, z[(b * C + c) * INNER + i]);
                double[] p = new double[C];
                for (int c = 0; c < C; c++) sum += p[c] = Math.exp(z[(b * C + c) * INNER + i] - m);
                double w = 0;
                int t = y[b * INNER + i];
                for (int c = 0; c < C; c++) {
                    p[c] /= sum;
                    w += M[t][c] * p[c];
                    if (c > 0) bl += phi[(b * C + c) * INNER + i] * p[c];
                }
                if (t > 0) tp += 1 - w;
                ae += w;
            }
            gw += 1 - (2 * tp + 1e-5) / (2 * tp + ae + 1e-5);
        }
        BenchSupport.check("GeneralizedWassersteinDiceLoss/" + k.name(), gwdl.forward(Var.constant(logits), labels).item(), gw / B, 0, 1e-4);
        BenchSupport.check("BoundaryLoss/" + k.name(), boundary.forwardWithMaps(Var.constant(logits), maps).item(),
                bl / ((double) B * (C - 1) * INNER), 1e-6, 1e-4);
    }

    /**
     * One forward + backward of {@code loss} into a cleared gradient of the logits; counts
     * {@code bytes} of traffic. The leaf lets go of its last gradient with {@link Var#recycleGrad},
     * so the new one is written into the same array rather than a new zeroed one, as PyTorch's
     * {@code x.grad = None} hands the freed block back to its allocator (bench/losses_torch.py).
     */
    private Tensor step(Work w, java.util.function.Function<Var, Var> loss, double bytes) {
        leaf.recycleGrad();
        loss.apply(leaf).backward();
        w.bytes += bytes;
        return leaf.grad();
    }

    @Benchmark
    public Tensor gwdl(Work w) {
        return step(w, x -> gwdl.forward(x, labels), 2.0 * N * Float.BYTES + (double) B * INNER * Integer.BYTES);
    }

    @Benchmark
    public Tensor boundary(Work w) {
        return step(w, x -> boundary.forwardWithMaps(x, maps), 3.0 * N * Float.BYTES);
    }

    @Benchmark
    public Tensor lovasz(Work w) {
        return step(w, x -> lovasz.forward(x, labels), 2.0 * N * Float.BYTES + (double) B * INNER * Integer.BYTES);
    }

    @Benchmark
    public Tensor dice(Work w) {
        return step(w, x -> dice.forward(x, labels), 2.0 * N * Float.BYTES);
    }

    /** One loss of the CLI's catalogue, built with its defaults for C classes. */
    @State(Scope.Benchmark)
    public static class CatalogLoss {
        @Param({"dice-ce", "dice", "jaccard", "sudre-dice", "generalized-dice", "cross-entropy",
            "weighted-cross-entropy", "focal", "sensitivity-specificity", "tversky", "asymmetric-similarity",
            "focal-tversky", "exp-log", "overlap", "focal-positive", "left-atrium", "lovasz-softmax",
            "generalized-wasserstein-dice", "boundary", "hausdorff-dt"})
        public String loss;

        LossCatalog.Built built;

        @Setup
        public void setup(LossBench bench) throws NoSuchFieldException {
            List<String> listed = Arrays.asList(CatalogLoss.class.getField("loss").getAnnotation(Param.class).value());
            if (!listed.equals(LossCatalog.names())) {
                throw new IllegalStateException("LossBench.CatalogLoss: the loss param must list LossCatalog.names() in order, "
                        + "expected " + LossCatalog.names() + ", got " + listed);
            }
            built = LossCatalog.build(loss, Map.of(), C);
            built.onEpoch(0, 1);
            float v = built.forward(Var.constant(bench.logits), bench.labels).item();
            if (!Float.isFinite(v)) {
                throw new IllegalStateException("LossBench.catalog: loss " + loss + " gave " + v + " on the benchmark's logits");
            }
        }
    }

    @Benchmark
    public Tensor catalog(CatalogLoss c, Work w) {
        return step(w, x -> c.built.forward(x, labels), 2.0 * N * Float.BYTES + (double) B * INNER * Integer.BYTES);
    }

    /** C argsorts of B·D·H·W float keys: a non-negative float's bits order like the float. */
    @Benchmark
    public long sortBaseline(Work w) {
        long acc = 0;
        for (int c = 0; c < C; c++) {
            for (int i = 0; i < packed.length; i++) {
                packed[i] = ((long) Float.floatToRawIntBits(keys[i] + c) << 32) | i;
            }
            java.util.Arrays.sort(packed);
            acc += packed[packed.length / 2];
        }
        w.bytes += (double) C * packed.length * Long.BYTES;
        return acc;
    }
}
