package org.segloss.examples.unet;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.segloss.autograd.Var;
import org.segloss.nn.Conv3d;
import org.segloss.nn.ConvTranspose3d;
import org.segloss.nn.InstanceNorm3d;
import org.segloss.nn.LeakyReLU;
import org.segloss.nn.MaxPool3d;
import org.segloss.nn.Module;
import org.segloss.nn.Sequential;
import org.segloss.nn.Skip;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;

/**
 * A small 3-D U-Net in nnU-Net's style.
 *
 * <p>Levels l = 0 .. depth-1 have {@code base * 2^l} channels. Each level's block is two
 * (Conv3d 3x3x3 → InstanceNorm3d → LeakyReLU(0.01)); the encoder goes down with MaxPool3d(2),
 * the deepest level is the bottleneck, the decoder goes up with ConvTranspose3d (kernel 2,
 * stride 2, to the level's channels), concatenates the encoder's output of the same level
 * (skip) and runs a block on the 2x channels. A 1x1x1 head ({@link PointwiseConv3d}) maps
 * level 0 to the class logits.
 *
 * <p>Deep supervision (optional): one extra 1x1x1 head on the output of every coarser decoder
 * level 1 .. depth-2, so {@link #forwardDeepSupervision} returns {@code depth - 1} outputs, full
 * resolution first, then 1/2, 1/4, ... (the bottleneck has no head, as in nnU-Net). Combine them
 * with {@code WeightedSumLoss.deepSupervision(loss, WeightedSumLoss.deepSupervisionWeights(n),
 * outputs, targets)} against {@link #downsampleTargets}. Note that nnU-Net's weights give the
 * coarsest output 0, so at depth 3 ({1, 0}) only the full-resolution head learns; pass your own
 * weights (e.g. {2/3, 1/3}) to supervise the 1/2 scale too.
 *
 * <p>Convolutions have no bias (an instance norm follows each one and would cancel it); all
 * weights are Kaiming normal for a leaky ReLU of slope 0.01, each layer seeded from one
 * {@code SplittableRandom(seed)} in construction order, so the same seed gives bit-identical
 * weights and outputs.
 *
 * <p>Input: {@code [B, inChannels, D, H, W]} with D, H, W divisible by {@code 2^(depth-1)};
 * output: logits {@code [B, classes, D, H, W]}.
 */
public final class UNet3d extends Module {
    public static final int DEFAULT_DEPTH = 3;
    public static final int DEFAULT_BASE_CHANNELS = 8;
    static final float SLOPE = 0.01f;

    private final int inChannels, classes, depth, base;
    private final boolean deepSupervision;
    private final List<Module> encoder = new ArrayList<>(), ups = new ArrayList<>(), decoder = new ArrayList<>();
    private final List<PointwiseConv3d> dsHeads = new ArrayList<>();
    private final MaxPool3d pool = new MaxPool3d();
    private final PointwiseConv3d head;

    /** Depth 3, 8 base channels, no deep supervision. */
    public UNet3d(int inChannels, int classes, long seed) {
        this(inChannels, classes, DEFAULT_DEPTH, DEFAULT_BASE_CHANNELS, false, seed);
    }

    /**
     * @param depth number of levels including the bottleneck (>= 1; 1 is two conv blocks and a head)
     * @param baseChannels channels of level 0, doubled per level
     * @param deepSupervision whether to build the heads of the coarser decoder levels
     */
    public UNet3d(int inChannels, int classes, int depth, int baseChannels, boolean deepSupervision, long seed) {
        if (inChannels <= 0) throw new IllegalArgumentException("UNet3d: inChannels must be > 0, got " + inChannels);
        if (classes <= 0) throw new IllegalArgumentException("UNet3d: classes must be > 0, got " + classes);
        if (depth < 1 || depth > 8) throw new IllegalArgumentException("UNet3d: depth must be in [1, 8], got " + depth);
        if (baseChannels <= 0 || (long) baseChannels << (depth - 1) > 4096) {
            throw new IllegalArgumentException("UNet3d: baseChannels must be > 0 with baseChannels * 2^(depth-1) <= 4096, got "
                    + baseChannels + " at depth " + depth);
        }
        this.inChannels = inChannels;
        this.classes = classes;
        this.depth = depth;
        this.base = baseChannels;
        this.deepSupervision = deepSupervision;
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int l = 0; l < depth; l++) {
            encoder.add(register("enc" + l, block(l == 0 ? inChannels : channels(l - 1), channels(l), seeds)));
        }
        for (int l = depth - 2; l >= 0; l--) {
            ups.add(register("up" + l, new ConvTranspose3d(channels(l + 1), channels(l), false, SLOPE, seeds.nextLong())));
            decoder.add(register("dec" + l, block(2 * channels(l), channels(l), seeds)));
        }
        this.head = register("head", new PointwiseConv3d(channels(0), classes, SLOPE, seeds.nextLong()));
        if (deepSupervision) {
            for (int l = 1; l <= depth - 2; l++) {
                dsHeads.add(register("dsHead" + l, new PointwiseConv3d(channels(l), classes, SLOPE, seeds.nextLong())));
            }
        }
    }

    private static Sequential block(int in, int out, SplittableRandom seeds) {
        return new Sequential(
                new Conv3d(in, out, false, SLOPE, seeds.nextLong()), new InstanceNorm3d(out), new LeakyReLU(SLOPE),
                new Conv3d(out, out, false, SLOPE, seeds.nextLong()), new InstanceNorm3d(out), new LeakyReLU(SLOPE));
    }

    public int inChannels() { return inChannels; }

    public int classes() { return classes; }

    public int depth() { return depth; }

    public int baseChannels() { return base; }

    public boolean deepSupervision() { return deepSupervision; }

    /** Channels at level l: base * 2^l. */
    public int channels(int level) {
        if (level < 0 || level >= depth) throw new IllegalArgumentException("UNet3d: level must be in [0, " + depth + "), got " + level);
        return base << level;
    }

    /** Spatial sizes must be multiples of this: 2^(depth-1). */
    public int sizeDivisor() { return 1 << (depth - 1); }

    /** Number of outputs of {@link #forwardDeepSupervision}: depth-1 with deep supervision (at least 1), else 1. */
    public int outputCount() { return deepSupervision ? Math.max(1, depth - 1) : 1; }

    /** Throws IllegalArgumentException unless x is [B, inChannels, D, H, W] with D, H, W multiples of 2^(depth-1). */
    public void checkInput(Shape s) {
        if (s.rank() != 5) throw new IllegalArgumentException("UNet3d: x must have rank 5 [B, C, D, H, W], got shape " + s);
        if (s.dim(1) != inChannels) {
            throw new IllegalArgumentException("UNet3d: x must have " + inChannels + " channels (axis 1), got " + s.dim(1) + " in shape " + s);
        }
        int m = sizeDivisor();
        for (int a = 0; a < 5; a++) {
            if (s.dim(a) <= 0) throw new IllegalArgumentException("UNet3d: x must have no empty axis, got shape " + s);
        }
        for (int a = 2; a < 5; a++) {
            if (s.dim(a) % m != 0) {
                throw new IllegalArgumentException("UNet3d: x spatial sizes must be multiples of 2^(depth-1) = " + m
                        + " (depth " + depth + "), got " + s.dim(a) + " on axis " + a + " of shape " + s);
            }
        }
    }

    /** The logits [B, classes, D, H, W] of the full-resolution head. */
    @Override
    public Var forward(Var x) {
        return run(x, false).get(0);
    }

    /**
     * Every output, full resolution first: {@code [B, classes, D/2^k, H/2^k, W/2^k]} for
     * k = 0 .. {@link #outputCount()}-1.
     *
     * @throws IllegalStateException if built without deep supervision
     */
    public List<Var> forwardDeepSupervision(Var x) {
        if (!deepSupervision) throw new IllegalStateException("UNet3d: built without deep supervision; use forward");
        return run(x, true);
    }

    private List<Var> run(Var x, boolean all) {
        checkInput(x.shape());
        Var[] skips = new Var[depth];
        Var h = x;
        for (int l = 0; l < depth; l++) {
            if (l > 0) h = pool.forward(h);
            h = encoder.get(l).forward(h);
            skips[l] = h;
        }
        Var[] outs = new Var[Math.max(1, depth - 1)];
        for (int i = 0, l = depth - 2; l >= 0; i++, l--) {
            h = ups.get(i).forward(h);
            h = decoder.get(i).forward(Skip.concatChannels(skips[l], h));
            if (all && l >= 1) outs[l] = dsHeads.get(l - 1).forward(h);
        }
        outs[0] = head.forward(h);
        return all ? List.of(outs) : List.of(outs[0]);
    }

    /**
     * The deep-supervision targets for labels {@code [B, D, H, W]}: scale k keeps every 2^k-th voxel
     * along each spatial axis (nearest neighbour, the voxel at the corner of each 2^k block), so
     * scale k has the shape of output k. Returns {@code scales} label maps, full resolution first.
     */
    public static LabelTensor[] downsampleTargets(LabelTensor labels, int scales) {
        Shape s = labels.shape();
        if (s.rank() != 4) throw new IllegalArgumentException("UNet3d.downsampleTargets: labels must have rank 4 [B, D, H, W], got " + s);
        if (scales < 1) throw new IllegalArgumentException("UNet3d.downsampleTargets: scales must be >= 1, got " + scales);
        int f = 1 << (scales - 1);
        for (int a = 1; a < 4; a++) {
            if (s.dim(a) % f != 0) {
                throw new IllegalArgumentException("UNet3d.downsampleTargets: spatial sizes must be multiples of 2^(scales-1) = " + f
                        + ", got shape " + s);
            }
        }
        int[] src = labels.toArray();
        int b = s.dim(0), d = s.dim(1), h = s.dim(2), w = s.dim(3);
        LabelTensor[] out = new LabelTensor[scales];
        out[0] = labels;
        for (int k = 1; k < scales; k++) {
            int st = 1 << k, dk = d / st, hk = h / st, wk = w / st;
            int[] v = new int[b * dk * hk * wk];
            int j = 0;
            for (int n = 0; n < b; n++) {
                for (int z = 0; z < dk; z++) {
                    for (int y = 0; y < hk; y++) {
                        int row = ((n * d + z * st) * h + y * st) * w;
                        for (int x = 0; x < wk; x++) v[j++] = src[row + x * st];
                    }
                }
            }
            out[k] = LabelTensor.of(v, b, dk, hk, wk);
        }
        return out;
    }
}
