package org.segloss.autograd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * The gradient checker has teeth: wrong backward rules planted into real primitives (the
 * primitive's own forward and backward run, then the result is corrupted) are caught, in full
 * and in directional mode, while the untouched primitive passes on the same inputs.
 */
class PlantedErrorTest {

    /** A primitive whose backward result is passed through {@code fault}. */
    static final class Planted extends MultiFunction {
        private final MultiFunction real;
        private final UnaryOperator<Tensor[]> fault;

        Planted(MultiFunction real, UnaryOperator<Tensor[]> fault) {
            this.real = real;
            this.fault = fault;
        }

        @Override
        protected Tensor[] forwardAll(Ctx ctx, Tensor... in) { return real.forwardAll(ctx, in); }

        @Override
        protected Tensor[] backwardAll(Ctx ctx, Tensor... g) { return fault.apply(real.backwardAll(ctx, g)); }
    }

    static UnaryOperator<Tensor[]> scaled(float s) {
        return gs -> { for (int i = 0; i < gs.length; i++) if (gs[i] != null) gs[i] = gs[i].mul(s); return gs; };
    }

    static final UnaryOperator<Tensor[]> SIGN_FLIPPED = scaled(-1f);

    /** Drops the gradient of the second input: one term of a product/quotient rule missing. */
    static final UnaryOperator<Tensor[]> SECOND_TERM_DROPPED = gs -> {
        gs[1] = Tensor.zeros(gs[1].shape());
        return gs;
    };

    static Stream<Arguments> plantedErrors() {
        Tensor a = Tensor.uniform(1, -2f, 2f, 3, 5), b = Tensor.uniform(2, 0.5f, 2f, 3, 5);
        Tensor big = Tensor.uniform(3, -2f, 2f, 3, 263), bigB = Tensor.uniform(4, 0.5f, 2f, 3, 263);
        LabelTensor mask = LabelTensor.randomLabels(5, 2, 3, 5);
        return Stream.of(
                Arguments.of("mul, scaled by 1.05", new Primitives.Mul(), scaled(1.05f), new Tensor[] {a, b}),
                Arguments.of("mul, b term dropped", new Primitives.Mul(), SECOND_TERM_DROPPED, new Tensor[] {a, b}),
                Arguments.of("div, sign flipped", new Primitives.Div(), SIGN_FLIPPED, new Tensor[] {a, b}),
                Arguments.of("div, b term dropped", new Primitives.Div(), SECOND_TERM_DROPPED, new Tensor[] {a, b}),
                Arguments.of("exp, scaled by 1.05", new Primitives.Exp(), scaled(1.05f), new Tensor[] {a}),
                Arguments.of("exp, sign flipped", new Primitives.Exp(), SIGN_FLIPPED, new Tensor[] {a}),
                Arguments.of("sigmoid, scaled by 1.05", new Primitives.Sigmoid(), scaled(1.05f), new Tensor[] {a}),
                Arguments.of("softmax, scaled by 1.05", new Primitives.Softmax(1), scaled(1.05f), new Tensor[] {a}),
                Arguments.of("logSoftmax, sign flipped", new Primitives.LogSoftmax(0), SIGN_FLIPPED, new Tensor[] {a}),
                Arguments.of("sum, scaled by 1.05", new Primitives.Sum(new int[] {1}, false), scaled(1.05f), new Tensor[] {a}),
                Arguments.of("matMul, sign flipped", new Primitives.MatMul(), SIGN_FLIPPED,
                        new Tensor[] {a, Tensor.uniform(6, -1f, 1f, 5, 4)}),
                Arguments.of("matMul, b term dropped", new Primitives.MatMul(), SECOND_TERM_DROPPED,
                        new Tensor[] {a, Tensor.uniform(6, -1f, 1f, 5, 4)}),
                Arguments.of("where, scaled by 1.05", new Primitives.Where(mask), scaled(1.05f), new Tensor[] {a, b}),
                Arguments.of("add, b term dropped (directional)", new Primitives.Add(), SECOND_TERM_DROPPED, new Tensor[] {big, bigB}),
                Arguments.of("mul, scaled by 1.05 (directional)", new Primitives.Mul(), scaled(1.05f), new Tensor[] {big, bigB}),
                Arguments.of("log, sign flipped (directional)", new Primitives.Log(), SIGN_FLIPPED, new Tensor[] {bigB}),
                Arguments.of("softmax, scaled by 1.05 (directional)", new Primitives.Softmax(0), scaled(1.05f), new Tensor[] {big}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plantedErrors")
    void plantedErrorIsCaught(String label, MultiFunction real, UnaryOperator<Tensor[]> fault, Tensor[] inputs) {
        GradCheck.Report honest = GradCheck.check(v -> real.applyAll(v)[0], inputs);
        assertTrue(honest.passed(), "the real primitive passes: " + honest);
        GradCheck.Report caught = GradCheck.check(v -> new Planted(real, fault).applyAll(v)[0], inputs);
        assertFalse(caught.passed(), label + " was not caught: " + caught);
        assertNotNull(caught.worst(), "the report names where");
        if (caught.mode().equals("full")) assertNotNull(caught.worst().index(), "full mode names the element");
    }
}
