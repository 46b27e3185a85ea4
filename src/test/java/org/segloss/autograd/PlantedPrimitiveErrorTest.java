package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Shape;
import org.segloss.tensor.Tensor;

/**
 * Planted errors of x1.01 and x0.99 in one term (one input's gradient; for softmax and
 * log-softmax also the inner term of the fused backward, written out) of every primitive's
 * backward, each caught by the gradient checks that {@link PrimitiveGradientProperties} and
 * {@code segloss check} run: GradCheck in full-Jacobian mode on small inputs ("GradCheck full")
 * and in directional mode on inputs with a long odd last axis ("GradCheck directional").
 */
class PlantedPrimitiveErrorTest {
    private static final int[] SMALL = {3, 5}, LARGE = {3, 263};

    private final List<PlantedErrors.Plant> plants = new ArrayList<>();

    /** Small and large inputs of one primitive. */
    private record Inputs(Tensor[] small, Tensor[] large) {}

    private static PlantedErrors.Detector gradCheck(String name, Tensor[] inputs) {
        return new PlantedErrors.Detector(name, op -> GradCheck.check(v -> op.applyAll(v)[0], inputs).passed());
    }

    private void plant(String op, Supplier<MultiFunction> real, Inputs in, String... terms) {
        List<PlantedErrors.Detector> detectors = List.of(gradCheck("GradCheck full", in.small()),
                gradCheck("GradCheck directional", in.large()));
        for (int i = 0; i < terms.length; i++) {
            plants.add(new PlantedErrors.Plant(op, terms[i], real, PlantedFault.Site.INPUT_GRADIENT, i, detectors));
        }
    }

    private static Tensor u(long seed, float lo, float hi, int... d) {
        return Tensor.uniform(seed, lo, hi, d);
    }

    private static Inputs unary(long seed, float lo, float hi) {
        return new Inputs(new Tensor[] {u(seed, lo, hi, SMALL)}, new Tensor[] {u(seed + 1, lo, hi, LARGE)});
    }

    private static Inputs unaryAway(long seed, float lo, float hi, float... kinks) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Inputs(new Tensor[] {OpCatalog.awayFrom(r, lo, hi, 0.05f, SMALL, kinks)},
                new Tensor[] {OpCatalog.awayFrom(r, lo, hi, 0.05f, LARGE, kinks)});
    }

    /** a [rows, n] and b broadcast along the rows ([n]). */
    private static Inputs binary(long seed, float lo, float hi, float bLo, float bHi) {
        return new Inputs(new Tensor[] {u(seed, lo, hi, SMALL), u(seed + 1, bLo, bHi, SMALL[1])},
                new Tensor[] {u(seed + 2, lo, hi, LARGE), u(seed + 3, bLo, bHi, LARGE[1])});
    }

    private static Tensor[] noTies(long seed, int[] d) {
        Tensor a = u(seed, -2, 2, d);
        SplittableRandom r = new SplittableRandom(seed);
        float[] b = a.toArray();
        for (int i = 0; i < b.length; i++) b[i] += (r.nextBoolean() ? 1 : -1) * (0.05f + r.nextFloat());
        return new Tensor[] {a, Tensor.wrap(b, d)};
    }

    private void primitives() {
        plant("Add", Primitives.Add::new, binary(1, -2, 2, -2, 2), "da", "db (broadcast)");
        plant("Sub", Primitives.Sub::new, binary(5, -2, 2, -2, 2), "da", "db (broadcast)");
        plant("Mul", Primitives.Mul::new, binary(9, -2, 2, -2, 2), "da", "db (broadcast)");
        plant("Div", Primitives.Div::new, binary(13, -2, 2, 0.5f, 2), "da (1/b term)", "db (divisor term)");
        plant("Maximum", () -> new Primitives.MinMax(true), new Inputs(noTies(17, SMALL), noTies(18, LARGE)), "da", "db");
        plant("Minimum", () -> new Primitives.MinMax(false), new Inputs(noTies(19, SMALL), noTies(20, LARGE)), "da", "db");
        LabelTensor maskSmall = LabelTensor.randomLabels(21, 2, SMALL), maskLarge = LabelTensor.randomLabels(22, 2, LARGE);
        Inputs whereIn = new Inputs(new Tensor[] {u(23, -2, 2, SMALL), u(24, -2, 2, SMALL)},
                new Tensor[] {u(25, -2, 2, LARGE), u(26, -2, 2, LARGE)});
        plant("Where", () -> new SizedWhere(maskSmall, maskLarge), whereIn, "da", "db");
        plant("Neg", Primitives.Neg::new, unary(31, -2, 2), "dx");
        plant("Exp", Primitives.Exp::new, unary(33, -2, 2), "dx");
        plant("Log", Primitives.Log::new, unary(35, 0.2f, 3), "dx");
        plant("Log1p", Primitives.Log1p::new, unary(37, -0.5f, 3), "dx");
        plant("Sqrt", Primitives.Sqrt::new, unary(39, 0.2f, 3), "dx");
        plant("Pow", () -> new Primitives.Pow(1.7f), unary(41, 0.3f, 2), "dx");
        plant("Abs", Primitives.Abs::new, unaryAway(43, -2, 2, 0f), "dx");
        plant("Clamp", () -> new Primitives.Clamp(-0.5f, 0.7f), unaryAway(45, -2, 2, -0.5f, 0.7f), "dx");
        plant("Relu", Primitives.Relu::new, unaryAway(47, -2, 2, 0f), "dx");
        plant("Sigmoid", Primitives.Sigmoid::new, unary(49, -4, 4), "dx");
        plant("Tanh", Primitives.Tanh::new, unary(51, -2, 2), "dx");
        plant("Sum", () -> new Primitives.Sum(new int[] {1}, false), unary(53, -2, 2), "dx");
        SplittableRandom r = new SplittableRandom(55);
        plant("Extreme (max)", () -> new Primitives.Extreme(new int[] {1}, false, true),
                new Inputs(new Tensor[] {OpCatalog.distinct(r, SMALL)}, new Tensor[] {OpCatalog.distinctRows(r, 263, 5)}), "dx");
        plant("Extreme (min)", () -> new Primitives.Extreme(new int[] {0}, true, false),
                new Inputs(new Tensor[] {OpCatalog.distinct(r, SMALL)}, new Tensor[] {OpCatalog.distinctRows(r, 5, 263)}), "dx");
        plant("Softmax", () -> new Primitives.Softmax(0), unary(57, -3, 3), "dx");
        innerTerm("Softmax", "Σ(g·y) term of dx = y ⊙ (g − Σ g·y)", s -> new SoftmaxWrittenOut(0, s), unary(57, -3, 3));
        plant("LogSoftmax", () -> new Primitives.LogSoftmax(0), unary(59, -3, 3), "dx");
        innerTerm("LogSoftmax", "exp(y)·Σg term of dx = g − exp(y) Σ g", s -> new LogSoftmaxWrittenOut(0, s), unary(59, -3, 3));
        plant("LogSumExp", () -> new Primitives.LogSumExp(1, false), unary(61, -3, 3), "dx");
        plant("Reshape", () -> new Primitives.Reshape(new int[] {-1}), unary(63, -2, 2), "dx");
        plant("Permute", () -> new Primitives.Permute(new int[] {1, 0}), unary(65, -2, 2), "dx");
        plant("Slice", () -> new Primitives.Slice(1, 1, 4), unary(67, -2, 2), "dx");
        plant("Pad", () -> new Primitives.Pad(new int[] {1, 0}, new int[] {0, 2}, 0.5f), unary(69, -2, 2), "dx");
        plant("Concat", () -> new Primitives.Concat(0), new Inputs(new Tensor[] {u(71, -2, 2, SMALL), u(72, -2, 2, 2, 5)},
                new Tensor[] {u(73, -2, 2, LARGE), u(74, -2, 2, 2, 263)}), "d(first part)", "d(second part)");
        plant("BroadcastTo", () -> new SizedBroadcast(), new Inputs(new Tensor[] {u(75, -2, 2, 1, 5)},
                new Tensor[] {u(76, -2, 2, 1, 263)}), "dx");
        LabelTensor indexSmall = LabelTensor.randomLabels(77, 3, 4, 5), indexLarge = LabelTensor.randomLabels(78, 3, 4, 263);
        plant("Gather", () -> new SizedGather(indexSmall, indexLarge), unary(79, -2, 2), "dx");
        plant("MatMul", Primitives.MatMul::new, new Inputs(new Tensor[] {u(81, -1, 1, 3, 5), u(82, -1, 1, 5, 4)},
                new Tensor[] {u(83, -1, 1, 20, 40), u(84, -1, 1, 40, 30)}), "da", "db");
    }

    /**
     * A plant inside one backward formula: the formula written out with one term scaled, checked
     * honest (scale 1) against the same detectors first.
     */
    private void innerTerm(String op, String term, java.util.function.DoubleFunction<MultiFunction> scaled, Inputs in) {
        List<PlantedErrors.Detector> detectors = List.of(gradCheck("GradCheck full", in.small()),
                gradCheck("GradCheck directional", in.large()));
        plants.add(new PlantedErrors.Plant(op, term, () -> scaled.apply(1), scaled, detectors));
    }

    /** Softmax with its fused backward written out, the Σ(g·y) term scaled by s. */
    private static final class SoftmaxWrittenOut extends Function {
        private final int axis;
        private final float s;
        SoftmaxWrittenOut(int axis, double s) {
            this.axis = axis;
            this.s = (float) s;
        }
        @Override public String name() { return "Softmax"; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].softmax(axis);
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor y = ctx.saved(0);
            return new Tensor[] {y.mul(g.sub(g.mul(y).sum(new int[] {axis}, true).mul(s)))};
        }
    }

    /** LogSoftmax with its fused backward written out, the exp(y)·Σg term scaled by s. */
    private static final class LogSoftmaxWrittenOut extends Function {
        private final int axis;
        private final float s;
        LogSoftmaxWrittenOut(int axis, double s) {
            this.axis = axis;
            this.s = (float) s;
        }
        @Override public String name() { return "LogSoftmax"; }
        protected Tensor forward(Ctx ctx, Tensor... in) {
            Tensor y = in[0].logSoftmax(axis);
            ctx.saveForBackward(y);
            return y;
        }
        protected Tensor[] backward(Ctx ctx, Tensor g) {
            Tensor y = ctx.saved(0);
            return new Tensor[] {g.sub(y.exp().mul(g.sum(new int[] {axis}, true).mul(s)))};
        }
    }

    /** Where with a mask of whichever of two sizes its inputs have (the gradient has the same shape). */
    private static final class SizedWhere extends MultiFunction {
        private final Primitives.Where small, large;
        private final Shape smallShape;
        SizedWhere(LabelTensor small, LabelTensor large) {
            this.small = new Primitives.Where(small);
            this.large = new Primitives.Where(large);
            this.smallShape = small.shape();
        }
        private Primitives.Where pick(Shape s) { return s.equals(smallShape) ? small : large; }
        @Override public String name() { return "Where"; }
        @Override protected Tensor[] forwardAll(Ctx ctx, Tensor... in) { return pick(in[0].shape()).forwardAll(ctx, in); }
        @Override protected Tensor[] backwardAll(Ctx ctx, Tensor... g) { return pick(g[0].shape()).backwardAll(ctx, g); }
    }

    /** BroadcastTo [1, n] -> [3, n]. */
    private static final class SizedBroadcast extends MultiFunction {
        @Override public String name() { return "BroadcastTo"; }
        @Override protected Tensor[] forwardAll(Ctx ctx, Tensor... in) {
            return new Primitives.BroadcastTo(Shape.of(3, in[0].dim(1))).forwardAll(ctx, in);
        }
        @Override protected Tensor[] backwardAll(Ctx ctx, Tensor... g) {
            return new Primitives.BroadcastTo(g[0].shape()).backwardAll(ctx, g);
        }
    }

    /** Gather along axis 0 with an index of the input's width (the gradient has that width too). */
    private static final class SizedGather extends MultiFunction {
        private final Primitives.Gather small, large;
        SizedGather(LabelTensor small, LabelTensor large) {
            this.small = new Primitives.Gather(0, small);
            this.large = new Primitives.Gather(0, large);
        }
        private Primitives.Gather pick(int width) { return width == SMALL[1] ? small : large; }
        @Override public String name() { return "Gather"; }
        @Override protected Tensor[] forwardAll(Ctx ctx, Tensor... in) { return pick(in[0].dim(1)).forwardAll(ctx, in); }
        @Override protected Tensor[] backwardAll(Ctx ctx, Tensor... g) { return pick(g[0].dim(1)).backwardAll(ctx, g); }
    }

    @Test
    void everyPrimitiveHasAPlant() {
        primitives();
        TreeSet<String> planted = new TreeSet<>();
        for (PlantedErrors.Plant p : plants) {
            MultiFunction op = p.real().get();
            planted.add(op instanceof SizedWhere ? "Where" : op instanceof SizedBroadcast ? "BroadcastTo"
                    : op instanceof SizedGather ? "Gather" : op instanceof SoftmaxWrittenOut ? "Softmax"
                    : op instanceof LogSoftmaxWrittenOut ? "LogSoftmax" : op.getClass().getSimpleName());
        }
        assertEquals(new TreeSet<>(List.of(Primitives.names())), planted, "primitives with a planted error");
    }

    @Test
    void onePercentInOneTermOfEveryPrimitiveIsCaught() {
        primitives();
        PlantedErrors.runSuite("primitives", plants);
    }
}
