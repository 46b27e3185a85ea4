package org.segloss.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.segloss.autograd.GradCheck;
import org.segloss.loss.LovaszSoftmaxLoss.Classes;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * {@link LossPropertiesBase} for {@link LovaszSoftmaxLoss} with random options. Range [0, 1]
 * (the Lovász extension of a [0, 1]-valued submodular set function on errors in [0, 1]); a
 * perfect prediction scores 0.
 */
class LovaszSoftmaxLossProperties extends LossPropertiesBase {
    @Override
    protected Activation activation(SplittableRandom r) {
        return r.nextInt(4) == 0 ? Activation.NONE : Activation.SOFTMAX;
    }

    @Override
    protected Loss loss(SplittableRandom r, Options o) {
        boolean background = r.nextInt(3) != 0;
        LovaszSoftmaxLoss.Builder b = LovaszSoftmaxLoss.builder().activation(o.activation())
                .perImage(r.nextBoolean()).includeBackground(background);
        switch (r.nextInt(3)) {
            case 0 -> b.classes(Classes.PRESENT);
            case 1 -> b.classes(Classes.ALL);
            default -> b.classes(background ? new int[] {0, o.classes() - 1} : new int[] {o.classes() - 1});
        }
        if (o.withIgnore()) b.ignoreIndex(IGNORE);
        return b.build();
    }

    @Override
    protected GradCheck.Options gradOptions() { return LovaszSoftmaxLossTest.GRAD; }

    /**
     * Replaces the inherited gradient property: the loss is piecewise linear in the errors, with
     * kinks where two errors of a class tie. On the inherited inputs (up to ~100 errors per class,
     * step 1e-3 |x|) about 1 input in 1000 has two errors closer than one step moves them, and the
     * central difference then straddles the kink (measured: 3 of 3000 seeds fail, relative error
     * up to 0.03), a flake in ~6% of 60-try runs. Here the inputs are redrawn until every error
     * gap exceeds 1.5x the largest move of one step ({@link LovaszSoftmaxLossTest#separated}), on
     * smaller shapes and with the smaller step of {@link #gradOptions()} (0 failures in 3000 seeds).
     */
    @Override
    @Property(tries = 60)
    void gradientAgreesWithTheChecker(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int attempt = 0; attempt < 500; attempt++) {
            int c = 2 + r.nextInt(2), b = 1 + r.nextInt(2);
            Activation a = activation(r);
            Loss loss = loss(r, new Options(c, false, a));
            int[] sp = r.nextBoolean() ? new int[] {2 + r.nextInt(2), 2 + r.nextInt(2)} : new int[] {1 + r.nextInt(2), 2, 2 + r.nextInt(2)};
            Tensor x = input(r, a, concat(b, c, sp));
            LabelTensor y = labels(r, c, labelShape(b, sp), false);
            if (!LovaszSoftmaxLossTest.separated(x, y, a)) continue;
            GradCheck.Report rep = GradCheck.check(v -> loss.forward(v[0], y), gradOptions(), x);
            assertTrue(rep.passed(), loss.name() + " " + x.shape() + " " + a + ": " + rep);
            return;
        }
        throw new AssertionError("no input with separated errors in 500 draws from seed " + seed);
    }
}
