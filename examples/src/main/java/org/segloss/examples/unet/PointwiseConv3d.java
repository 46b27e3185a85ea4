package org.segloss.examples.unet;

import org.segloss.autograd.Var;
import org.segloss.nn.Init;
import org.segloss.nn.Module;
import org.segloss.nn.Parameter;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * A 1x1x1 convolution, as PyTorch's {@code Conv3d(in, out, 1)}: a matrix product over the channel
 * axis at every voxel. The segmentation head of the U-Net.
 *
 * <p>Shapes: x {@code [B, Cin, D, H, W]}, weight {@code [Cout, Cin, 1, 1, 1]} (PyTorch's layout),
 * bias {@code [Cout]}, y {@code [B, Cout, D, H, W]}:
 * <pre>
 * y[b,o,p] = bias[o] + sum_i w[o,i] x[b,i,p]
 * </pre>
 * computed as {@code W[Cout, Cin] . X[b][Cin, V]} with {@link Var#matMul} (the 2-D weight shared by
 * every batch element), so the gradients are the library's matMul and broadcast-add adjoints.
 * Initialisation: Kaiming normal with fan_in = Cin and the gain of a leaky ReLU of slope
 * {@code a}; bias 0.
 */
public final class PointwiseConv3d extends Module {
    private final Parameter weight, bias;

    public PointwiseConv3d(int inChannels, int outChannels, float a, long seed) {
        if (inChannels <= 0) throw new IllegalArgumentException("PointwiseConv3d: inChannels must be > 0, got " + inChannels);
        if (outChannels <= 0) throw new IllegalArgumentException("PointwiseConv3d: outChannels must be > 0, got " + outChannels);
        this.weight = register(new Parameter("weight", Init.kaimingNormal(seed, a, outChannels, inChannels, 1, 1, 1)));
        this.bias = register(new Parameter("bias", Tensor.zeros(outChannels)));
    }

    public Parameter weight() { return weight; }

    public Parameter bias() { return bias; }

    @Override
    public Var forward(Var x) {
        return pointwiseConv3d(x, weight.var(), bias.var());
    }

    /** The functional form: x [B, Cin, D, H, W], w [Cout, Cin, 1, 1, 1], bias [Cout] or null. */
    public static Var pointwiseConv3d(Var x, Var w, Var b) {
        Shape ws = w.shape(), s = x.shape();
        if (ws.rank() != 5 || ws.dim(2) != 1 || ws.dim(3) != 1 || ws.dim(4) != 1) {
            throw new IllegalArgumentException("PointwiseConv3d: weight must have shape [Cout, Cin, 1, 1, 1], got " + ws);
        }
        int out = ws.dim(0), in = ws.dim(1);
        if (s.rank() != 5 || s.dim(1) != in) {
            throw new IllegalArgumentException("PointwiseConv3d: x must have shape [B, " + in + ", D, H, W], got " + s);
        }
        if (b != null && !b.shape().equals(Shape.of(out))) {
            throw new IllegalArgumentException("PointwiseConv3d: bias must have shape " + Shape.of(out) + ", got " + b.shape());
        }
        int batch = s.dim(0), d = s.dim(2), h = s.dim(3), wd = s.dim(4);
        Var y = w.reshape(out, in).matMul(x.reshape(batch, in, d * h * wd));   // [B, Cout, V]
        if (b != null) y = y.add(b.reshape(out, 1));
        return y.reshape(batch, out, d, h, wd);
    }
}
