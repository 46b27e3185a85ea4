package org.segloss.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.segloss.autograd.GradCheck;
import org.segloss.autograd.MultiFunction;
import org.segloss.autograd.NoGrad;
import org.segloss.autograd.PlantedErrors;
import org.segloss.autograd.PlantedFault;
import org.segloss.autograd.Var;
import org.segloss.tensor.Tensor;

/**
 * Planted errors of x1.01 and x0.99 in the layers' operations (the forward output y and each
 * input's gradient of Conv3d and ConvTranspose3d; dx, dgamma, dbeta of instance and batch norm;
 * dx of max pooling and leaky ReLU), each caught by the checks of this package's tests: the
 * forward against the direct loops of {@link Conv3dTest#naive} / {@link ConvTranspose3dTest#naive}
 * (tolerance 1e-4) and the gradient checks of {@link NnTesting#assertGrad} (GradCheck defaults) and
 * {@link MaxPool3dTest}, in full-Jacobian mode and, for the convolutions and norms, also in
 * directional mode (which the tests' larger random shapes take).
 */
class PlantedNnErrorTest {
    /** The directional mode on the same inputs (the mode of the tests' larger random shapes). */
    private static final GradCheck.Options DIRECTIONAL = GradCheck.DEFAULTS.withFullLimit(0);

    private static Var[] vars(Tensor... t) {
        Var[] v = new Var[t.length];
        for (int i = 0; i < t.length; i++) v[i] = Var.constant(t[i]);
        return v;
    }

    /** The forward of op on the inputs equals the direct loops within 1e-4 (as the layers' forward tests). */
    private static PlantedErrors.Detector forwardAgainst(String name, float[] expected, Tensor... inputs) {
        return new PlantedErrors.Detector(name, op -> {
            float[] y;
            try (NoGrad ignored = NoGrad.enter()) {
                y = op.applyAll(vars(inputs))[0].value().toArray();
            }
            for (int i = 0; i < y.length; i++) if (!(Math.abs(expected[i] - y[i]) <= 1e-4f * Math.max(1f, Math.abs(expected[i])))) return false;
            return true;
        });
    }

    private static PlantedErrors.Detector gradCheck(String name, GradCheck.Options options, Tensor... inputs) {
        return new PlantedErrors.Detector(name, op -> GradCheck.check(v -> op.applyAll(v)[0], options, inputs).passed());
    }

    private static void add(List<PlantedErrors.Plant> plants, String op, Supplier<MultiFunction> real, List<PlantedErrors.Detector> d,
                            PlantedFault.Site site, int index, String term) {
        plants.add(new PlantedErrors.Plant(op, term, real, site, index, d));
    }

    @Test
    void onePercentInOneTermOfEveryLayerIsCaught() {
        List<PlantedErrors.Plant> plants = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(2026);

        Tensor x = Tensor.randn(r.nextLong(), 1, 2, 3, 3, 3), w = Tensor.randn(r.nextLong(), 3, 2, 3, 3, 3).muli(0.3f);
        Tensor bias = Tensor.randn(r.nextLong(), 3);
        List<PlantedErrors.Detector> conv = List.of(
                forwardAgainst("Conv3dTest forward vs direct loops", Conv3dTest.naive(x, w, bias), x, w, bias),
                gradCheck("GradCheck full (Conv3dTest)", GradCheck.DEFAULTS, x, w, bias),
                gradCheck("GradCheck directional", DIRECTIONAL, x, w, bias));
        add(plants, "Conv3d", Conv3d.Op::new, conv, PlantedFault.Site.FORWARD_OUTPUT, 0, "y (forward)");
        add(plants, "Conv3d", Conv3d.Op::new, conv, PlantedFault.Site.INPUT_GRADIENT, 0, "dx");
        add(plants, "Conv3d", Conv3d.Op::new, conv, PlantedFault.Site.INPUT_GRADIENT, 1, "dw");
        add(plants, "Conv3d", Conv3d.Op::new, conv, PlantedFault.Site.INPUT_GRADIENT, 2, "dbias");

        Tensor xt = Tensor.randn(r.nextLong(), 1, 2, 3, 1, 3), wt = Tensor.randn(r.nextLong(), 2, 3, 2, 2, 2);
        Tensor bt = Tensor.randn(r.nextLong(), 3);
        List<PlantedErrors.Detector> up = List.of(
                forwardAgainst("ConvTranspose3dTest forward vs direct loops", ConvTranspose3dTest.naive(xt, wt, bt), xt, wt, bt),
                gradCheck("GradCheck full (ConvTranspose3dTest)", GradCheck.DEFAULTS, xt, wt, bt),
                gradCheck("GradCheck directional", DIRECTIONAL, xt, wt, bt));
        add(plants, "ConvTranspose3d", ConvTranspose3d.Op::new, up, PlantedFault.Site.FORWARD_OUTPUT, 0, "y (forward)");
        add(plants, "ConvTranspose3d", ConvTranspose3d.Op::new, up, PlantedFault.Site.INPUT_GRADIENT, 0, "dx");
        add(plants, "ConvTranspose3d", ConvTranspose3d.Op::new, up, PlantedFault.Site.INPUT_GRADIENT, 1, "dw");
        add(plants, "ConvTranspose3d", ConvTranspose3d.Op::new, up, PlantedFault.Site.INPUT_GRADIENT, 2, "dbias");

        Tensor xn = Tensor.randn(r.nextLong(), 2, 2, 3, 1, 3), gamma = Tensor.uniform(r.nextLong(), 0.5f, 1.5f, 2);
        Tensor beta = Tensor.randn(r.nextLong(), 2);
        float[] rm = Tensor.randn(r.nextLong(), 2).toArray(), rv = Tensor.uniform(r.nextLong(), 0.5f, 2f, 2).toArray();
        String[] terms = {"dx", "dgamma", "dbeta"};
        record Norm(String name, Supplier<MultiFunction> op) {}
        for (Norm n : List.of(new Norm("InstanceNorm3d", () -> new NormOp(true, 1e-5f, null, null)),
                new Norm("BatchNorm3d (train)", () -> new NormOp(false, 1e-5f, null, null)),
                new Norm("BatchNorm3d (eval)", () -> new NormOp(false, 1e-5f, rm, rv)))) {
            List<PlantedErrors.Detector> d = List.of(gradCheck("GradCheck full (NormTest)", GradCheck.DEFAULTS, xn, gamma, beta),
                    gradCheck("GradCheck directional", DIRECTIONAL, xn, gamma, beta));
            for (int i = 0; i < 3; i++) add(plants, n.name(), n.op(), d, PlantedFault.Site.INPUT_GRADIENT, i, terms[i]);
        }

        Tensor xp = MaxPool3dTest.spaced(r, 1, 2, 3, 5, 3);
        add(plants, "MaxPool3d", MaxPool3d.Op::new,
                List.of(gradCheck("GradCheck (MaxPool3dTest)", GradCheck.DEFAULTS.withEps(1e-3, 1e-3), xp)),
                PlantedFault.Site.INPUT_GRADIENT, 0, "dx");
        Tensor xl = ActivationAndModuleTest.awayFromZero(r.nextLong(), 1, 2, 3, 3, 3);
        add(plants, "LeakyReLU", () -> new LeakyReLU.Op(0.01f),
                List.of(gradCheck("GradCheck (ActivationAndModuleTest)", GradCheck.DEFAULTS, xl)),
                PlantedFault.Site.INPUT_GRADIENT, 0, "dx");

        PlantedErrors.runSuite("nn", plants);
    }
}
