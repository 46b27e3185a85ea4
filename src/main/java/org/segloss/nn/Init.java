package org.segloss.nn;

import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Seeded weight initialisation. Kaiming (He) normal, fan_in mode, as PyTorch's
 * {@code kaiming_normal_(w, a, mode='fan_in', nonlinearity='leaky_relu')}:
 * {@code w ~ N(0, std^2)}, {@code std = gain / sqrt(fan_in)}, {@code gain = sqrt(2 / (1 + a^2))}
 * ({@code a = 0} for ReLU, the negative slope for LeakyReLU), {@code fan_in = shape[1] * prod(shape[2:])}
 * (input channels times kernel volume for a {@code [Cout, Cin, kD, kH, kW]} weight).
 */
public final class Init {
    private Init() {}

    /** Fan-in of a weight of shape [out, in, k...]: in * prod(k). */
    public static int fanIn(Shape s) {
        if (s.rank() < 2) throw new IllegalArgumentException("Init.fanIn: weight shape must have rank >= 2, got " + s);
        return s.product(1, s.rank());
    }

    /** Kaiming normal for a layer followed by a leaky ReLU of negative slope {@code a} (0 for ReLU). */
    public static Tensor kaimingNormal(long seed, float a, int... shape) {
        return kaimingNormal(seed, leakyReluGain(a), fanIn(Shape.of(shape)), shape);
    }

    /** He et al.'s gain for a leaky ReLU of negative slope a: sqrt(2 / (1 + a^2)) (a = 0: ReLU). */
    public static double leakyReluGain(float a) {
        return Math.sqrt(2.0 / (1.0 + (double) a * a));
    }

    /** N(0, (gain / sqrt(fanIn))^2), seeded. */
    public static Tensor kaimingNormal(long seed, double gain, int fanIn, int... shape) {
        if (fanIn <= 0) throw new IllegalArgumentException("Init.kaimingNormal: fanIn must be > 0, got " + fanIn);
        float std = (float) (gain / Math.sqrt(fanIn));
        return Tensor.randn(seed, shape).muli(std);
    }
}
